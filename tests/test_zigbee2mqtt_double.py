"""The Zigbee2MQTT double itself, against the real Mosquitto: what a subscriber of the bridge sees."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from tests.support import MOSQUITTO
from tests.zigbee2mqtt_double import (
    Json,
    Zigbee2MqttDouble,
    bed_sensor,
    door_contact,
    motion_sensor,
    sos_button,
)

TIMEOUT = 10.0


@dataclass(frozen=True)
class Seen:
    topic: str
    payload: Any  # parsed JSON, or the raw bytes
    retain: bool
    qos: int


class Watcher:
    """Subscribes to ``<base>/#`` like the service would, and keeps what arrives; tests wait on it."""

    def __init__(self, base: str) -> None:
        self.base, self.seen = base, []
        self._cond = threading.Condition()
        subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"watch-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv311)
        self.client.on_connect = lambda c, *_: c.subscribe(f"{base}/#", qos=1)
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(*MOSQUITTO)
        self.client.loop_start()
        assert subscribed.wait(TIMEOUT), "watcher could not subscribe"

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        try:
            payload: Any = json.loads(message.payload)
        except ValueError:
            payload = message.payload
        with self._cond:
            self.seen.append(Seen(message.topic, payload, bool(message.retain), message.qos))
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[Seen], bool], after: int = 0) -> Seen:
        """The first message matching ``predicate`` among those from the ``after``-th on."""
        with self._cond:
            found = self._cond.wait_for(lambda: next(filter(predicate, self.seen[after:]), None), TIMEOUT)
        assert found is not None, f"not seen within {TIMEOUT} s; seen: {self.seen}"
        return found

    def on(self, rest: str, predicate: Callable[[Any], bool] = lambda _p: True) -> Any:
        """The payload of the first message on ``<base>/<rest>`` matching ``predicate``."""
        return self.wait_for(lambda m: m.topic == f"{self.base}/{rest}" and predicate(m.payload)).payload

    def send(self, payload: Any) -> None:
        """Ask the bridge to permit joining, as the service would."""
        self.client.publish(f"{self.base}/bridge/request/permit_join", json.dumps(payload),
                            qos=1).wait_for_publish(TIMEOUT)

    def request(self, payload: Json, transaction: str) -> Any:
        """Ask the bridge to permit joining; its answer to this transaction."""
        self.send({**payload, "transaction": transaction})
        return self.on("bridge/response/permit_join", lambda p: p.get("transaction") == transaction)

    def nothing_retained(self) -> bool:
        """True when nothing retained arrived: retained messages come before a marker sent after subscribing."""
        self.client.publish(f"{self.base}/marker", b"{}", qos=1).wait_for_publish(TIMEOUT)
        self.wait_for(lambda m: m.topic == f"{self.base}/marker")
        return not [m for m in self.seen if m.retain]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def base() -> str:
    return f"zigbee2mqtt/test-{uuid.uuid4().hex[:10]}"  # nobody else's retained messages


@pytest.fixture
def make(base: str) -> Iterator[Callable[..., Any]]:
    """Starts bridges and watchers on this test's base topic; stops them and clears their retained topics."""
    bridges: list[Zigbee2MqttDouble] = []
    watchers: list[Watcher] = []

    def make(kind: str = "bridge", **options: Any) -> Any:
        if kind == "watcher":
            watchers.append(Watcher(base))
            return watchers[-1]
        bridges.append(Zigbee2MqttDouble(base, *MOSQUITTO, **options))
        bridges[-1].start()
        return bridges[-1]

    yield make
    for bridge in bridges:
        bridge.stop()  # also clears what it retained, even after a crash
    for watcher in watchers:
        watcher.close()


def test_a_late_subscriber_sees_the_retained_bridge_state_inventory_and_info(make: Callable[..., Any]) -> None:
    bridge = make(devices=[motion_sensor("hall/motion", ieee="0x00158d0001a2b3c4")])
    watcher = make("watcher")  # after the bridge started: everything it sees was retained

    assert watcher.on("bridge/state") == {"state": "online"}
    devices = watcher.on("bridge/devices")
    info = watcher.on("bridge/info")
    assert all(m.retain for m in watcher.seen)

    coordinator, motion = devices
    assert coordinator["type"] == "Coordinator" and coordinator["ieee_address"] == bridge.coordinator
    assert coordinator["network_address"] == 0 and coordinator["definition"] is None
    assert {k: motion[k] for k in ("ieee_address", "friendly_name", "type", "supported", "interview_completed",
                                   "interviewing", "interview_state", "power_source", "model_id",
                                   "manufacturer", "disabled")} == {
        "ieee_address": "0x00158d0001a2b3c4", "friendly_name": "hall/motion", "type": "EndDevice",
        "supported": True, "interview_completed": True, "interviewing": False, "interview_state": "SUCCESSFUL",
        "power_source": "Battery", "model_id": "lumi.sensor_motion.aq2", "manufacturer": "LUMI", "disabled": False}
    definition = motion["definition"]
    assert (definition["vendor"], definition["model"]) == ("Aqara", "RTCGQ11LM")
    occupancy = next(e for e in definition["exposes"] if e["name"] == "occupancy")
    assert occupancy | {"description": ""} == {
        "type": "binary", "name": "occupancy", "property": "occupancy", "access": 1, "value_on": True,
        "value_off": False, "label": "Occupancy", "description": ""}
    assert {e["property"] for e in definition["exposes"]} >= {
        "occupancy", "illuminance", "battery", "voltage", "device_temperature", "linkquality"}
    assert info["permit_join"] is False and "permit_join_end" not in info


def test_permit_join_requests_are_answered_as_zigbee2mqtt_answers_them(make: Callable[..., Any]) -> None:
    bridge = make()
    watcher = make("watcher")

    assert watcher.request({"time": 60}, "t1") == {"data": {"time": 60}, "status": "ok", "transaction": "t1"}
    assert bridge.permit_join_open
    info = watcher.on("bridge/info", lambda p: p["permit_join"])
    assert abs(info["permit_join_end"] / 1000 - (time.time() + 60)) < 5
    topic, payload = bridge.wait_for_request(lambda _t, p: p.get("transaction") == "t1")
    assert (topic, payload) == (f"{watcher.base}/bridge/request/permit_join", {"time": 60, "transaction": "t1"})

    assert watcher.request({"time": 0}, "t2") == {"data": {"time": 0}, "status": "ok", "transaction": "t2"}
    assert not bridge.permit_join_open
    assert watcher.request({"value": True, "time": 30}, "t3")["data"] == {"value": True, "time": 30}  # 1.x
    assert bridge.permit_join_open
    assert watcher.request({"value": False}, "t4")["data"] == {"value": False}  # 1.x
    assert not bridge.permit_join_open
    assert watcher.request({"time": 300}, "t5") == {"data": {}, "status": "error", "transaction": "t5",
                                                    "error": "Cannot permit join for more than 254 seconds."}
    assert watcher.request({"device": "hall/motion"}, "t6") == {
        "data": {}, "status": "error", "error": "Invalid payload", "transaction": "t6"}
    assert not bridge.permit_join_open

    opened_at = len(watcher.seen)
    watcher.send(1)  # 2.x takes a bare number of seconds too
    assert watcher.on("bridge/response/permit_join", lambda p: "transaction" not in p) == {
        "data": {"time": 1}, "status": "ok"}
    closed = watcher.wait_for(lambda m: m.topic.endswith("/bridge/info") and not m.payload["permit_join"],
                              after=opened_at)
    assert "permit_join_end" not in closed.payload and not bridge.permit_join_open  # the window ran out


def test_a_closed_network_never_hears_a_device_and_an_open_one_interviews_it(make: Callable[..., Any]) -> None:
    bridge = make()
    watcher = make("watcher")
    stranger = door_contact("porch/door")
    assert not bridge.join(stranger)

    watcher.request({"time": 120}, "open")
    button = sos_button("lounge/sos")
    assert bridge.join(button)
    watcher.on("bridge/event", lambda p: p["data"].get("status") == "successful")
    events = [m.payload for m in watcher.seen if m.topic.endswith("/bridge/event")]
    assert [(e["type"], e["data"].get("status")) for e in events] == [
        ("device_joined", None), ("device_interview", "started"), ("device_interview", "successful")]
    assert all(e["data"]["friendly_name"] == "lounge/sos" and e["data"]["ieee_address"] == button.ieee_address
               for e in events)
    definition = events[-1]["data"]["definition"]
    assert events[-1]["data"]["supported"] is True and definition["model"] == "TS0215A_sos"
    assert next(e for e in definition["exposes"] if e["name"] == "action")["values"] == ["emergency"]
    inventory = [m.payload for m in watcher.seen if m.topic.endswith("/bridge/devices")]
    assert [d["interview_state"] for d in inventory[-1][1:]] == ["SUCCESSFUL"]  # the stranger is not there
    everything = json.dumps([m.payload for m in watcher.seen if not isinstance(m.payload, bytes)])
    assert stranger.ieee_address not in everything

    watcher.request({"time": 0}, "close")
    bed = bed_sensor("bedroom/bed")
    assert bridge.join(bed, force=True, interview_fails=True)  # someone else opened the network
    failed = watcher.on("bridge/event", lambda p: p["data"].get("status") == "failed")
    assert failed == {"type": "device_interview", "data": {
        "friendly_name": "bedroom/bed", "ieee_address": bed.ieee_address, "status": "failed"}}
    listed = watcher.on("bridge/devices", lambda p: any(d["interview_state"] == "FAILED" for d in p))[-1]
    assert (listed["supported"], listed["definition"], listed["interview_completed"]) == (False, None, False)
    with pytest.raises(ValueError, match="never interviewed"):
        bridge.bed("bedroom/bed", occupied=True)

    bridge.leave("lounge/sos")
    assert watcher.on("bridge/event", lambda p: p["type"] == "device_leave")["data"] == {
        "ieee_address": button.ieee_address, "friendly_name": "lounge/sos"}


def test_reports_repeat_the_cached_state_and_an_open_door_is_contact_false(make: Callable[..., Any]) -> None:
    door, button = door_contact("hall/front_door"), sos_button("lounge/sos")
    bed = bed_sensor("bedroom/bed")
    bridge = make(devices=[door, button, bed], last_seen=True)
    watcher = make("watcher")

    opened = bridge.door("hall/front_door", open=True)
    seen = watcher.wait_for(lambda m: m.topic == f"{watcher.base}/hall/front_door")
    assert seen.payload == opened and not seen.retain and seen.qos == 1
    assert (opened["contact"], opened["battery"], opened["linkquality"]) == (False, 100, 120)
    assert opened["last_seen"].endswith("Z")
    again = bridge.report("hall/front_door", linkquality=88)
    assert (again["contact"], again["linkquality"], again["voltage"]) == (False, 88, 3025)  # the cache repeats
    assert bridge.door("hall/front_door", open=False)["contact"] is True

    assert bridge.press("lounge/sos")["action"] == "emergency"
    assert "action" not in bridge.report("lounge/sos", battery=97)  # published once, never cached
    with pytest.raises(ValueError, match="only sends actions"):
        bridge.press("lounge/sos", action="single")
    assert bridge.bed("bedroom/bed", occupied=True) | {"last_seen": ""} == {
        "occupancy": True, "work_state": "presence", "battery": 100, "sensitivity": "middle", "linkquality": 120,
        "last_seen": ""}

    bridge.availability("bedroom/bed", online=False)
    availability = watcher.wait_for(lambda m: m.topic == f"{watcher.base}/bedroom/bed/availability")
    assert availability.payload == {"state": "offline"}


def test_a_crash_leaves_the_will_and_a_clean_stop_says_offline(make: Callable[..., Any]) -> None:
    bridge = make()
    watcher = make("watcher")
    bridge.crash()
    assert watcher.on("bridge/state", lambda p: p == {"state": "offline"}) == {"state": "offline"}
    late = make("watcher")
    assert late.wait_for(lambda m: m.topic.endswith("/bridge/state")).payload == {"state": "offline"}

    again = make()  # the hub comes back
    watcher.on("bridge/state", lambda p: p == {"state": "online"})
    again.stop(clear_retained=False)
    assert make("watcher").on("bridge/state") == {"state": "offline"}  # retained over the "online"
    again.clear_retained()
    bridge.clear_retained()
    assert make("watcher").nothing_retained()
