"""Pairing over our own MQTT contract, through the installers' API, against the real services.

A hub announces new sensors on ``<prefix>/<hub>/pairing``; only in pairing mode do they appear as new;
the installer names them, tests them live, and takes the home live once the checklist passes. While a
home is being commissioned nothing reaches detection: the installer's test press of the help button
is not an emergency. After it goes live, it is.
"""

from __future__ import annotations

from sqlalchemy import func, select

from telecare.models import Alert, Device, Event, Household, RejectedMessage
from tests.support import wait_for
from tests.test_alert_escalation import api_for
from tests.test_safety_alerts import send

KIT = (  # (device, type, room, label)
    ("m-bed", "motion", "bedroom", "Bedroom"),
    ("m-kit", "motion", "kitchen", "Kitchen"),
    ("m-bath", "motion", "bathroom", "Bathroom"),
    ("d-front", "contact", "front_door", "Front door"),
    ("p-help", "button", "bedroom", "Pendant"),
)


def announce(pub, stack, hub, device, dtype, model="Acme PIR-2"):
    pub.publish(f"{stack.prefix}/{hub}/pairing", {"device": device, "type": dtype, "model": model})
    pub.flush()


def status_of(api, hub):
    r = api.get(f"/api/households/{hub}/commissioning")
    assert r.status_code == 200, r.text
    return r.json()


def device_in(status, key):
    return next((d for d in status["devices"] if d["device"] == key), None)


def refusals(service, hub, reason):
    with service.factory() as s:
        return s.scalar(select(func.count()).select_from(RejectedMessage).where(
            RejectedMessage.hub == hub, RejectedMessage.reason == reason))


def new_home(api, hub):
    r = api.post("/api/households", json={"hub": hub, "name": f"Home {hub}", "timezone": "Europe/London"})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "commissioning"


def test_a_sensor_announced_outside_pairing_mode_is_refused_with_its_reason(stack, start_service, publisher_for):
    service = start_service(stack, serve_http=True)
    api, pub = api_for(stack), publisher_for(stack)
    new_home(api, "hub-quiet")
    announce(pub, stack, "hub-quiet", "m-stranger", "motion")
    wait_for(lambda: refusals(service, "hub-quiet", "not_pairing") == 1)
    assert device_in(status_of(api, "hub-quiet"), "m-stranger") is None
    assert status_of(api, "hub-quiet")["refused"][0]["reason"] == "not_pairing"
    # A malformed announcement is refused with its own reason, and the ingester keeps going.
    pub.publish(f"{stack.prefix}/hub-quiet/pairing", {"device": "has space", "type": "motion"})
    wait_for(lambda: refusals(service, "hub-quiet", "bad_announcement") == 1)


def test_an_installer_pairs_names_tests_and_takes_a_home_live(stack, start_service, publisher_for):
    service = start_service(stack, serve_http=True)
    api, pub = api_for(stack), publisher_for(stack)
    hub = "hub-new"
    new_home(api, hub)
    pub.publish(f"{stack.prefix}/{hub}/status", {"online": True}, retain=False)
    assert api.post(f"/api/households/{hub}/pairing", json={"minutes": 10}).json()["pairing"] is True
    for device, dtype, _room, _label in KIT:
        announce(pub, stack, hub, device, dtype)
    wait_for(lambda: all(device_in(status_of(api, hub), d) for d, *_ in KIT))
    assert {d["pairing"] for d in status_of(api, hub)["devices"]} == {"new"}

    # A new sensor's events are refused until it is named.
    send(pub, stack, hub, "m-kit", service.clock.now(), True, seq=1)
    wait_for(lambda: refusals(service, hub, "not_paired") == 1)
    assert not status_of(api, hub)["ready"]

    for device, dtype, room, label in KIT:
        r = api.put(f"/api/households/{hub}/devices/{device}", json={"type": dtype, "room": room, "label": label})
        assert r.status_code == 200, r.text
    r = api.post(f"/api/households/{hub}/devices/d-front/test")
    assert r.json()["instruction"] == "Open the front door now"
    checklist = {i["code"]: i["ok"] for i in status_of(api, hub)["checklist"]}
    assert checklist == {"bedroom": True, "kitchen": True, "bathroom": True, "front_door": True,
                         "all_named": True, "all_tested": False, "batteries": True, "hub_online": True}
    refused = api.post(f"/api/households/{hub}/go-live")
    assert refused.status_code == 409 and "Not tested yet" in refused.json()["error"]["message"]

    for seq, (device, *_rest) in enumerate(KIT, start=10):
        api.post(f"/api/households/{hub}/devices/{device}/test")
        send(pub, stack, hub, device, service.clock.now(), True, seq=seq)
        wait_for(lambda device=device: device_in(status_of(api, hub), device)["tested_at"], timeout=10)
    # The test press of the help button during commissioning raised nothing.
    with service.factory() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 0

    live = api.post(f"/api/households/{hub}/go-live")
    assert live.status_code == 200, live.text
    assert live.json()["status"] == "learning" and live.json()["pairing"] is False
    send(pub, stack, hub, "p-help", service.clock.now(), True, seq=99)
    wait_for(lambda: _alert_kinds(service) == ["help_request"])


def test_unpairing_takes_a_sensor_out_of_detection_and_keeps_its_history(stack, start_service, publisher_for):
    service = start_service(stack, serve_http=True)
    api, pub = api_for(stack), publisher_for(stack)
    hub = "hub-unpair"
    new_home(api, hub)
    api.post(f"/api/households/{hub}/pairing", json={"minutes": 5})
    announce(pub, stack, hub, "m-hall", "motion")
    wait_for(lambda: device_in(status_of(api, hub), "m-hall"))
    api.put(f"/api/households/{hub}/devices/m-hall", json={"type": "motion", "room": "hallway"})
    send(pub, stack, hub, "m-hall", service.clock.now(), True, seq=1)
    wait_for(lambda: _events(service, "m-hall") == 1)

    assert api.delete(f"/api/households/{hub}/devices/m-hall").json()["pairing"] == "unpaired"
    assert device_in(status_of(api, hub), "m-hall") is None
    # Every ingest worker re-reads a home whose device list changed (within its poll interval).
    wait_for(lambda: "m-hall" not in service.ingester.registry.get(hub).devices, timeout=10)
    send(pub, stack, hub, "m-hall", service.clock.now(), True, seq=2)
    wait_for(lambda: refusals(service, hub, "unknown_device") == 1)
    assert _events(service, "m-hall") == 1  # history kept, nothing new accepted
    # Announced again in pairing mode, it comes back as new, its history still there.
    announce(pub, stack, hub, "m-hall", "motion")
    wait_for(lambda: (device_in(status_of(api, hub), "m-hall") or {}).get("pairing") == "new")
    assert _events(service, "m-hall") == 1


def _alert_kinds(service) -> list[str]:
    with service.factory() as s:
        return list(s.scalars(select(Alert.kind)))


def _events(service, key: str) -> int:
    with service.factory() as s:
        return s.scalar(select(func.count()).select_from(Event).join(Device, Device.id == Event.device_id)
                        .where(Device.key == key))


def test_a_home_being_commissioned_has_no_learning_progress_until_it_goes_live(stack, start_service):
    service = start_service(stack, serve_http=True)
    api = api_for(stack)
    new_home(api, "hub-progress")
    with service.factory() as s:
        assert s.scalar(select(Household.live_at).where(Household.hub == "hub-progress")) is None
    assert api.get("/api/households/hub-progress").json()["state"]["code"] == "commissioning"


def test_a_hub_publishing_under_another_hubs_topic_is_refused_by_the_services_own_broker(
    embedded_stack, start_service
):
    """The embedded broker keeps the production ACL's rule (tests/test_broker_acl.py checks
    Mosquitto's): hub-a, logged in as itself, cannot speak for hub-b."""
    from telecare import metrics
    from tests import factories
    from tests.support import Publisher

    homes = [factories.household("hub-a"), factories.household("hub-b")]
    service = start_service(embedded_stack, homes)
    refused_before = metrics.MQTT_PUBLISH_REFUSED._value.get()
    hub_a = Publisher(embedded_stack.mqtt_host, embedded_stack.mqtt_port, embedded_stack.protocol,
                      client_id="hub-a-conn", username="hub-a")
    try:
        now = service.clock.now()
        send(hub_a, embedded_stack, "hub-b", "m-kitchen", now, True, seq=1)  # not its own
        wait_for(lambda: metrics.MQTT_PUBLISH_REFUSED._value.get() == refused_before + 1)
        send(hub_a, embedded_stack, "hub-a", "m-kitchen", now, True, seq=2)  # its own, after it
        wait_for(lambda: _events(service, "m-kitchen") == 1)
    finally:
        hub_a.close()
    with service.factory() as s:
        stored = s.scalars(select(Household.hub).join(Event, Event.household_id == Household.id)).all()
    assert stored == ["hub-a"]
