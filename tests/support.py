"""Helpers for tests: waiting on conditions, MQTT publishing, real-service addresses."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from ingest.broker import free_port

REPO = Path(__file__).resolve().parents[1]
# Shared material (real home recordings) sits beside the repository, in CI as in development.
KASTEREN = REPO.parent / "shared" / "data" / "kasteren"
PG_URL = os.environ.get("TELECARE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MOSQUITTO = ("127.0.0.1", int(os.environ.get("TELECARE_TEST_MQTT_PORT", "1883")))


def wait_for(predicate: Callable[[], Any], timeout: float = 20.0, every: float = 0.05) -> Any:
    """Wait until ``predicate()`` is truthy (and return it), or fail after ``timeout`` seconds."""
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last value {value!r})")
        pause.wait(every)


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


class Publisher:
    """A paho client that publishes QoS 1 messages and waits for every PUBACK."""

    def __init__(self, host: str, port: int, protocol: int, client_id: str = "test-publisher",
                 username: str | None = None, password: str | None = None) -> None:
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=protocol)
        # The simulator's user may publish for any hub (a hub's own user only under its own topics).
        self.client.username_pw_set(username or "telecare-simulator", password)
        self.client.max_inflight_messages_set(500)
        self.client.max_queued_messages_set(0)
        self.client.connect(host, port)
        self.client.loop_start()
        self.infos: list[mqtt.MQTTMessageInfo] = []

    def publish(self, topic: str, payload: bytes | str | dict, qos: int = 1, retain: bool = False) -> None:
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            info.wait_for_publish(10)
        self.infos.append(info)
        if len(self.infos) >= 2000:  # keep well below paho's 65,535 message ids in flight
            self.flush()

    def flush(self, timeout: float = 60.0) -> None:
        for info in self.infos:
            info.wait_for_publish(timeout)
        self.infos.clear()

    def close(self) -> None:
        self.flush()
        self.client.disconnect()
        self.client.loop_stop()


class PrivateMosquitto:
    """A real Mosquitto started with our deploy settings (persistence, no 1000-message queue cap)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            "\n".join(
                [
                    # root in a test sandbox: keep root so the temp folders need no chown
                    "user root",
                    f"listener {self.port} 127.0.0.1",
                    "allow_anonymous true",
                    "persistence true",
                    f"persistence_location {self.workdir}/",
                    "autosave_interval 1",
                    "max_queued_messages 1000000",
                    "max_inflight_messages 0",
                    "persistent_client_expiration 1d",
                    f"log_dest file {self.workdir}/mosquitto.log",
                    "",
                ]
            )
        )
        self.proc = subprocess.Popen(
            [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: reachable("127.0.0.1", self.port), timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
