"""Settings: one object from the environment; default secrets refused outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from telecare.broker_address import BrokerAddress
from telecare.config import Settings


def test_development_runs_on_embedded_broker_and_sqlite_by_default(tmp_path):
    s = Settings(_env_file=None, data_dir=tmp_path)
    assert s.uses_embedded_broker
    assert s.sqlalchemy_url == f"sqlite:///{(tmp_path / 'telecare.sqlite3').resolve()}"


def test_production_refuses_the_default_secrets():
    with pytest.raises(ValidationError, match="TELECARE_SECRET_KEY must be set"):
        Settings(_env_file=None, environment="production")


def test_production_refuses_a_short_token():
    with pytest.raises(ValidationError, match="TELECARE_API_TOKEN"):
        Settings(_env_file=None, environment="production", secret_key="x" * 32, api_token="short")


def test_environment_variables_with_the_prefix_configure_the_service(monkeypatch):
    monkeypatch.setenv("TELECARE_MQTT_URL", "mqtt://hub%40user:p%3Ass@broker.example:1884")
    monkeypatch.setenv("TELECARE_DATABASE_URL", "postgresql+psycopg://u@db/telecare")
    monkeypatch.setenv("TELECARE_INGEST_BATCH_SIZE", "250")
    s = Settings(_env_file=None)
    assert not s.uses_embedded_broker
    assert s.broker == BrokerAddress("broker.example", 1884, "hub@user", "p:ss", False)
    assert s.sqlalchemy_url == "postgresql+psycopg://u@db/telecare"
    assert s.ingest_batch_size == 250


def test_a_broker_url_of_another_scheme_is_refused():
    with pytest.raises(ValueError, match="mqtt://"):
        BrokerAddress.parse("http://broker:1883")


def test_a_cold_home_limit_that_clears_below_where_it_raises_is_refused(monkeypatch):
    monkeypatch.setenv("TELECARE_COLD_HOME_C", "18")
    with pytest.raises(ValidationError, match="TELECARE_COLD_HOME_CLEAR_C must be above"):
        Settings(_env_file=None)
    monkeypatch.setenv("TELECARE_COLD_HOME_CLEAR_C", "19.5")
    assert Settings(_env_file=None).cold_home_clear_c == 19.5
