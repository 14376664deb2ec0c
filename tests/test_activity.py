"""What families and responders see of a home's activity: the feed, day timelines, daily metrics.

Each test builds a household and writes events straight into the store, on PostgreSQL and SQLite.
Times are written as the household's local clock, as a family member would read them.
"""

from __future__ import annotations

import time as stopwatch
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import insert, select

from telecare.db import make_engine, make_session_factory, migrate, session_scope
from telecare.domain import DeviceSpec, DeviceType, Room
from telecare.households import upsert_household
from telecare.models import Device, Event, Household
from tests import factories
from tests.support import PG_URL
from web.activity import (
    LastActivity,
    activity_around,
    daily_metrics,
    day_timeline,
    last_activity,
    normal_band,
    typical_day,
)

DEVICES = factories.STANDARD_DEVICES + (
    DeviceSpec("m-bathroom", DeviceType.MOTION, Room.BATHROOM, "Bathroom"),
    DeviceSpec("m-living", DeviceType.MOTION, Room.LIVING_ROOM, "Living room"),
    DeviceSpec("m-hall", DeviceType.MOTION, Room.HALLWAY, "Hall"),
)
LONDON = "Europe/London"
WINTER = date(2026, 1, 12)  # a Monday, GMT
_dedup = count(1)


@pytest.fixture(params=["postgres", "sqlite"])
def factory(request, tmp_path):
    if request.param == "postgres":
        engine = make_engine(PG_URL, schema=request.getfixturevalue("pg_schema"))
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'activity.sqlite3'}")
    migrate(engine)
    yield make_session_factory(engine)
    engine.dispose()


def home(factory, timezone: str = LONDON) -> int:
    with session_scope(factory) as s:
        hh, _ = upsert_household(s, factories.household(devices=DEVICES, timezone=timezone))
        return hh.id


def local(tz: str, day: date, hhmm: str) -> datetime:
    """The UTC instant of a local clock time ("07:15" or "07:15:30") on ``day``."""
    return datetime.combine(day, time.fromisoformat(hhmm), ZoneInfo(tz)).astimezone(UTC)


def add(factory, household_id: int, day: date, *entries) -> None:
    """Add events: ``("m-kitchen", "07:15")`` is an activation, ``("bed", "06:40", 0)`` a release.

    A time after "24:" is on the next day: ``"25:30"`` is 01:30 the morning after ``day``.
    """
    with session_scope(factory) as s:
        hh = s.get(Household, household_id)
        ids = dict(s.execute(select(Device.key, Device.id).where(Device.household_id == household_id)).all())
        rows = []
        for key, hhmm, *value in entries:
            hours, rest = hhmm.split(":", 1)
            extra_days, hour = divmod(int(hours), 24)
            ts = local(hh.timezone, day + timedelta(days=extra_days), f"{hour:02d}:{rest}")
            v = float(value[0]) if value else 1.0
            rows.append(dict(household_id=household_id, device_id=ids[key], event_time=ts, received_at=ts,
                             value=v, dedup_key=f"k{next(_dedup)}"))
        s.execute(insert(Event), rows)


def read(factory, household_id: int, fn, *args, **kwargs):
    with session_scope(factory) as s:
        return fn(s, s.get(Household, household_id), *args, **kwargs)


def metrics_for(factory, hid: int, day: date):
    return {m.day: m for m in read(factory, hid, daily_metrics, day + timedelta(days=1), days=3)}[day]


# --------------------------------------------------------------------------- feed and timelines
def test_feed_says_where_the_last_activity_was(factory):
    hid = home(factory)
    assert read(factory, hid, last_activity) is None
    add(factory, hid, WINTER,
        ("m-kitchen", "08:00"), ("m-bathroom", "09:10"),
        ("temp", "09:30", 19.5), ("smoke", "09:35", 0), ("leak", "09:36", 0),  # readings, not a person
        ("m-kitchen", "09:40", 0),  # a motion sensor resetting is not movement
        ("m-living", "09:50"))  # a device later taken out of the home
    with session_scope(factory) as s:
        s.execute(select(Device).where(Device.key == "m-living")).scalar_one().active = False
    assert read(factory, hid, last_activity) == LastActivity(local(LONDON, WINTER, "09:10"), "bathroom")


def test_day_timeline_counts_each_quarter_hour_by_room(factory):
    hid = home(factory)
    add(factory, hid, WINTER - timedelta(days=1), ("m-kitchen", "23:59"))
    add(factory, hid, WINTER, ("m-kitchen", "07:05"), ("m-kitchen", "07:14"), ("m-kitchen", "07:15"),
        ("bed", "22:30"), ("bed", "23:59", 0), ("temp", "12:00", 20.0))
    timeline = read(factory, hid, day_timeline, WINTER)
    assert set(timeline) == {"kitchen", "bedroom"}
    assert all(len(bins) == 96 for bins in timeline.values())
    assert timeline["kitchen"][28] == 2 and timeline["kitchen"][29] == 1 and sum(timeline["kitchen"]) == 3
    assert timeline["bedroom"][90] == 1 and timeline["bedroom"][95] == 1  # pressed and released


def test_typical_day_is_the_share_of_recent_days_with_activity_in_each_quarter_hour(factory):
    hid = home(factory)
    for k in range(1, 5):
        day = WINTER - timedelta(days=k)
        add(factory, hid, day, ("m-kitchen", "08:05"), ("m-kitchen", "08:06"),
            *([("m-kitchen", "12:00")] if k % 2 else []))
    add(factory, hid, WINTER, ("m-kitchen", "18:00"))  # today is not part of the usual
    typical = read(factory, hid, typical_day, WINTER, days=14)
    assert typical["kitchen"][32] == 1.0  # 4 of the 4 days with data
    assert typical["kitchen"][48] == 0.5
    assert typical["kitchen"][72] == 0.0


def test_alert_page_shows_activity_around_the_alert_against_its_usual_pattern(factory):
    hid = home(factory)
    for k in range(1, 15):
        if k <= 10:  # usually up and in the kitchen at 07:10 and 07:20; four quiet mornings
            add(factory, hid, WINTER - timedelta(days=k), ("m-kitchen", "07:10"), ("m-kitchen", "07:20"))
    add(factory, hid, WINTER, ("m-bathroom", "09:15"), ("m-bathroom", "11:30"))
    window = read(factory, hid, activity_around, local(LONDON, WINTER, "09:00"))
    assert window.start == local(LONDON, WINTER, "03:00") and window.bin_minutes == 30
    assert len(window.counts) == len(window.median) == 16
    assert window.counts[8] == 0 and window.median[8] == 2.0
    assert window.low[8] == 0.0 and window.high[8] == 2.0
    assert window.counts[12] == 1 and sum(window.counts) == 1  # 11:30 is past the window


# --------------------------------------------------------------------------- daily metrics
def test_got_up_time_is_the_first_morning_activity_after_the_night(factory):
    hid = home(factory)
    add(factory, hid, WINTER,
        ("m-kitchen", "02:30"),  # a night visit to the kitchen is not getting up
        ("m-bathroom", "06:50"), ("m-kitchen", "07:15"), ("m-living", "07:30"))
    assert metrics_for(factory, hid, WINTER).got_up == 7 * 60 + 15


def test_with_a_bed_mat_got_up_is_leaving_the_bed_for_good(factory):
    hid = home(factory)
    add(factory, hid, WINTER - timedelta(days=1), ("m-living", "21:00"), ("bed", "22:00"),
        ("bed", "26:00", 0), ("m-bathroom", "26:03"), ("bed", "26:10"),  # 02:00 toilet: back to bed
        ("bed", "30:40", 0), ("m-bedroom", "30:45"), ("m-kitchen", "31:30"))
    m = metrics_for(factory, hid, WINTER)
    assert m.got_up == 6 * 60 + 40
    assert metrics_for(factory, hid, WINTER - timedelta(days=1)).went_to_bed == 22 * 60


def test_bedtime_is_the_last_busy_moment_before_a_quiet_night_not_a_night_snack(factory):
    hid = home(factory)
    add(factory, hid, WINTER, ("m-living", "21:00"), ("m-kitchen", "22:15"), ("m-bedroom", "22:20"),
        ("m-kitchen", "26:00"),  # 02:00 a glass of water
        ("m-kitchen", "31:00"))
    assert metrics_for(factory, hid, WINTER).went_to_bed == 22 * 60 + 15


def test_night_toilet_visits_are_counted_once_per_visit(factory):
    hid = home(factory)
    add(factory, hid, WINTER,
        ("m-bathroom", "01:00"), ("m-bathroom", "01:05"), ("m-bathroom", "01:12"),  # one visit
        ("m-bathroom", "03:30"), ("m-bathroom", "03:31"),  # a second
        ("m-bathroom", "07:00"),  # morning wash: not the night
        ("m-kitchen", "08:00"), ("m-kitchen", "08:10"), ("m-kitchen", "08:24"),  # one kitchen visit
        ("m-kitchen", "12:30"), ("m-kitchen", "18:00"))
    m = metrics_for(factory, hid, WINTER)
    assert m.night_toilet_visits == 2
    assert m.kitchen_visits == 3
    assert m.activity == 11


def test_time_out_runs_from_the_front_door_to_the_next_movement_inside(factory):
    hid = home(factory)
    add(factory, hid, WINTER,
        ("m-kitchen", "09:00"),
        ("door-front", "10:00"), ("m-hall", "10:01"), ("door-front", "10:01:30", 0),  # leaves
        ("door-front", "11:30"), ("door-front", "11:30:20", 0), ("m-hall", "11:31"),  # back: 91 min
        ("m-kitchen", "11:35"),
        ("door-front", "14:00"), ("door-front", "14:01", 0), ("m-kitchen", "14:05"),  # a parcel
        ("door-front", "23:30"), ("m-kitchen", "24:30"))  # out past midnight: 30 min each side
    assert metrics_for(factory, hid, WINTER).minutes_out == 91 + 30
    assert metrics_for(factory, hid, WINTER + timedelta(days=1)).minutes_out == 30


def test_a_day_without_any_data_shows_as_unknown_not_as_zero(factory):
    hid = home(factory)
    add(factory, hid, WINTER, ("m-kitchen", "08:00"))
    days = read(factory, hid, daily_metrics, WINTER, days=2)
    assert [m.day for m in days] == [WINTER - timedelta(days=1), WINTER]
    assert days[0].kitchen_visits is None and days[0].minutes_out is None and days[0].got_up is None
    assert days[1].kitchen_visits == 1 and days[1].minutes_out == 0 and days[1].got_up == 8 * 60


def test_local_days_follow_the_household_timezone_across_a_clock_change(factory):
    hid = home(factory)
    change = date(2026, 3, 29)  # clocks go forward at 01:00 GMT in London
    for day in (change - timedelta(days=1), change, change + timedelta(days=1)):
        add(factory, hid, day, ("m-kitchen", "07:00"))
    add(factory, hid, change - timedelta(days=1), ("m-bedroom", "23:30"))  # GMT: the 28th
    add(factory, hid, change, ("m-bathroom", "00:30"), ("m-bedroom", "23:45"))  # 23:45 BST = 22:45 UTC
    timeline = read(factory, hid, day_timeline, change)
    assert timeline["kitchen"][28] == 1 and sum(timeline["kitchen"]) == 1
    assert timeline["bedroom"][95] == 1 and sum(timeline["bedroom"]) == 1
    assert timeline["bathroom"][2] == 1
    days = read(factory, hid, daily_metrics, change + timedelta(days=1), days=3)
    assert [m.got_up for m in days] == [420, 420, 420]
    assert [m.night_toilet_visits for m in days] == [0, 1, 0]
    assert [m.activity for m in days] == [2, 3, 1]
    typical = read(factory, hid, typical_day, change + timedelta(days=1), days=2)
    assert typical["kitchen"][28] == 1.0


def test_daily_metrics_read_a_month_in_one_query(factory):
    hid = home(factory)
    keys = ["m-kitchen", "m-living", "m-bedroom", "m-bathroom", "m-hall"]
    end = WINTER + timedelta(days=27)
    for k in range(-1, 29):
        day = WINTER + timedelta(days=k)
        add(factory, hid, day, *[(keys[j % 5], f"{7 + j // 20:02d}:{j % 20 * 3:02d}") for j in range(300)])
    statements: list[str] = []
    with session_scope(factory) as s:
        hh = s.get(Household, hid)
        sa_event.listen(s.get_bind(), "before_cursor_execute", lambda *a: statements.append(a[2]))
        t0 = stopwatch.perf_counter()
        days = daily_metrics(s, hh, end, days=28)
        elapsed = stopwatch.perf_counter() - t0
    assert len(statements) == 1
    assert len(days) == 28 and all(m.activity == 300 and m.got_up == 7 * 60 for m in days)
    assert elapsed < 0.5, f"{elapsed * 1000:.0f} ms"


# --------------------------------------------------------------------------- bands
def test_the_normal_band_ignores_missing_days_and_needs_five_values():
    assert normal_band([None, 1, 2, 3, 4, 5, None]) == (1.4, 4.6)
    assert normal_band([10, 10, 10, 10, 10]) == (10.0, 10.0)
    assert normal_band([1, 2, 3, 4, None, None]) is None
    assert normal_band([0, 10, 20, 30, 40], low=0.25, high=0.75) == (10.0, 30.0)
