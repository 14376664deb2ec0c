"""Sensors and hubs going quiet: told to maintenance as what it is, never mistaken for the person."""

from __future__ import annotations

import pickle
import uuid
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
from sqlalchemy import select

from alerts.care_circle import add_contact
from alerts.service import apply_signal
from detection.engine import DetectionEngine
from telecare.clock import ManualClock
from telecare.db import make_engine, make_session_factory, migrate, session_scope
from telecare.domain import AlertKind, AlertSignal, DeviceType, Room, SensorEvent
from telecare.households import upsert_household
from telecare.models import Contact, Notification
from tests import factories
from tests.support import wait_for
from tests.test_safety_alerts import alerts, monitor, send

T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)


def lived_week(engine: DetectionEngine, hub: str = "h1", days: int = 7) -> datetime:
    """A week: the thermometer every 30 min; kitchen motion from 07:00 to 22:00 every 20 min."""
    events = []
    for minute in range(0, days * 24 * 60, 10):
        ts = T0 + timedelta(minutes=minute)
        if minute % 30 == 0:
            events.append(SensorEvent(hub, "temp", DeviceType.TEMPERATURE, Room.KITCHEN, ts, 19.0))
        if minute % 20 == 0 and 7 <= ts.hour < 22:
            events.append(SensorEvent(hub, "m-kitchen", DeviceType.MOTION, Room.KITCHEN, ts, 1.0))
    engine.process(events)
    return T0 + timedelta(days=days)


def offline_alerts(signals) -> list[AlertSignal]:
    return [s for s in signals if isinstance(s, AlertSignal) and s.kind is AlertKind.DEVICE_OFFLINE]


def test_a_sensor_that_stops_reporting_is_reported_within_twice_its_usual_silence():
    engine = DetectionEngine()
    engine.add_household("h1", "UTC")
    end = lived_week(engine)
    usual = engine.health["h1"].usual_silence("temp")
    assert usual == timedelta(minutes=30)
    last_temp = end - timedelta(minutes=30)
    raised, now = [], end
    while not raised and now < end + timedelta(hours=6):
        engine.process([SensorEvent("h1", "m-kitchen", DeviceType.MOTION, Room.KITCHEN, now, 1.0)]
                       if 7 <= now.hour < 22 else [])
        raised = offline_alerts(engine.tick(now))
        now += timedelta(minutes=1)
    [alert] = raised
    silence = alert.ts - last_temp
    assert usual * 1.75 <= silence <= usual * 2, silence
    assert alert.evidence["device"] == "temp"
    assert "kitchen temperature sensor has sent nothing since" in alert.summary
    assert offline_alerts(engine.tick(now + timedelta(minutes=5))) == []  # once per silence
    back = engine.process([SensorEvent("h1", "temp", DeviceType.TEMPERATURE, Room.KITCHEN, now, 19.0)])
    assert [s.kind for s in back] == [AlertKind.DEVICE_OFFLINE]  # a clear: reporting again


def test_a_sensor_that_comes_back_and_stops_again_is_reported_again_on_time():
    engine = DetectionEngine()
    engine.add_household("h1", "UTC")
    now = lived_week(engine)
    for _ in range(2):  # reported, back for an hour, silent again
        last_temp, raised = now - timedelta(minutes=30), []
        usual = engine.health["h1"].usual_silence("temp")
        assert usual == timedelta(minutes=30)  # the outage it came back from is not learned as usual
        while not raised:
            engine.process([SensorEvent("h1", "m-kitchen", DeviceType.MOTION, Room.KITCHEN, now, 1.0)])
            raised = offline_alerts(engine.tick(now))
            now += timedelta(minutes=1)
        assert usual * 1.75 <= raised[0].ts - last_temp <= usual * 2
        for minute in range(0, 60, 30):
            engine.process([SensorEvent("h1", "temp", DeviceType.TEMPERATURE, Room.KITCHEN,
                                        now + timedelta(minutes=minute), 19.0)])
            engine.tick(now + timedelta(minutes=minute))
        now += timedelta(minutes=60)


def test_a_motion_sensor_quiet_every_night_is_not_called_offline():
    engine = DetectionEngine()
    engine.add_household("h1", "UTC")
    end = lived_week(engine, days=10)
    usual = engine.health["h1"].usual_silence("m-kitchen")
    assert timedelta(hours=9) <= usual <= timedelta(hours=9, minutes=30)  # 22:00 to 07:00
    signals = []
    for minute in range(0, 24 * 60, 5):
        now = end + timedelta(minutes=minute)
        batch = []
        if minute % 30 == 0:
            batch.append(SensorEvent("h1", "temp", DeviceType.TEMPERATURE, Room.KITCHEN, now, 19.0))
        if minute % 20 == 0 and 7 <= now.hour < 22:
            batch.append(SensorEvent("h1", "m-kitchen", DeviceType.MOTION, Room.KITCHEN, now, 1.0))
        engine.process(batch)
        signals += engine.tick(now)
    assert offline_alerts(signals) == []


def test_while_the_household_is_away_quiet_motion_sensors_are_not_reported():
    engine = DetectionEngine()
    engine.add_household("h1", "UTC")
    end = lived_week(engine)
    engine.set_away("h1", True)
    signals = []
    for minute in range(0, 3 * 24 * 60, 30):
        now = end + timedelta(minutes=minute)
        engine.process([SensorEvent("h1", "temp", DeviceType.TEMPERATURE, Room.KITCHEN, now, 19.0)])
        signals += engine.tick(now)
    assert offline_alerts(signals) == []


def test_what_a_device_usually_does_survives_a_restart():
    engine = DetectionEngine()
    engine.add_household("h1", "UTC")
    lived_week(engine)
    blob = engine.dump("h1")
    again = DetectionEngine()
    again.restore("h1", blob)
    assert again.health["h1"].usual_silence("temp") == timedelta(minutes=30)
    old = pickle.loads(blob)
    del old["devices"]  # a snapshot from before device health: a fresh one starts
    fresh = DetectionEngine()
    fresh.restore("h1", pickle.dumps(old))
    assert fresh.health["h1"].usual_silence("temp") is None


def test_a_hub_whose_connection_drops_raises_hub_offline_and_no_inactivity(stack, start_service,
                                                                            publisher_for):
    clock = ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    home = factories.household()
    service = start_service(stack, [home], clock=clock)
    send(publisher_for(stack), stack, home.hub, "m-kitchen", clock.now(), True, seq=1)
    # The hub's own connection, with its Last Will, then a dropped socket (no clean DISCONNECT).
    client_id = f"hub-{uuid.uuid4().hex[:6]}"
    hub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=stack.protocol)
    hub.username_pw_set(home.hub)  # a hub logs in as itself: it may write only under its own topics
    hub.will_set(f"{stack.prefix}/{home.hub}/status", '{"online": false}', qos=1, retain=True)
    hub.connect(stack.mqtt_host, stack.mqtt_port)
    hub.loop_start()
    wait_for(hub.is_connected)
    hub.loop_stop()
    hub.socket().close()
    [offline] = wait_for(lambda: alerts(service, "hub_offline"))
    assert offline.status == "triggered" and "not the person being inactive" in offline.summary
    assert monitor(service, home.hub).hub_online is False
    clock.set(clock.now() + timedelta(hours=10))
    service.detection.tick()
    assert alerts(service, "inactivity") == []
    back = publisher_for(stack)
    back.publish(f"{stack.prefix}/{home.hub}/status", {"online": True}, retain=True)
    back.flush()
    wait_for(lambda: alerts(service, "hub_offline")[0].status == "cleared")


def test_device_trouble_goes_to_maintenance_and_never_to_the_family(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    migrate(engine)
    factory = make_session_factory(engine)
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with session_scope(factory) as s:
        home, _ = upsert_household(s, factories.household("hub-x"))
        for name, role in (("Fixit team", "maintenance"), ("Daughter", "family"), ("Centre", "responder")):
            add_contact(s, home, name, role, ["json://127.0.0.1:9/x"])
        apply_signal(s, home.id, AlertSignal("hub-x", AlertKind.DEVICE_OFFLINE, now,
                                             "The kitchen motion sensor has sent nothing.", "d1"), now=now)
    with factory() as s:
        roles = set(s.scalars(select(Contact.role).join(Notification, Notification.contact_id == Contact.id)))
    assert roles == {"maintenance"}
    engine.dispose()


def replay_offline_alerts(home) -> list[AlertSignal]:
    """``device_offline`` raised over a simulated home's run, ticking every 10 minutes."""
    engine = DetectionEngine()  # one engine a home: each one's clock runs through its own month
    engine.add_household(home.hub, str(home.tz))
    types = home.types
    rooms = {d["id"]: Room(d["room"]) for d in home.household["devices"]}
    events = [SensorEvent(home.hub, e["device"], types[e["device"]], rooms[e["device"]],
                          datetime.fromisoformat(e["ts"].replace("Z", "+00:00")), float(e["value"]))
              for e in home.events()]
    raised = []
    end = events[-1].ts
    tick = events[0].ts
    i = 0
    while tick <= end:
        batch = []
        while i < len(events) and events[i].ts <= tick:
            batch.append(events[i])
            i += 1
        engine.process(batch)
        raised += offline_alerts(engine.tick(tick))
        tick += timedelta(minutes=10)
    return raised


def test_working_sensors_in_ordinary_homes_are_never_called_offline():
    """Simulated residents' ordinary weeks: motion sensors idle for hours, days indoors, none broken."""
    from simulator.simulation import build_homes

    raised = [a for home in build_homes(4, seed=11, days=35) for a in replay_offline_alerts(home)]
    assert raised == [], [a.summary for a in raised]


def test_a_front_door_sensor_that_dies_while_the_resident_is_about_is_reported_within_a_week_or_so():
    """A dead door contact makes every day out look like lying still at home: maintenance hears of it."""
    from simulator.scenarios import parse_scenario
    from simulator.simulation import build_homes

    [home] = build_homes(1, seed=3, days=35, personas=["early_riser"],
                         scenarios=[parse_scenario("device_offline@20T12:00:door-front")])
    [alert] = replay_offline_alerts(home)
    died = next(t.start for t in home.truth if t.kind == "device_offline")
    assert alert.evidence["device"] == "door-front"
    assert alert.evidence["silent_s"] >= 7 * 86400  # never before a week without it: days indoors happen
    assert alert.ts - died <= timedelta(days=8)
    assert "The front door contact sensor has sent nothing since" in alert.summary
    assert "if they have not been out, that is why" in alert.summary


def test_a_low_battery_is_reported_once_and_cleared_when_every_low_one_is_replaced():
    engine = DetectionEngine()
    engine.add_household("h1", "UTC")

    def reading(device, minutes, battery):
        return SensorEvent("h1", device, DeviceType.MOTION, Room.HALLWAY, T0 + timedelta(minutes=minutes),
                           1.0, battery=battery)

    assert engine.process([reading("m-hall", 0, 40)]) == []
    [low] = engine.process([reading("m-hall", 10, 14)])
    assert low.kind is AlertKind.BATTERY_LOW and "battery is at 14%" in low.summary
    assert engine.process([reading("m-hall", 20, 13), reading("m-hall", 30, 12)]) == []  # once
    assert [s.kind for s in engine.process([reading("m-bath", 40, 9)])] == [AlertKind.BATTERY_LOW]
    assert engine.process([reading("m-hall", 50, 100)]) == []  # m-bath is still low: stays open
    [cleared] = engine.process([reading("m-bath", 60, 98)])
    assert cleared.kind is AlertKind.BATTERY_LOW and "replaced" in cleared.summary


def test_a_sensor_reporting_a_low_battery_over_mqtt_raises_battery_low(stack, start_service, publisher_for):
    home = factories.household()
    service = start_service(stack, [home], clock=ManualClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC)))
    pub = publisher_for(stack)
    ts = datetime(2026, 1, 5, 8, 59, tzinfo=UTC)
    pub.publish(f"{stack.prefix}/{home.hub}/m-kitchen/event", factories.payload(ts, True, seq=1, battery=12))
    pub.flush()
    [low] = wait_for(lambda: alerts(service, "battery_low"))
    assert low.severity == "info" and "battery is at 12%" in low.summary
