"""The one settings object. Built once at start (``Settings()``) and passed to whatever needs it.

Every field reads an environment variable with the ``TELECARE_`` prefix (``TELECARE_MQTT_URL``...) or a
``.env`` file. With no broker URL the service starts an embedded MQTT broker; with no database URL it
uses SQLite in the data directory. Outside development it refuses the default secrets.
"""

from __future__ import annotations

import secrets
from datetime import time
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from telecare.broker_address import BrokerAddress

DEFAULT_SECRET = "changethis"
MIN_SECRET_LENGTH = 16


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TELECARE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Literal["development", "test", "production"] = "development"

    # --- MQTT
    mqtt_url: str | None = Field(
        default=None, description="mqtt://user:pass@host:1883; empty starts the embedded broker"
    )
    mqtt_topic_prefix: str = "telecare"
    mqtt_client_id: str = "telecare-ingest"
    mqtt_session_expiry_s: int = Field(default=7 * 24 * 3600, ge=60)
    embedded_mqtt_host: str = "127.0.0.1"
    embedded_mqtt_port: int = Field(default=1884, ge=0, le=65535)

    # --- storage
    database_url: str | None = Field(default=None, description="empty uses SQLite in data_dir")
    data_dir: Path = Path("telecare-data")

    # --- HTTP
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)

    # --- secrets
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    api_token: SecretStr = SecretStr(DEFAULT_SECRET)

    # --- ingest
    max_payload_bytes: int = Field(default=4096, ge=64)
    max_future_skew_s: int = Field(default=300, ge=0)
    ingest_batch_size: int = Field(default=500, ge=1, le=5000)
    ingest_flush_ms: int = Field(default=50, ge=1)

    # Zigbee2MQTT bridges (homes whose hub runs Zigbee2MQTT; each home has its own base topic).
    zigbee2mqtt_help_actions: list[str] = Field(
        default=["single", "double", "hold", "emergency"],
        description="button actions that raise help_request (JSON list in the environment)",
    )
    zigbee2mqtt_power_on_w: float = Field(default=5.0, gt=0, description="an appliance is in use above this")
    zigbee2mqtt_max_inventory_bytes: int = Field(default=1_000_000, ge=4096)
    bridge_poll_s: float = Field(default=2.0, gt=0, description="how often pairing mode reaches bridges")

    # --- detection
    inactivity_limit_min: int = Field(default=360, ge=5, description="absolute limit for a silence at home")
    out_limit_min: int = Field(default=720, ge=5, description="...one that began at an exit door (gone out)")
    up_by: time = Field(default=time(10), description="...one that began at bedtime (21:00-05:00): "
                        "not before this time the next morning (HH:MM)")
    cold_home_c: float = Field(default=16.0, ge=5, le=25, description="cold_home: at or below this...")
    cold_home_clear_c: float = Field(default=17.0, ge=5, le=26, description="...cleared at or above this")
    cold_home_min: int = Field(default=60, ge=10, description="...for this many minutes")
    tick_s: float = Field(default=15.0, gt=0)
    snapshot_s: float = Field(default=30.0, gt=0)

    # --- alert delivery and escalation
    public_base_url: str | None = Field(
        default=None, description="base of links in notifications; empty uses http_host:http_port"
    )
    ack_link_ttl_s: int = Field(default=24 * 3600, ge=60)
    delivery_poll_s: float = Field(default=0.2, gt=0)
    delivery_retry_base_s: float = Field(default=5.0, gt=0)
    delivery_retry_max_s: float = Field(default=300.0, gt=0)
    delivery_attempts_per_channel: int = Field(default=3, ge=1, le=20)
    escalation_poll_s: float = Field(default=1.0, gt=0)
    daily_summary_at: str = Field(default="20:00", pattern=r"^\d{2}:\d{2}$",
                                  description="household-local time of the daily reassurance")

    # --- logging
    log_level: str = "INFO"
    log_json: bool = False

    @model_validator(mode="after")
    def _warm_above_cold(self) -> Settings:
        if self.cold_home_clear_c <= self.cold_home_c:
            raise ValueError("TELECARE_COLD_HOME_CLEAR_C must be above TELECARE_COLD_HOME_C")
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment == "development":
            return self
        for name in ("secret_key", "api_token"):
            value = getattr(self, name).get_secret_value()
            if value == DEFAULT_SECRET or len(value) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"TELECARE_{name.upper()} must be set to a random value of at least "
                    f"{MIN_SECRET_LENGTH} characters outside development "
                    f"(for example: {secrets.token_urlsafe(32)!r})"
                )
        return self

    @property
    def uses_embedded_broker(self) -> bool:
        return not self.mqtt_url

    @property
    def broker(self) -> BrokerAddress:
        if self.mqtt_url:
            return BrokerAddress.parse(self.mqtt_url)
        return BrokerAddress(
            self.embedded_mqtt_host, self.embedded_mqtt_port, "telecare-service", None, False
        )

    @property
    def link_base(self) -> str:
        return (self.public_base_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'telecare.sqlite3').resolve()}"
