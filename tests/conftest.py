"""Fixtures: real services only. Mosquitto and PostgreSQL must be running; if not, the run fails.

``stack`` runs a test twice: against Mosquitto + PostgreSQL (a schema of its own) and against the
embedded broker + SQLite (a file of its own). Each test has its own topic prefix and client id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import text

from ingest.broker import EmbeddedBroker, free_port
from telecare.config import Settings
from telecare.db import make_engine
from tests.support import MOSQUITTO, PG_URL, PrivateMosquitto, reachable

pytest_plugins = ["tests.browser"]

REPO = Path(__file__).resolve().parents[1]


def pytest_sessionstart(session: pytest.Session) -> None:
    missing = []
    if not reachable(*MOSQUITTO):
        missing.append(f"Mosquitto at {MOSQUITTO[0]}:{MOSQUITTO[1]}")
    if not reachable("127.0.0.1", 5432):
        missing.append("PostgreSQL at 127.0.0.1:5432")
    if missing:
        raise pytest.UsageError(
            "real services are required and not reachable: " + ", ".join(missing)
            + " (start them: see README 'Running the tests')"
        )


@dataclass
class Stack:
    name: str
    settings: Settings
    mqtt_host: str
    mqtt_port: int
    protocol: int
    db_schema: str | None

    @property
    def prefix(self) -> str:
        return self.settings.mqtt_topic_prefix


@pytest.fixture
def pg_schema() -> Iterator[str]:
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield schema
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _settings(tmp_path: Path, **overrides) -> Settings:
    tag = uuid.uuid4().hex[:8]
    base = dict(
        _env_file=None,
        environment="test",
        secret_key="test-secret-key-0123456789",
        api_token="test-api-token-0123456789",
        data_dir=tmp_path / "data",
        mqtt_topic_prefix=f"test-{tag}",
        mqtt_client_id=f"ingest-{tag}",
        http_port=free_port(),
        ingest_flush_ms=20,
    )
    base.update(overrides)
    return Settings(**base)


@pytest.fixture
def real_stack(tmp_path: Path, pg_schema: str) -> Stack:
    host, port = MOSQUITTO
    settings = _settings(tmp_path, mqtt_url=f"mqtt://{host}:{port}", database_url=PG_URL)
    return Stack("mosquitto+postgres", settings, host, port, mqtt.MQTTv5, pg_schema)


@pytest.fixture
def embedded_stack(tmp_path: Path) -> Stack:
    port = free_port()
    settings = _settings(tmp_path, embedded_mqtt_port=port)
    return Stack("embedded+sqlite", settings, "127.0.0.1", port, mqtt.MQTTv311, None)


@pytest.fixture(params=["mosquitto+postgres", "embedded+sqlite"])
def stack(request: pytest.FixtureRequest) -> Stack:
    return request.getfixturevalue(
        "real_stack" if request.param == "mosquitto+postgres" else "embedded_stack"
    )


@pytest.fixture
def private_mosquitto(tmp_path: Path) -> Iterator[PrivateMosquitto]:
    broker = PrivateMosquitto(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def embedded_broker() -> Iterator[EmbeddedBroker]:
    broker = EmbeddedBroker("127.0.0.1", free_port())
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def start_service():
    """Start a TelecareService on a stack (in this process); stopped at the end of the test."""
    from telecare.db import session_scope
    from telecare.households import upsert_household
    from telecare.runtime import TelecareService

    running: list[TelecareService] = []

    def start(stack: Stack, households=(), clock=None, serve_http=False, listeners=()):
        service = TelecareService(
            stack.settings, clock=clock, listeners=listeners, serve_http=serve_http,
            db_schema=stack.db_schema,
        )
        service.start()
        running.append(service)
        with session_scope(service.factory) as session:
            for spec in households:
                upsert_household(session, spec)
        assert service.wait_ready(20), "service did not become ready"
        return service

    yield start
    for service in running:
        service.stop()


@pytest.fixture
def publisher_for():
    from tests.support import Publisher

    made: list[Publisher] = []

    def make(stack: Stack, client_id: str | None = None) -> Publisher:
        pub = Publisher(stack.mqtt_host, stack.mqtt_port, stack.protocol,
                        client_id=client_id or f"pub-{uuid.uuid4().hex[:8]}")
        made.append(pub)
        return pub

    yield make
    for pub in made:
        pub.close()
