"""The family's daily reassurance message: a day in a few words, once a day, only if asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from alerts import summaries
from alerts.care_circle import add_contact
from telecare.db import session_scope
from telecare.households import upsert_household
from telecare.models import Device, Event, Notification
from tests import factories
from tests.test_alert_suppression import factory  # noqa: F401 - fixture

DAY = datetime(2026, 1, 5, tzinfo=UTC)


def test_family_who_opted_in_get_one_summary_a_day_with_rooms_and_first_and_last_activity(
    factory,  # noqa: F811
):
    with session_scope(factory) as s:
        household, _ = upsert_household(s, factories.household())
        add_contact(s, household, "Daughter", "family", ["json://127.0.0.1:9/d"], daily_summary=True)
        add_contact(s, household, "Son", "family", ["json://127.0.0.1:9/s"])  # did not opt in
        devices = {d.key: d.id for d in s.scalars(select(Device))}
        moments = [("m-bedroom", "07:40"), ("m-kitchen", "08:05"), ("m-kitchen", "12:30"),
                   ("m-kitchen", "18:10"), ("temp", "19:00"), ("m-bedroom", "22:15")]
        for i, (key, hhmm) in enumerate(moments):
            h, m = map(int, hhmm.split(":"))
            at = DAY + timedelta(hours=h, minutes=m)
            s.add(Event(household_id=household.id, device_id=devices[key], event_time=at,
                        received_at=at, value=1.0, seq=i, dedup_key=f"k{i}"))
    assert summaries.enqueue_due(factory, DAY + timedelta(hours=19, minutes=59), "20:00") == 0
    assert summaries.enqueue_due(factory, DAY + timedelta(hours=23), "20:00") == 1
    assert summaries.enqueue_due(factory, DAY + timedelta(hours=23, minutes=30), "20:00") == 0
    with factory() as s:
        [n] = s.scalars(select(Notification)).all()
    assert n.purpose == "summary" and n.title == f"Daily summary for {household.name}"
    assert n.body == (
        f"{household.name}, Monday 05 January: first activity at 07:40, kitchen used 3 times, "
        "bedroom used 2 times, last activity at 22:15."
    )
