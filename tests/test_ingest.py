"""What a hub sees when it talks to the service: accepted, de-duplicated, or refused with a reason.

Every test here runs twice: Mosquitto + PostgreSQL, and the embedded broker + SQLite.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from telecare.models import Device, Event, Household, RejectedMessage
from tests import factories
from tests.support import wait_for


def count(service, model, *where) -> int:
    with service.factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_events_from_a_hub_are_stored_once_even_when_repeated(stack, start_service, publisher_for):
    home = factories.household()
    service = start_service(stack, [home])
    pub = publisher_for(stack)
    start = factories.recent(60)
    sent = []
    for i in range(300):
        device = ("m-kitchen", "m-bedroom", "door-front")[i % 3]
        body = factories.payload(start + timedelta(seconds=10 * i), i % 2 == 0, seq=i, battery=90)
        sent.append((device, body))
        pub.publish(f"{stack.prefix}/{home.hub}/{device}/event", body)
    for device, body in sent[::10]:  # repeats: the same payload again, as a hub retrying would
        pub.publish(f"{stack.prefix}/{home.hub}/{device}/event", body)
    pub.flush()
    wait_for(lambda: count(service, Event) == 300)
    wait_for(lambda: service.ingester._queue.empty())
    assert count(service, Event) == 300
    with service.factory() as s:
        kitchen = s.scalars(select(Device).where(Device.key == "m-kitchen")).one()
        assert kitchen.battery == 90
        assert kitchen.last_event_at is not None and kitchen.last_seen_at is not None


def test_an_event_without_seq_repeated_identically_is_stored_once(stack, start_service, publisher_for):
    home = factories.household()
    service = start_service(stack, [home])
    pub = publisher_for(stack)
    body = factories.payload(factories.recent(5), True)
    for _ in range(3):
        pub.publish(f"{stack.prefix}/{home.hub}/m-kitchen/event", body)
    marker = factories.payload(factories.recent(1), True)
    pub.publish(f"{stack.prefix}/{home.hub}/m-bedroom/event", marker)
    pub.flush()
    wait_for(lambda: count(service, Event) == 2)
    wait_for(lambda: service.ingester._queue.empty())
    assert count(service, Event) == 2


BAD_MESSAGES = [
    # (reason, device, payload)
    ("not_json", "m-kitchen", b"{not json"),
    ("not_object", "m-kitchen", b"[1, 2, 3]"),
    ("missing_ts", "m-kitchen", json.dumps({"value": True}).encode()),
    ("bad_ts", "m-kitchen", json.dumps({"ts": "yesterday", "value": True}).encode()),
    ("bad_ts", "m-kitchen", json.dumps({"ts": "2026-01-05T10:00:00", "value": True}).encode()),
    ("missing_value", "m-kitchen", json.dumps({"ts": "2026-01-05T10:00:00+00:00"}).encode()),
    ("bad_value", "m-kitchen", json.dumps({"ts": "2026-01-05T10:00:00+00:00", "value": "on"}).encode()),
    ("bad_value", "temp", json.dumps({"ts": "2026-01-05T10:00:00+00:00", "value": True}).encode()),
    ("type_mismatch", "m-kitchen",
     json.dumps({"ts": "2026-01-05T10:00:00+00:00", "value": True, "type": "contact"}).encode()),
    ("bad_seq", "m-kitchen", json.dumps({"ts": "2026-01-05T10:00:00+00:00", "value": True, "seq": -1}).encode()),
    ("bad_battery", "m-kitchen",
     json.dumps({"ts": "2026-01-05T10:00:00+00:00", "value": True, "battery": 170}).encode()),
    ("future_ts", "m-kitchen", json.dumps({"ts": "2099-01-01T00:00:00+00:00", "value": True}).encode()),
    ("oversized", "m-kitchen", json.dumps({"ts": "2026-01-05T10:00:00+00:00", "value": True,
                                           "pad": "x" * 5000}).encode()),
    ("unknown_device", "no-such-sensor", json.dumps({"ts": "2026-01-05T10:00:00+00:00", "value": True}).encode()),
]


def test_every_kind_of_bad_message_is_refused_with_its_reason_and_good_ones_still_arrive(
    stack, start_service, publisher_for
):
    home = factories.household()
    service = start_service(stack, [home])
    pub = publisher_for(stack)
    t0 = factories.recent(30)
    good = 0
    for i, (_reason, device, body) in enumerate(BAD_MESSAGES):
        pub.publish(f"{stack.prefix}/{home.hub}/{device}/event", body)
        pub.publish(
            f"{stack.prefix}/{home.hub}/m-kitchen/event",
            factories.payload(t0 + timedelta(seconds=i), True, seq=i),
        )
        good += 1
    pub.publish(f"{stack.prefix}/no-such-hub/m-kitchen/event", factories.payload(t0, True))
    pub.publish(f"{stack.prefix}/{home.hub}/m-kitchen/event/extra", factories.payload(t0, True))
    pub.publish(f"{stack.prefix}/{home.hub}/status", b'{"online": "yes"}')
    pub.flush()
    expected = [r for r, _, _ in BAD_MESSAGES] + ["unknown_hub", "bad_topic", "bad_status"]
    wait_for(lambda: count(service, RejectedMessage) == len(expected))
    wait_for(lambda: count(service, Event) == good)
    with service.factory() as s:
        rows = s.scalars(select(RejectedMessage)).all()
    assert sorted(r.reason for r in rows) == sorted(expected)
    assert all(r.detail for r in rows), "every rejection says why"
    unknown_hub = next(r for r in rows if r.reason == "unknown_hub")
    assert unknown_hub.hub == "no-such-hub" and "m-kitchen" in unknown_hub.topic


def test_an_event_older_than_the_last_one_is_kept_and_marked_late(stack, start_service, publisher_for):
    home = factories.household()
    service = start_service(stack, [home])
    pub = publisher_for(stack)
    t = factories.recent(10)
    pub.publish(f"{stack.prefix}/{home.hub}/m-kitchen/event", factories.payload(t, True, seq=2))
    pub.flush()
    wait_for(lambda: count(service, Event) == 1)
    pub.publish(
        f"{stack.prefix}/{home.hub}/m-kitchen/event",
        factories.payload(t - timedelta(minutes=3), False, seq=1),
    )
    pub.flush()
    wait_for(lambda: count(service, Event) == 2)
    assert count(service, Event, Event.late.is_(True)) == 1


def test_hub_status_and_last_will_are_recorded(stack, start_service, publisher_for):
    home = factories.household()
    service = start_service(stack, [home])
    pub = publisher_for(stack)
    pub.publish(f"{stack.prefix}/{home.hub}/status", {"online": True}, retain=True)
    pub.publish(f"{stack.prefix}/{home.hub}/m-kitchen/status", {"online": True, "battery": 41, "rssi": -70})
    pub.flush()

    def hub_online():
        with service.factory() as s:
            return s.scalar(select(Household.hub_online).where(Household.hub == home.hub))

    wait_for(hub_online)
    with service.factory() as s:
        d = s.scalars(select(Device).where(Device.key == "m-kitchen")).one()
        assert (d.online, d.battery, d.rssi) == (True, 41, -70)
    pub.publish(f"{stack.prefix}/{home.hub}/status", {"online": False}, retain=True)
    pub.flush()
    wait_for(lambda: hub_online() is False)
    pub.publish(f"{stack.prefix}/{home.hub}/status", b"", retain=True)  # clear the retained message
