"""What families and responders see of a home's activity: the feed, day timelines, daily metrics.

Each test builds a household and writes events straight into the store, on PostgreSQL and SQLite.
Times are written as the household's local clock, as a family member would read them.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, insert, select, text

from telecare.activity_models import DailyActivity
from telecare.db import make_engine, make_session_factory, migrate, session_scope
from telecare.domain import DeviceSpec, DeviceType, Room
from telecare.households import upsert_household
from telecare.models import Device, Event, Household
from tests import factories
from tests.support import PG_URL
from web import daily_rollups as rollups_module
from web.activity import (
    LastActivity,
    activity_around,
    daily_metrics,
    day_timeline,
    last_activity,
    normal_band,
    typical_day,
)
from web.daily_rollups import feed_activity

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
        days = daily_metrics(s, hh, end, days=28)
    assert len(statements) == 1
    assert len(days) == 28 and all(m.activity == 300 and m.got_up == 7 * 60 for m in days)


# --------------------------------------------------------------------------- stored days (the feed)
def busy_month(factory, hid: int, last: date, days: int = 30, seed: int = 1) -> None:
    """A varied month up to ``last``: mornings, naps, night visits, outings (one past midnight), readings."""
    rng = random.Random(seed)
    for k in range(days - 1, -1, -1):
        day = last - timedelta(days=k)
        up = rng.randint(6 * 60, 9 * 60)
        entries = [("bed", f"{up // 60:02d}:{up % 60:02d}", 0), ("m-bedroom", f"{up // 60:02d}:{up % 60 + 1:02d}"),
                   ("temp", "12:00", 19.0 + k % 3)]
        for _ in range(rng.randint(0, 3)):  # night toilet visits
            m = rng.randint(0, 5 * 60 + 50)
            entries.append(("m-bathroom", f"{m // 60:02d}:{m % 60:02d}"))
        for _ in range(rng.randint(3, 12)):  # kitchen and living room in the day
            m = rng.randint(up + 5, 21 * 60)
            entries.append((rng.choice(["m-kitchen", "m-living", "m-hall"]), f"{m // 60:02d}:{m % 60:02d}"))
        if k % 4 == 1:  # an outing in the afternoon
            entries += [("door-front", "14:00"), ("door-front", "14:00:30", 0), ("m-hall", "15:40")]
        if k == 9:  # out past midnight
            entries += [("door-front", "23:10"), ("m-kitchen", "24:50")]
        bed = rng.randint(21 * 60, 23 * 60 + 30)
        entries += [("m-living", "20:30"), ("bed", f"{bed // 60:02d}:{bed % 60:02d}")]
        if k % 7 == 3:
            continue  # a day the hub was offline: no data at all
        add(factory, hid, day, *entries)


def raw_feed(factory, hid: int, today: date):
    return (read(factory, hid, daily_metrics, today, days=28), read(factory, hid, day_timeline, today),
            read(factory, hid, typical_day, today, days=14), read(factory, hid, last_activity))


def stored_feed(factory, hid: int, now: datetime, statements: list | None = None):
    """``feed_activity`` in a session of its own; ``statements`` collects (SQL, parameters) it ran."""
    def collect(*a):
        statements.append((a[2], a[3]))

    with session_scope(factory) as s:
        hh = s.get(Household, hid)
        if statements is not None:
            sa_event.listen(s.get_bind(), "before_cursor_execute", collect)
        try:
            got = feed_activity(s, hh, now, days=28, typical_days=14)
        finally:
            if statements is not None:
                sa_event.remove(s.get_bind(), "before_cursor_execute", collect)
    return got.metrics, got.timeline, got.typical, got.last


def stored_rows(factory, hid: int) -> int:
    with session_scope(factory) as s:
        return s.scalar(select(func.count()).select_from(DailyActivity).where(DailyActivity.household_id == hid))


@pytest.mark.parametrize("today, hhmm", [(WINTER, "10:00"), (WINTER, "18:30"), (date(2026, 4, 6), "09:00")])
def test_the_feed_from_stored_days_equals_the_feed_from_raw_events(factory, today, hhmm):
    hid = home(factory)
    busy_month(factory, hid, today)  # April: the window holds the clock change of 29 March
    now = local(LONDON, today, hhmm)
    expected = raw_feed(factory, hid, today)
    assert stored_feed(factory, hid, now) == expected  # computed, then stored
    # Complete days only: yesterday's window (to 15:00 today) and today's are never stored.
    assert stored_rows(factory, hid) == (27 if hhmm >= "15:00" else 26)
    assert stored_feed(factory, hid, now) == expected  # read back


def _raw_reads(statements: list) -> list[datetime]:
    """The start of each read of raw events among ``statements`` (as (SQL, parameters))."""
    starts = []
    for sql, params in statements:
        if "FROM events" in sql and "events.value" in sql:
            values = params.values() if isinstance(params, dict) else params
            times = [v if isinstance(v, datetime) else datetime.fromisoformat(v).replace(tzinfo=UTC)
                     for v in values if isinstance(v, datetime) or (isinstance(v, str) and v[:2] == "20")]
            starts.append(min(times))
    return starts


def test_stored_days_are_reused_and_past_days_are_not_read_again(factory):
    hid = home(factory)
    busy_month(factory, hid, WINTER)
    now = local(LONDON, WINTER, "18:30")
    first: list = []
    stored_feed(factory, hid, now, first)
    assert any(sql.lstrip().upper().startswith("INSERT") for sql, _ in first)
    statements: list = []
    got = stored_feed(factory, hid, now, statements)
    assert got == raw_feed(factory, hid, WINTER)
    assert not any(sql.lstrip().upper().startswith(("INSERT", "UPDATE")) for sql, _ in statements)
    # One raw read, of today's window only (from 15:00 yesterday): devices, stored days, check, today.
    assert len(statements) == 4
    assert _raw_reads(statements) == [local(LONDON, WINTER - timedelta(days=1), "15:00")]


def test_a_late_event_for_a_past_day_changes_the_next_feed(factory):
    hid = home(factory)
    busy_month(factory, hid, WINTER)
    now = local(LONDON, WINTER, "18:30")
    before = stored_feed(factory, hid, now)
    past = WINTER - timedelta(days=10)  # a day the hub was offline: nothing known yet
    # The hub comes back and flushes what it buffered: a night toilet visit and a kitchen visit.
    add(factory, hid, past, ("m-bathroom", "03:33"), ("m-kitchen", "11:11"))
    statements: list = []
    after = stored_feed(factory, hid, now, statements)
    assert after == raw_feed(factory, hid, WINTER) != before
    old = {m.day: m for m in before[0]}[past]
    new = {m.day: m for m in after[0]}[past]
    assert old.activity == 0 and old.night_toilet_visits is None and old.kitchen_visits is None
    assert new.activity == 2 and new.night_toilet_visits == 1 and new.kitchen_visits == 1
    # The day and its neighbours (whose windows hold the late events) were computed again and stored.
    # (one read from the first stale day's window to today's, and the write of the three days)
    assert _raw_reads(statements) == [local(LONDON, past - timedelta(days=2), "15:00")]
    with session_scope(factory) as s:
        rows = s.execute(select(DailyActivity.day, DailyActivity.activity).where(
            DailyActivity.household_id == hid, DailyActivity.day == past)).all()
    assert rows == [(past, new.activity)]
    statements.clear()
    assert stored_feed(factory, hid, now, statements) == after
    assert len(_raw_reads(statements)) == 1  # stored again: back to today's window only


def test_a_device_moved_to_another_room_or_a_new_time_zone_recomputes_the_stored_days(factory):
    hid = home(factory)
    busy_month(factory, hid, WINTER)
    now = local(LONDON, WINTER, "18:30")
    before = stored_feed(factory, hid, now)
    with session_scope(factory) as s:
        hall = s.execute(select(Device).where(Device.household_id == hid, Device.key == "m-hall")).scalar_one()
        hall.room = "kitchen"
    moved = stored_feed(factory, hid, now)
    assert moved == raw_feed(factory, hid, WINTER) != before
    with session_scope(factory) as s:
        s.get(Household, hid).timezone = "America/New_York"  # the person moved; the days are New York's
    assert stored_feed(factory, hid, now) == raw_feed(factory, hid, WINTER) != moved


def test_the_last_activity_comes_with_the_days_read_or_from_further_back(factory):
    hid = home(factory)
    add(factory, hid, WINTER - timedelta(days=5), ("m-kitchen", "09:00"), ("m-living", "10:00"))
    add(factory, hid, WINTER, ("m-living", "08:00"), ("temp", "09:00", 19.0))  # a device since taken out
    with session_scope(factory) as s:
        living = s.execute(select(Device).where(Device.household_id == hid, Device.key == "m-living")).scalar_one()
        living.active = False
    got = stored_feed(factory, hid, local(LONDON, WINTER, "12:00"))
    assert got[3] == LastActivity(local(LONDON, WINTER - timedelta(days=5), "09:00"), "kitchen")
    assert got == raw_feed(factory, hid, WINTER)
    add(factory, hid, WINTER, ("m-bathroom", "11:00"), ("m-kitchen", "11:00"))  # the same second
    assert stored_feed(factory, hid, local(LONDON, WINTER, "12:00")) == raw_feed(factory, hid, WINTER)


def test_a_store_that_cannot_write_never_fails_the_feed(factory, monkeypatch, caplog):
    hid = home(factory)
    busy_month(factory, hid, WINTER)
    now = local(LONDON, WINTER, "18:30")
    monkeypatch.setattr(rollups_module, "STORE_WAIT_MS", 50)
    engine = factory.kw["bind"]
    with engine.connect() as blocker:  # another writer holds the table
        if engine.dialect.name == "postgresql":
            blocker.execute(text("LOCK TABLE daily_activity IN EXCLUSIVE MODE"))
        else:
            blocker.exec_driver_sql("BEGIN IMMEDIATE")
        assert stored_feed(factory, hid, now) == raw_feed(factory, hid, WINTER)
        blocker.rollback()
    assert "could not store daily activity" in caplog.text
    assert stored_rows(factory, hid) == 0
    stored_feed(factory, hid, now)
    assert stored_rows(factory, hid) == 27


def test_two_workers_storing_the_same_days_both_succeed(factory, monkeypatch, caplog):
    hid = home(factory)
    busy_month(factory, hid, WINTER)
    now = local(LONDON, WINTER, "18:30")
    first = stored_feed(factory, hid, now)  # one worker computes and stores the month
    # The other looked for stored days just before they were written, so computes and stores them too.
    monkeypatch.setattr(rollups_module, "_stored_days", lambda *a: {})
    assert stored_feed(factory, hid, now) == first
    assert "could not store" not in caplog.text
    assert stored_rows(factory, hid) == 27


# --------------------------------------------------------------------------- bands
def test_the_normal_band_ignores_missing_days_and_needs_five_values():
    assert normal_band([None, 1, 2, 3, 4, 5, None]) == (1.4, 4.6)
    assert normal_band([10, 10, 10, 10, 10]) == (10.0, 10.0)
    assert normal_band([1, 2, 3, 4, None, None]) is None
    assert normal_band([0, 10, 20, 30, 40], low=0.25, high=0.75) == (10.0, 30.0)
