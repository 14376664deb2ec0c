"""The simulated hub in pairing mode against the local Mosquitto (127.0.0.1:1883): announcements on
``<prefix>/<hub>/pairing``, test events the service's decoder accepts, the run loop and ``--pair``."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ingest.decode import (
    DecodedAnnouncement,
    DecodedEvent,
    MessageDecoder,
    ReceivedMessage,
)
from ingest.registry import KnownDevice, KnownHub
from simulator.command import main
from simulator.eventsfile import mqtt_payload
from simulator.pairing import (
    DEVICE_ID,
    KIT_BATTERY,
    MODEL_MAX_CHARS,
    STANDARD_KIT,
    KitSensor,
    PairingHub,
)
from simulator.publisher import PublishError
from telecare.domain import DeviceType, Room
from tests.test_simulator_mqtt import Collector, collector, prefix  # noqa: F401 - fixtures

KIT_IDS = [s.device for s in STANDARD_KIT]
KIT_SENSOR = {
    "device": "m-hall",
    "type": DeviceType.MOTION,
    "model": "PIR",
    "room_hint": Room.HALLWAY,
    "test_value": True,
}
AT = datetime(2026, 1, 5, 9, 30, 0, 250000, tzinfo=UTC)


@pytest.fixture
def hub() -> str:
    return f"pair-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def connect(prefix: str, hub: str) -> Iterator[Callable[..., PairingHub]]:
    opened: list[PairingHub] = []

    def open_hub(**kwargs) -> PairingHub:
        paired = PairingHub.connect(hub, topic_prefix=prefix, **kwargs)
        opened.append(paired)
        return paired

    yield open_hub
    for paired in opened:
        paired.close()


def pairing_messages(collector: Collector):
    return collector.on("/pairing")


def decoder_for(prefix: str, hub: str) -> MessageDecoder:
    """The service's own decoder, with every kit sensor paired to ``hub`` in its suggested room."""
    devices = {
        s.device: KnownDevice(i, 1, s.device, s.type, s.room_hint)
        for i, s in enumerate(STANDARD_KIT, start=1)
    }
    known = KnownHub(1, hub, "Europe/London", devices)
    return MessageDecoder(
        prefix,
        lambda hub_id, _device: known if hub_id == hub else None,
        max_payload_bytes=4096,
        max_future_skew=timedelta(minutes=5),
    )


# --------------------------------------------------------------------------- the kit, no broker
def test_standard_kit_is_a_typical_home_that_the_contract_allows():
    assert len(set(KIT_IDS)) == len(KIT_IDS)
    placed = {(s.type, s.room_hint) for s in STANDARD_KIT}
    for needed in (
        (DeviceType.MOTION, Room.BEDROOM),
        (DeviceType.MOTION, Room.KITCHEN),
        (DeviceType.MOTION, Room.BATHROOM),
        (DeviceType.CONTACT, Room.FRONT_DOOR),
    ):
        assert needed in placed
    types = {s.type for s in STANDARD_KIT}
    assert {DeviceType.BED, DeviceType.BUTTON, DeviceType.FLUSH} <= types
    for s in STANDARD_KIT:
        assert DEVICE_ID.fullmatch(s.device) and 0 < len(s.model) <= MODEL_MAX_CHARS
        assert json.loads(s.announcement_payload()) == {
            "device": s.device,
            "type": s.type.value,
            "model": s.model,
        }
        assert type(s.test_value) is bool if s.type.is_binary else isinstance(s.test_value, float)


@pytest.mark.parametrize(
    "fields",
    [
        {"device": "-starts-with-dash"},
        {"device": "has/slash"},
        {"device": "x" * 65},
        {"model": "m" * (MODEL_MAX_CHARS + 1)},
        {"test_value": 1},  # binary sensors report true or false
        {"type": DeviceType.TEMPERATURE, "test_value": True},
        {"type": DeviceType.TEMPERATURE, "test_value": float("nan")},
    ],
)
def test_kit_sensor_refuses_what_the_contract_does_not_allow(fields):
    with pytest.raises(ValueError):
        KitSensor(**(KIT_SENSOR | fields))
    with pytest.raises(TypeError, match="DeviceType"):
        KitSensor(**(KIT_SENSOR | {"type": "motion"}))  # the enum, not its string


# --------------------------------------------------------------------------- against Mosquitto
def test_announce_publishes_one_contract_message_per_kit_sensor(prefix, hub, collector, connect):
    paired = connect()
    assert paired.announce() == STANDARD_KIT  # returns once every PUBACK is in
    assert collector.wait_for(lambda c: len(pairing_messages(c)) >= len(STANDARD_KIT))
    received = pairing_messages(collector)
    assert {m.topic for m in received} == {f"{prefix}/{hub}/pairing"} == {paired.pairing_topic}
    assert all(m.qos == 1 and not m.retain for m in received)
    bodies = [json.loads(m.payload) for m in received]
    assert [b["device"] for b in bodies] == KIT_IDS  # one topic: the broker keeps the order
    for body, sensor in zip(bodies, STANDARD_KIT, strict=True):
        assert body == {"device": sensor.device, "type": sensor.type.value, "model": sensor.model}
    decoder = decoder_for(prefix, hub)  # the service's own decoder accepts every announcement
    for m, sensor in zip(received, STANDARD_KIT, strict=True):
        decoded = decoder.decode(ReceivedMessage(m.topic, m.payload, AT, qos=m.qos), now=AT)
        assert isinstance(decoded, DecodedAnnouncement), decoded
        assert (decoded.device, decoded.type, decoded.model) == (
            sensor.device,
            sensor.type,
            sensor.model,
        )
    assert not collector.on("/event")  # announcing is not an event

    assert [s.device for s in paired.announce(["p-help", STANDARD_KIT[0]])] == ["p-help", "d-front"]
    assert collector.wait_for(lambda c: len(pairing_messages(c)) >= len(STANDARD_KIT) + 2)
    assert [json.loads(m.payload)["device"] for m in pairing_messages(collector)[-2:]] == [
        "p-help",
        "d-front",
    ]
    with pytest.raises(ValueError, match="not one of"):
        paired.announce(["nonesuch"])


def test_fire_publishes_events_the_service_decoder_accepts(prefix, hub, collector, connect):
    paired = connect(clock=lambda: AT)
    sent = {s.device: paired.fire(s.device) for s in STANDARD_KIT}
    expected = sum(len(records) for records in sent.values())
    assert collector.wait_for(lambda c: c.events_seen >= expected)
    decoder = decoder_for(prefix, hub)
    for sensor in STANDARD_KIT:
        records = sent[sensor.device]
        messages = [m for m in collector.on("/event") if m.topic == paired.event_topic(sensor.device)]
        assert paired.event_topic(sensor.device) == f"{prefix}/{hub}/{sensor.device}/event"
        assert [m.payload for m in messages] == [mqtt_payload(r) for r in records]
        assert all(m.qos == 1 and not m.retain for m in messages)
        decoded = [
            decoder.decode(ReceivedMessage(m.topic, m.payload, AT, qos=m.qos), now=AT)
            for m in messages
        ]
        assert all(isinstance(d, DecodedEvent) for d in decoded), decoded
        assert [d.seq for d in decoded] == [1, 2]  # activation, then release
        assert [d.value for d in decoded] == [1.0, 0.0]
        assert decoded[0].ts == AT and decoded[1].ts > decoded[0].ts
        assert len({d.dedup_key for d in decoded}) == 2
        body = json.loads(messages[0].payload)
        assert body["value"] is True and body["type"] == sensor.type.value
        assert body["ts"] == "2026-01-05T09:30:00.250+00:00"
        battery = None if sensor.type is DeviceType.APPLIANCE else KIT_BATTERY  # plugs: mains
        assert [d.battery for d in decoded] == [battery, battery]


def test_fire_with_a_value_sends_exactly_that_reading(prefix, hub, collector, connect):
    paired = connect(clock=lambda: AT)
    paris = timezone(timedelta(hours=1))
    first = paired.fire("m-kitchen", value=True, ts=datetime(2026, 1, 5, 10, 0, tzinfo=paris))
    assert [(r["value"], r["seq"]) for r in first] == [(True, 1)]
    assert first[0]["ts"] == "2026-01-05T10:00:00.000+01:00"  # RFC 3339, offset kept
    second = paired.fire("m-kitchen")  # seq goes on per device
    assert [(r["value"], r["seq"]) for r in second] == [(True, 2), (False, 3)]
    assert [r["seq"] for r in paired.fire("b-bed", value=False)] == [1]
    assert collector.wait_for(lambda c: c.events_seen >= 4)
    decoder = decoder_for(prefix, hub)
    for m in collector.on("/event"):
        assert isinstance(decoder.decode(ReceivedMessage(m.topic, m.payload, AT), now=AT), DecodedEvent)

    with pytest.raises(ValueError, match="true or false"):
        paired.fire("m-kitchen", value=1)
    with pytest.raises(ValueError, match="timezone-aware"):
        paired.fire("m-kitchen", ts=datetime(2026, 1, 5, 10, 0))
    with pytest.raises(ValueError, match="not one of"):
        paired.fire("nonesuch")
    assert paired.fire("m-kitchen")[0]["seq"] == 4  # refused calls used no seq


def test_run_reannounces_and_walks_round_the_home_until_stopped(hub, collector, connect):
    paired = connect()
    stop, result, rounds = threading.Event(), {}, []

    def target() -> None:
        try:
            result["counts"] = paired.run(
                stop, announce_every_s=0.2, fire_every_s=0.02, on_announce=lambda n, _: rounds.append(n)
            )
        except PublishError as exc:  # reported by the assertion below
            result["error"] = exc

    runner = threading.Thread(target=target)
    runner.start()

    def seen_enough(c: Collector) -> bool:
        fired = {m.topic.split("/")[-2] for m in c.on("/event")}
        return len(pairing_messages(c)) >= 3 * len(STANDARD_KIT) and fired >= set(KIT_IDS)

    try:
        assert collector.wait_for(seen_enough, timeout=30)
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive() and "error" not in result, result
    counts = result["counts"]
    assert counts.rounds >= 3 and rounds == list(range(1, counts.rounds + 1))
    assert collector.wait_for(
        lambda c: len(pairing_messages(c)) == counts.rounds * len(STANDARD_KIT)
        and c.events_seen == counts.events
    )
    announced = [json.loads(m.payload)["device"] for m in pairing_messages(collector)]
    assert announced == KIT_IDS * counts.rounds  # every round announces the whole kit, in order
    tests = sorted(  # the activations, in event time (each fire is 20 ms after the last)
        (json.loads(m.payload)["ts"], m.topic.split("/")[-2])
        for m in collector.on("/event")
        if json.loads(m.payload)["value"] is True
    )
    walked = [device for _, device in tests]
    assert walked == (KIT_IDS * len(walked))[: len(walked)]  # each sensor in turn, round the home


def test_run_stops_at_once_while_waiting(collector, connect):
    paired = connect()
    stop, result = threading.Event(), {}
    runner = threading.Thread(
        target=lambda: result.update(counts=paired.run(stop, announce_every_s=600, fire_every_s=600))
    )
    runner.start()
    try:  # both happen on entry; then the loop waits ten minutes for the next
        assert collector.wait_for(
            lambda c: len(pairing_messages(c)) == len(STANDARD_KIT) and c.events_seen == 2
        )
    finally:
        stop.set()
        runner.join(10)  # far shorter than the ten minutes: stop.wait, not a sleep, paces the loop
    assert not runner.is_alive()
    assert (result["counts"].rounds, result["counts"].events) == (1, 2)


def test_run_refuses_a_non_positive_pace(connect):
    with pytest.raises(ValueError, match="positive"):
        connect().run(threading.Event(), announce_every_s=0)


def test_command_pair_runs_the_first_homes_hub_for_the_time_given(prefix, collector, capsys):
    code = main(
        [
            "--pair",
            "--pair-for",
            "1",
            "--mqtt-url",
            "mqtt://127.0.0.1:1883",
            "--topic-prefix",
            prefix,
            "--hub-prefix",
            f"{prefix}-h",
        ]
    )
    assert code == 0
    hub = f"{prefix}-h001"
    out = capsys.readouterr().out
    assert re.search(rf"^{hub}: round 1: announced {len(STANDARD_KIT)} sensors on ", out, re.MULTILINE)
    assert re.search(rf"^{hub}: d-front \(contact\) value=true seq=1 ts=\S+\+00:00$", out, re.MULTILINE)
    assert re.search(rf"^{hub}: stopped: 1 announcement rounds, 2 events$", out, re.MULTILINE)
    assert collector.wait_for(
        lambda c: len(pairing_messages(c)) >= len(STANDARD_KIT) and c.events_seen >= 2
    )
    assert {m.topic for m in pairing_messages(collector)} == {f"{prefix}/{hub}/pairing"}
    assert [json.loads(m.payload)["device"] for m in pairing_messages(collector)] == KIT_IDS
    assert {m.topic for m in collector.on("/event")} == {f"{prefix}/{hub}/d-front/event"}


def test_python_m_simulator_pair_stops_cleanly_on_sigterm(prefix, hub, collector):
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "--pair", "--mqtt-url", "mqtt://127.0.0.1:1883"]
        + ["--topic-prefix", prefix, "--hub", hub],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert collector.wait_for(lambda c: c.events_seen >= 2, timeout=30)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert f"{hub}: stopped: " in out
    assert f"{hub}: round 1: announced" in out


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "--pair needs --mqtt-url"),
        (["--mqtt-url", "mqtt://127.0.0.1:1", "--out", "x.jsonl"], "only publishes"),
        (["--mqtt-url", "mqtt://127.0.0.1:1", "--hub", "a/b"], "hub id"),
        (["--mqtt-url", "http://127.0.0.1"], "mqtt://"),
    ],
)
def test_command_pair_refuses_options_it_cannot_honour(extra, message, capsys):
    assert main(["--pair", *extra]) == 2
    assert message in capsys.readouterr().err
