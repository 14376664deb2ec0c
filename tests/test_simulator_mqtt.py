"""The simulated hub against real brokers: the local Mosquitto (127.0.0.1:1883) and amqtt."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from ingest.broker import free_port
from simulator.command import main
from simulator.eventsfile import mqtt_payload
from simulator.faults import malformed_messages
from simulator.fleet import publish_homes
from simulator.publisher import (
    PROTOCOLS,
    BrokerAddress,
    HubPublisher,
    Pacer,
    PublishError,
)
from simulator.simulation import build_homes
from telecare.clock import AcceleratedClock

MOSQUITTO = ("127.0.0.1", 1883)
BROKER = BrokerAddress(*MOSQUITTO)


class Collector:
    """Subscribes to ``<prefix>/#`` at QoS 1 and keeps what arrives; tests wait on it."""

    def __init__(self, prefix: str, port: int = MOSQUITTO[1], protocol: int = mqtt.MQTTv5) -> None:
        self.prefix, self.messages = prefix, []
        self.events_seen = 0  # kept as messages arrive: waiting must stay cheap or Mosquitto,
        # whose queue per subscriber is bounded, drops what a slow subscriber cannot take
        self._condition = threading.Condition()
        subscribed = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"collect-{uuid.uuid4().hex[:8]}",
            protocol=protocol,
        )
        self.client.username_pw_set("collector")
        self.client.on_connect = lambda c, *_: c.subscribe(f"{prefix}/#", qos=1)
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert subscribed.wait(10), "collector could not subscribe"

    def _on_message(self, client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._condition:
            self.messages.append(message)
            self.events_seen += message.topic.endswith("/event")
            self._condition.notify_all()

    def wait_for(self, enough: Callable[[Collector], bool], timeout: float = 30.0) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: enough(self), timeout)

    def on(self, suffix: str) -> list[mqtt.MQTTMessage]:
        with self._condition:
            return [m for m in self.messages if m.topic.endswith(suffix)]

    def close(self, clear_retained: bool = True) -> None:
        if clear_retained:  # Mosquitto persists retained messages: leave nothing behind
            for topic in {m.topic for m in self.messages if m.topic.endswith("/status")}:
                self.client.publish(topic, b"", qos=1, retain=True).wait_for_publish(10)
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def collector(prefix: str) -> Iterator[Collector]:
    c = Collector(prefix)
    yield c
    c.close()


def one_home(prefix: str, days: int = 1):
    return build_homes(1, seed=11, days=days, hub_prefix=f"{prefix}-h")[0]


def count_events(n: int) -> Callable[[Collector], bool]:
    return lambda collector: collector.events_seen >= n


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_publisher_delivers_every_event_to_a_real_broker(prefix, collector, protocol):
    home = one_home(prefix)
    events = list(home.events())
    publisher = HubPublisher(home.hub, topic_prefix=prefix, protocol=PROTOCOLS[protocol])
    publisher.connect(home.device_statuses())
    counts = publisher.publish_events(events, progress=lambda _: None)
    publisher.close()
    assert counts.published == len(events) and counts.duplicates == 0
    assert collector.wait_for(count_events(len(events)))
    received = collector.on("/event")
    assert len(received) == len(events)
    for device in {e["device"] for e in events}:  # MQTT keeps order per topic
        sent = [mqtt_payload(e) for e in events if e["device"] == device]
        assert [
            m.payload for m in received if m.topic == f"{prefix}/{home.hub}/{device}/event"
        ] == sent
    assert all(m.qos == 1 for m in received)
    assert json.loads(collector.on(f"{home.hub}/status")[0].payload) == {"online": True}


def test_hub_and_device_status_are_retained(prefix, collector):
    home = one_home(prefix)
    with HubPublisher(home.hub, topic_prefix=prefix) as publisher:
        publisher.connect(home.device_statuses())
    assert collector.wait_for(lambda c: len(c.messages) >= 1 + len(home.household["devices"]))
    late = Collector(prefix)  # subscribes afterwards: sees only what the broker retained
    try:
        assert late.wait_for(lambda c: len(c.messages) >= 1 + len(home.household["devices"]))
        assert all(m.retain for m in late.messages)
        statuses = {m.topic.split("/")[-2]: json.loads(m.payload) for m in late.on("/status")}
        assert statuses[home.hub] == {"online": True}
        assert statuses["bed"]["online"] is True and 0 <= statuses["bed"]["battery"] <= 100
        assert "battery" not in statuses["kettle"] and statuses["kettle"]["rssi"] < 0
    finally:
        late.close(clear_retained=False)


def test_hub_will_says_offline_when_the_hub_drops(prefix, collector):
    home = one_home(prefix)
    publisher = HubPublisher(home.hub, topic_prefix=prefix, protocol=mqtt.MQTTv5)
    publisher.connect()
    assert collector.wait_for(
        lambda c: any(json.loads(m.payload) == {"online": True} for m in c.messages)
    )
    # MQTT 5 lets a client leave as if it had dropped: the broker then sends its Will.
    publisher.client.disconnect(reasoncode=ReasonCode(PacketTypes.DISCONNECT, identifier=4))
    publisher.client.loop_stop()
    assert collector.wait_for(lambda c: json.loads(c.messages[-1].payload) == {"online": False})
    assert collector.on("/status")[-1].topic == f"{prefix}/{home.hub}/status"


def test_publisher_keeps_few_messages_unacknowledged(prefix, collector):
    home = one_home(prefix)
    events = list(home.events())
    publisher = HubPublisher(home.hub, topic_prefix=prefix, max_unacked=1000)
    publisher.connect()
    assert publisher.window <= 1000  # Mosquitto may ask for fewer (MQTT 5 Receive Maximum)
    highest = 0

    def watch(_: int) -> None:
        nonlocal highest
        highest = max(highest, publisher.unacknowledged)

    publisher.publish_events(events, progress=watch)
    publisher.close()
    assert 0 < highest <= publisher.window
    assert collector.wait_for(count_events(len(events)))


def test_duplicates_arrive_as_identical_copies(prefix, collector):
    home = one_home(prefix)
    events = list(home.events())
    with HubPublisher(home.hub, topic_prefix=prefix) as publisher:
        publisher.connect()
        counts = publisher.publish_events(events, duplicates=0.1, seed=3)
    assert 0.05 * len(events) < counts.duplicates < 0.15 * len(events)
    assert collector.wait_for(count_events(len(events) + counts.duplicates))
    payloads = [m.payload for m in collector.on("/event")]
    assert len(payloads) - len(set(payloads)) == counts.duplicates


def test_malformed_payloads_arrive_byte_for_byte(prefix, collector):
    home = one_home(prefix)
    messages = malformed_messages(home.household, 9, home.window_start, home.window_end, seed=1)
    with HubPublisher(home.hub, topic_prefix=prefix) as publisher:
        publisher.connect()
        for message in messages:
            publisher.publish_raw(message)
    assert collector.wait_for(count_events(9))
    got = {(m.topic, m.payload) for m in collector.on("/event")}
    assert got == {(f"{prefix}/{home.hub}/{m.topic_suffix}", m.payload) for m in messages}


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_command_publishes_every_home_to_the_broker(prefix, collector, capsys, protocol):
    code = main(
        [
            "--homes",
            "2",
            "--days",
            "1",
            "--mqtt-url",
            "mqtt://127.0.0.1:1883",
            "--protocol",
            protocol,
            "--topic-prefix",
            prefix,
            "--hub-prefix",
            f"{prefix}-h",
            "--duplicates",
            "0.05",
            "--malformed",
            "9",
            "--max-rate",  # one Python subscriber: unthrottled 3.1.1 hubs outrun it and
            "2000",  # Mosquitto then drops what overflows its queue for the subscriber
        ]
    )
    assert code == 0
    lines = re.findall(
        r"(\S+): published (\d+) events, (\d+) duplicates, (\d+) malformed", capsys.readouterr().out
    )
    assert [hub for hub, *_ in lines] == [f"{prefix}-h001", f"{prefix}-h002"]
    total = sum(int(p) + int(d) + int(r) for _, p, d, r in lines)
    assert collector.wait_for(count_events(total))
    assert len(collector.on("/event")) == total


def test_paced_homes_stop_cleanly_when_told(prefix, collector):
    homes = build_homes(2, seed=4, days=1, hub_prefix=f"{prefix}-h")
    total = sum(1 for h in homes for _ in h.events())
    stop = threading.Event()
    pacer = Pacer(AcceleratedClock(homes[0].window_start, speed=3600), stop)  # an hour a second
    result: dict = {}
    runner = threading.Thread(
        target=lambda: result.update(publish_homes(homes, BROKER, topic_prefix=prefix, pacer=pacer))
    )
    runner.start()
    assert collector.wait_for(count_events(5))  # the small hours are quiet: wait for a few
    stop.set()
    runner.join(30)
    assert not runner.is_alive()
    sent = sum(c.published for c in result.values())
    assert 5 <= sent < total
    assert collector.wait_for(count_events(sent))  # everything sent was acknowledged and delivered


def test_publisher_reports_a_broker_that_is_not_there():
    # The port stays bound (never listening) while we connect: a released port can be taken by
    # another server meanwhile, or the client can connect to itself (TCP simultaneous open) and
    # then wait for a CONNACK that never comes; both were seen in CI.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        with pytest.raises(PublishError, match="cannot reach"):
            HubPublisher("sim-x", port=port).connect(timeout=2)


@pytest.fixture
def amqtt_port() -> Iterator[int]:
    """An amqtt broker (the embedded broker's engine) on a free port, in its own thread."""
    from amqtt.broker import Broker

    port = free_port()
    ready, control = threading.Event(), {}

    async def serve() -> None:
        broker = Broker({"listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}}})
        await broker.start()
        control["loop"], control["stop"] = asyncio.get_running_loop(), asyncio.Event()
        ready.set()
        await control["stop"].wait()
        await broker.shutdown()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(15), "amqtt broker did not start"
    yield port
    control["loop"].call_soon_threadsafe(control["stop"].set)
    thread.join(15)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # amqtt's own, about psutil
def test_publisher_speaks_mqtt_311_to_an_amqtt_broker(amqtt_port):
    home = build_homes(1, seed=2, days=1, hub_prefix="amqtt-")[0]
    events = list(home.events())
    collector = Collector("telecare", port=amqtt_port, protocol=mqtt.MQTTv311)
    try:
        with HubPublisher(home.hub, port=amqtt_port, protocol=PROTOCOLS["3.1.1"]) as publisher:
            publisher.connect(home.device_statuses())
            counts = publisher.publish_events(events)
        assert collector.wait_for(count_events(counts.published))
        assert len(collector.on("/event")) == len(events)
    finally:
        collector.close(clear_retained=False)
