"""The broker's password file and ACL, tested on the real Mosquitto binary: each hub publishes only
under its own topic; anonymous clients and wrong passwords are refused."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.reasoncodes import ReasonCode

from ingest.broker import free_port
from tests.test_compose import (  # noqa: F401 - compose is a fixture
    ACL_FILE,
    COMPOSE_FILE,
    HUBS,
    MAKE_PASSWD,
    MOSQUITTO_CONF,
    MOSQUITTO_DIR,
    ROOT,
    SERVICE_USER,
    SIMULATOR_USER,
    TIMEOUT,
    compose,
    interpolate,
)


# --------------------------------------------------------------------------- make-passwd.sh
def _binary(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None
    )


def require(name: str, package: str) -> str:
    """The path of a Mosquitto program. Like the rest of the suite, these tests fail, never skip, when
    the real thing is missing (scripts/ensure-services)."""
    path = _binary(name)
    if path is None:
        pytest.fail(f"{name} not found: install it (Debian: apt-get install {package})")
    return path


def password() -> str:
    return secrets.token_urlsafe(24)


def make_passwd(out: Path, hubs: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    tools = Path(require("mosquitto_passwd", "mosquitto")).parent
    run_env = {"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}", **env}
    if hubs is not None:
        (out.parent / "hubs.txt").write_text(hubs)
    run_env["MQTT_HUBS_FILE"] = str(out.parent / "hubs.txt")
    return subprocess.run(
        ["sh", str(MAKE_PASSWD), str(out)], env=run_env, capture_output=True, text=True, timeout=30
    )


def users_in(passwd: Path) -> list[str]:
    return [line.split(":", 1)[0] for line in passwd.read_text().splitlines() if line]


def test_make_passwd_writes_the_service_and_hub_users(tmp_path):
    out = tmp_path / "passwd"
    hubs = f"# comment\n\nhub-a:{password()}\r\nhub-b:{password()}:with:colons"  # no final newline
    done = make_passwd(out, hubs, MQTT_SERVICE_PASSWORD=password())
    assert done.returncode == 0, done.stderr
    assert users_in(out) == [SERVICE_USER, "hub-a", "hub-b"]  # no simulator user in production
    assert out.stat().st_mode & 0o777 == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".passwd")]

    done = make_passwd(out, "", MQTT_SERVICE_PASSWORD=password(), MQTT_SIMULATOR_PASSWORD=password())
    assert done.returncode == 0, done.stderr
    assert users_in(out) == [SERVICE_USER, SIMULATOR_USER]


@pytest.mark.parametrize(
    ("env", "hubs", "complaint"),
    [
        ({"MQTT_SERVICE_PASSWORD": None}, "", "MQTT_SERVICE_PASSWORD is empty or unset"),
        ({"MQTT_SERVICE_PASSWORD": ""}, "", "MQTT_SERVICE_PASSWORD is empty or unset"),
        ({"MQTT_SERVICE_PASSWORD": "short"}, "", "shorter than 16"),
        ({"MQTT_SIMULATOR_PASSWORD": "short"}, "", "shorter than 16"),
        ({}, "hub-a:\n", "empty password"),
        ({}, "hub-a\n", "expected 'hub-id:password'"),
        ({}, "hub/a:{pw}\n", "hub id"),
        ({}, "hub+a:{pw}\n", "hub id"),
        ({}, "hub#a:{pw}\n", "hub id"),
        ({}, "telecare-service:{pw}\n", "reserved"),
        ({}, "hub-a:{pw}\nhub-a:{pw}\n", "twice"),
    ],
)
def test_make_passwd_refuses(tmp_path, env, hubs, complaint):
    out = tmp_path / "passwd"
    out.write_text("previous\n")
    env = {"MQTT_SERVICE_PASSWORD": password()} | env  # None: unset
    done = make_passwd(
        out, hubs.replace("{pw}", password()), **{k: v for k, v in env.items() if v is not None}
    )
    assert done.returncode != 0
    assert complaint in done.stderr
    assert out.read_text() == "previous\n", "a refused run must leave the old file alone"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".passwd")]


# --------------------------------------------------------------------------- the real broker


@dataclass
class Broker:
    port: int
    passwords: dict[str, str]
    log: list[str] = field(default_factory=list)


def broker_config(port: int, folder: Path) -> str:
    """The production config with only paths, port and log destination changed; the ACL as committed."""
    replacements = {
        "listener": [f"listener {port} 127.0.0.1"],
        "password_file": [f"password_file {folder / 'passwd'}"],
        "acl_file": [f"acl_file {ACL_FILE}"],
        "persistence_location": [f"persistence_location {folder / 'data'}/"],
        # stdout through a pipe is block-buffered; stderr is not, so the fixture sees "running" at once.
        "log_dest": ["log_dest stderr", f"log_dest file {folder / 'mosquitto.log'}"],
    }
    seen: list[str] = []
    lines = []
    for line in MOSQUITTO_CONF.read_text().splitlines():
        key = line.split(" ", 1)[0]
        if key in replacements:
            seen.append(key)
            lines.extend(replacements[key])
        else:
            lines.append(line)
    assert sorted(seen) == sorted(replacements), "mosquitto.conf changed shape: update broker_config()"
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    mosquitto = require("mosquitto", "mosquitto")
    # Not pytest's tmp_path: its parents are mode 0700, and a broker started as root drops to the
    # `mosquitto` user, which must reach its password file, persistence folder and log file.
    folder = Path(tempfile.mkdtemp(prefix="telecare-mosquitto-"))
    proc = None
    try:
        passwords = {user: password() for user in (SERVICE_USER, SIMULATOR_USER, *HUBS)}
        hubs = "".join(f"{hub}:{passwords[hub]}\n" for hub in HUBS)
        done = make_passwd(
            folder / "passwd",
            hubs,
            MQTT_SERVICE_PASSWORD=passwords[SERVICE_USER],
            MQTT_SIMULATOR_PASSWORD=passwords[SIMULATOR_USER],
        )
        assert done.returncode == 0, done.stderr
        (folder / "data").mkdir()
        port = free_port()
        (folder / "mosquitto.conf").write_text(broker_config(port, folder))
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam("mosquitto")
            except KeyError:  # then Mosquitto runs as `nobody`
                account = pwd.getpwnam("nobody")
            for path in (folder, *folder.rglob("*")):
                os.chown(path, account.pw_uid, account.pw_gid)

        proc = subprocess.Popen(
            [mosquitto, "-c", str(folder / "mosquitto.conf")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        result = Broker(port, passwords)
        running = threading.Event()
        ended = threading.Event()

        def read_log() -> None:
            assert proc is not None and proc.stderr is not None
            for line in proc.stderr:
                result.log.append(line.rstrip())
                if " running" in line:
                    running.set()
            ended.set()
            running.set()  # wake the waiter: the broker exited

        reader = threading.Thread(target=read_log, daemon=True)
        reader.start()
        assert running.wait(TIMEOUT) and not ended.is_set(), "\n".join(result.log)
        yield result
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


class Client:
    """A paho-mqtt 2.x MQTT v5 client whose every wait is an Event with a timeout."""

    def __init__(self, port: int, username: str | None, password: str | None) -> None:
        self.connack: ReasonCode | None = None
        self._connected = threading.Event()
        self._lock = threading.Lock()
        self._acks: dict[int, tuple[threading.Event, list[Any]]] = {}
        self._arrivals: dict[str, threading.Event] = {}
        self.received: list[str] = []
        name = username or "anonymous"
        self.mqtt = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"test-{name}-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        if username is not None:
            self.mqtt.username_pw_set(username, password)
        self.mqtt.on_connect = self._on_connect
        self.mqtt.on_publish = self._on_ack
        self.mqtt.on_subscribe = self._on_ack
        self.mqtt.on_message = self._on_message
        self.mqtt.connect("127.0.0.1", port)
        self.mqtt.loop_start()
        assert self._connected.wait(TIMEOUT), f"no CONNACK for {name}"

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if self.connack is None:
            self.connack = reason_code
        self._connected.set()

    def _ack_slot(self, mid: int) -> tuple[threading.Event, list[Any]]:
        with self._lock:
            return self._acks.setdefault(mid, (threading.Event(), []))

    def _on_ack(self, client, userdata, mid, reason_codes, properties) -> None:
        event, result = self._ack_slot(mid)
        result.append(reason_codes)
        event.set()

    def _on_message(self, client, userdata, message) -> None:
        with self._lock:
            self.received.append(message.topic)
            event = self._arrivals.setdefault(message.topic, threading.Event())
        event.set()

    def wait_ack(self, mid: int | None) -> Any:
        assert mid is not None
        event, result = self._ack_slot(mid)
        assert event.wait(TIMEOUT), f"no acknowledgement for message id {mid}"
        return result[0]

    def publish(self, topic: str) -> ReasonCode:
        """Publish at QoS 1 and return the broker's PUBACK reason code."""
        info = self.mqtt.publish(topic, b'{"test": true}', qos=1)
        assert info.rc == mqtt.MQTT_ERR_SUCCESS
        return self.wait_ack(info.mid)

    def subscribe(self, topic: str) -> ReasonCode:
        rc, mid = self.mqtt.subscribe(topic, qos=1)
        assert rc == mqtt.MQTT_ERR_SUCCESS
        [granted] = self.wait_ack(mid)
        return granted

    def wait_for(self, topic: str) -> bool:
        with self._lock:
            event = self._arrivals.setdefault(topic, threading.Event())
        return event.wait(TIMEOUT)

    def close(self) -> None:
        self.mqtt.disconnect()
        self.mqtt.loop_stop()


@pytest.fixture
def connect(broker: Broker) -> Iterator[Callable[..., Client]]:
    clients: list[Client] = []

    def open_client(username: str | None, password: str | None = None) -> Client:
        if username is not None and password is None:
            password = broker.passwords[username]
        client = Client(broker.port, username, password)
        clients.append(client)
        return client

    yield open_client
    for client in clients:
        client.close()


NOT_AUTHORIZED = 135


def test_broker_starts_from_the_production_config_without_complaint(broker, compose):
    # The broker under test is of the line compose deploys (eclipse-mosquitto:2.0 -> "version 2.0.").
    line = compose["services"]["mosquitto"]["image"].split(":")[1]
    assert any(f"mosquitto version {line}." in entry for entry in broker.log), broker.log[:2]
    assert not [line for line in broker.log if "Warning" in line or "Error" in line], broker.log


def test_anonymous_and_wrong_passwords_are_refused_at_connect(connect):
    anonymous = connect(None)
    assert anonymous.connack.is_failure and anonymous.connack.value == NOT_AUTHORIZED
    wrong = connect("hub-a", "not-the-password-of-hub-a")
    assert wrong.connack.is_failure
    assert connect("hub-a").connack.value == 0


def test_a_hub_publishes_only_under_its_own_topics(connect):
    service = connect(SERVICE_USER)
    assert service.subscribe("telecare/#").value == 1  # granted QoS 1
    hub_a = connect("hub-a")

    own = hub_a.publish("telecare/hub-a/kitchen-motion/event")
    assert not own.is_failure
    assert service.wait_for("telecare/hub-a/kitchen-motion/event")

    other = hub_a.publish("telecare/hub-b/kitchen-motion/event")
    assert other.is_failure and other.value == NOT_AUTHORIZED, other

    # Messages of one publisher reach a subscriber in order: once this one is in, the refused one
    # would have arrived before it.
    assert not hub_a.publish("telecare/hub-a/kitchen-motion/fence").is_failure
    assert service.wait_for("telecare/hub-a/kitchen-motion/fence")
    assert "telecare/hub-b/kitchen-motion/event" not in service.received


@pytest.mark.parametrize(
    ("user", "topic", "allowed"),
    [
        ("hub-b", "telecare/hub-b/front-door/event", True),
        ("hub-b", "telecare/hub-a/front-door/event", False),
        ("hub-a", "telecare/front-door/event", False),
        ("hub-a", "elsewhere/hub-a/event", False),
        ("hub-a", "zigbee2mqtt/hub-a/front-door", True),
        ("hub-a", "zigbee2mqtt/hub-b/front-door", False),
        ("hub-a", "zigbee2mqtt/front-door", False),  # Zigbee2MQTT's stock base_topic: not per hub
        (SIMULATOR_USER, "telecare/hub-b/front-door/event", True),
        (SIMULATOR_USER, "zigbee2mqtt/hub-a/front-door", True),
        (SIMULATOR_USER, "elsewhere/event", False),
        (SERVICE_USER, "telecare/hub-a/pairing", True),
        (SERVICE_USER, "zigbee2mqtt/hub-a/front-door/set", False),
        (SERVICE_USER, "zigbee2mqtt/hub-a/bridge/request/permit_join", True),
    ],
)
def test_acl_decides_who_writes_where(connect, user, topic, allowed):
    service = connect(SERVICE_USER)
    for subscription in ("telecare/#", "zigbee2mqtt/#"):
        assert service.subscribe(subscription).value == 1
    publisher = connect(user)

    reason = publisher.publish(topic)

    if allowed:
        assert not reason.is_failure, reason
        assert service.wait_for(topic)
    else:
        assert reason.value == NOT_AUTHORIZED, reason


def test_a_hub_reads_only_its_own_topics(connect):
    hub_a = connect("hub-a")
    assert not hub_a.subscribe("telecare/#").is_failure  # granted, but filtered message by message
    service = connect(SERVICE_USER)

    assert not service.publish("telecare/hub-b/pairing").is_failure
    assert not service.publish("telecare/hub-a/pairing").is_failure

    assert hub_a.wait_for("telecare/hub-a/pairing")
    assert "telecare/hub-b/pairing" not in hub_a.received  # sent first: it would be in by now


def test_more_than_1000_messages_wait_for_an_absent_subscriber(broker, connect):
    count = 1500  # beyond Mosquitto's default max_queued_messages (1000)
    client_id = f"test-ingest-{uuid.uuid4().hex[:8]}"
    received: list[str] = []
    all_in = threading.Event()
    subscribed = threading.Event()
    connected = threading.Event()

    def session() -> mqtt.Client:
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
        )
        client.username_pw_set(SERVICE_USER, broker.passwords[SERVICE_USER])
        client.on_connect = lambda c, u, f, rc, p: connected.set()
        client.on_subscribe = lambda c, u, mid, rcs, p: subscribed.set()

        def on_message(c, u, message) -> None:
            received.append(message.payload.decode())
            if len(received) >= count:
                all_in.set()

        client.on_message = on_message
        expiry = mqtt.Properties(mqtt.PacketTypes.CONNECT)
        expiry.SessionExpiryInterval = 3600
        client.connect("127.0.0.1", broker.port, clean_start=False, properties=expiry)
        client.loop_start()
        assert connected.wait(TIMEOUT)
        return client

    ingest = session()
    ingest.subscribe("telecare/hub-a/#", qos=1)
    assert subscribed.wait(TIMEOUT)
    ingest.disconnect()  # the service is away (deploy, crash)...
    ingest.loop_stop()

    hub_a = connect("hub-a")
    infos = [hub_a.mqtt.publish("telecare/hub-a/hall/event", str(i), qos=1) for i in range(count)]
    for info in infos:
        assert not hub_a.wait_ack(info.mid).is_failure

    connected.clear()
    ingest = session()  # ...and comes back to its session
    try:
        assert all_in.wait(TIMEOUT), f"{len(received)} of {count} queued messages delivered"
        assert sorted(map(int, received)) == list(range(count))
    finally:
        ingest.disconnect()
        ingest.loop_stop()


def test_compose_healthcheck_of_the_broker_passes_on_the_real_broker(compose, broker):
    kind, command = interpolate(compose["services"]["mosquitto"]["healthcheck"]["test"], {})
    assert kind == "CMD-SHELL" and "-p 1883" in command
    tools = Path(require("mosquitto_sub", "mosquitto-clients")).parent
    env = {"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}

    def check(port: int) -> int:
        shell = command.replace("-p 1883", f"-p {port}")
        return subprocess.run(["sh", "-c", shell], env=env, capture_output=True, timeout=30).returncode

    assert check(broker.port) == 0
    assert check(free_port()) != 0
