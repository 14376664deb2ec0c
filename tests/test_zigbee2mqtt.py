"""A home whose hub runs Zigbee2MQTT, paired through our API, against the real Mosquitto and PostgreSQL.

``tests.zigbee2mqtt_double`` speaks Zigbee2MQTT's MQTT API with real device models and payload
shapes. The installer opens pairing mode (our service asks the bridge to permit joining), a motion
sensor, a door contact, a bed sensor and an SOS button join and are interviewed, the installer names
and tests each one live, takes the home live, and from then on their state **changes** are events:
the SOS button's ``emergency`` action is a help request, a repeated state is not an event.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from telecare.models import Alert, Device, Event, RejectedMessage
from tests import zigbee2mqtt_double as z2m
from tests.support import wait_for
from tests.test_alert_escalation import api_for
from tests.test_pairing import device_in, status_of

NAMES = {  # friendly name (with "/" in some, as installers name them) -> (type, room, label)
    "bedroom/motion": ("motion", "bedroom", "Bedroom"),
    "kitchen/motion": ("motion", "kitchen", "Kitchen"),
    "bathroom/motion": ("motion", "bathroom", "Bathroom"),
    "front door": ("contact", "front_door", "Front door"),
    "bedroom/bed": ("bed", "bedroom", "Bed"),
    "pendant": ("button", "other", "SOS pendant"),
}


@pytest.fixture
def home(real_stack, start_service):
    service = start_service(real_stack, serve_http=True)
    hub = f"z2m-{uuid.uuid4().hex[:8]}"
    api = api_for(real_stack)
    r = api.post("/api/households", json={"hub": hub, "name": "Zigbee home", "bridge": "zigbee2mqtt"})
    assert r.status_code == 201, r.text
    assert r.json()["bridge_topic"] == f"zigbee2mqtt/{hub}"
    bridge = z2m.Zigbee2MqttDouble(f"zigbee2mqtt/{hub}", real_stack.mqtt_host, real_stack.mqtt_port)
    bridge.start()
    yield service, api, hub, bridge
    bridge.stop()


def key_of(api, hub, name):
    return next(d["device"] for d in status_of(api, hub)["devices"] if d["bridge_name"] == name)


def events_of(service, key):
    with service.factory() as s:
        return list(s.scalars(select(Event.value).join(Device, Device.id == Event.device_id)
                              .where(Device.key == key).order_by(Event.id)))


def test_zigbee_sensors_pair_through_our_api_test_live_and_the_sos_button_raises_a_help_request(home):
    service, api, hub, bridge = home
    wait_for(lambda: status_of(api, hub)["hub_online"] is True)  # bridge/state, retained

    # Joining while our pairing mode is off is refused and logged, whoever opened the network.
    stranger = z2m.motion_sensor("stranger")
    assert bridge.join(stranger, force=True)
    wait_for(lambda: any(r["reason"] == "not_pairing" for r in status_of(api, hub)["refused"]))
    assert status_of(api, hub)["devices"] == []

    api.post(f"/api/households/{hub}/pairing", json={"minutes": 10})
    _topic, asked = bridge.wait_for_request(lambda t, _p: t.endswith("bridge/request/permit_join"))
    assert asked["time"] > 0
    wait_for(lambda: status_of(api, hub)["permit_join_until"] is not None)
    devices = {"bedroom/motion": z2m.motion_sensor("bedroom/motion"),
               "kitchen/motion": z2m.motion_sensor("kitchen/motion"),
               "bathroom/motion": z2m.motion_sensor("bathroom/motion"),
               "front door": z2m.door_contact("front door"),
               "bedroom/bed": z2m.bed_sensor("bedroom/bed"), "pendant": z2m.sos_button("pendant")}
    for device in devices.values():
        assert bridge.join(device)
    wait_for(lambda: {d["bridge_name"] for d in status_of(api, hub)["devices"] if d["model"]} >= set(NAMES))
    status = status_of(api, hub)
    suggested = {d["bridge_name"]: (d["type"], d["model"]) for d in status["devices"]}
    assert suggested["front door"] == ("contact", "Aqara MCCGQ11LM")
    assert suggested["pendant"] == ("button", "Tuya TS0215A_sos")
    assert all(d["pairing"] == "new" for d in status["devices"] if d["bridge_name"] in NAMES)
    # The stranger listed in the inventory now that pairing is on joins as new too: the installer
    # unpairs what is not theirs.
    api.delete(f"/api/households/{hub}/devices/{key_of(api, hub, 'stranger')}")

    keys = {name: key_of(api, hub, name) for name in NAMES}
    for name, (dtype, room, label) in NAMES.items():
        r = api.put(f"/api/households/{hub}/devices/{keys[name]}", json={"type": dtype, "room": room, "label": label})
        assert r.status_code == 200, r.text
    live_test = {"front door": lambda: bridge.door("front door", open=True),
                 "bedroom/bed": lambda: bridge.bed("bedroom/bed", occupied=True),
                 "pendant": lambda: bridge.press("pendant", "emergency")}
    for name in NAMES:
        r = api.post(f"/api/households/{hub}/devices/{keys[name]}/test")
        assert r.status_code == 200, r.text
        live_test.get(name, lambda name=name: bridge.motion(name, occupied=True))()
        wait_for(lambda name=name: device_in(status_of(api, hub), keys[name])["tested_at"], timeout=10)
    with service.factory() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 0  # the test press is not an emergency

    live = api.post(f"/api/households/{hub}/go-live")
    assert live.status_code == 200, live.text
    wait_for(lambda: status_of(api, hub)["permit_join_until"] is None)  # the network is closed again

    # Only changes are events: a repeat of the cached state (a link quality report) is not.
    door = keys["front door"]
    assert events_of(service, door) == [1.0]
    bridge.report("front door", linkquality=87)
    bridge.door("front door", open=False)
    wait_for(lambda: events_of(service, door) == [1.0, 0.0])
    with service.factory() as s:
        assert s.scalar(select(Device.link_quality).where(Device.key == door)) == 120
    bridge.bed("bedroom/bed", occupied=False)
    wait_for(lambda: events_of(service, keys["bedroom/bed"]) == [1.0, 0.0])

    bridge.press("pendant", "emergency")
    wait_for(lambda: _open_alerts(service) == ["help_request"])

    # Availability (a name with "/" in it) and leaving the network.
    bridge.availability("bedroom/motion", online=False)
    wait_for(lambda: device_in(status_of(api, hub), keys["bedroom/motion"])["online"] is False)
    bridge.leave("kitchen/motion")
    wait_for(lambda: device_in(status_of(api, hub), keys["kitchen/motion"]) is None)
    assert events_of(service, keys["kitchen/motion"]) == [1.0]  # its history stays

    # The bridge's connection drops: its Last Will says offline, and that is hub_offline.
    bridge.crash()
    wait_for(lambda: "hub_offline" in _open_alerts(service), timeout=30)
    with service.factory() as s:
        reasons = set(s.scalars(select(RejectedMessage.reason).where(RejectedMessage.hub == hub)))
    assert reasons == {"not_pairing"}


def _open_alerts(service) -> list[str]:
    with service.factory() as s:
        return sorted(s.scalars(select(Alert.kind).where(Alert.status == "triggered")))
