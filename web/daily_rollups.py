"""The feed's activity from stored days: per-household, per-local-day rollups of ``web.activity``.

A finished day's figures and per-room quarter-hour bins are computed once from the raw events and kept
in ``daily_activity``; each read checks them against the events with one indexed count (count and
highest id per day), so an event that arrives days late, a device moved to another room or a new
time zone recomputes exactly the days it touches. Rollups are derived data: writing them never fails
a read, and two workers writing the same day at once both succeed.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, DateTime, bindparam, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from detection.routine_day import DAY_START_HOUR, DOORS
from telecare.activity_models import DailyActivity
from telecare.models import Device, Event, Household
from web.activity import (
    _PRESENCE,
    _TWO_EDGED,
    BINS_PER_DAY,
    DayMetrics,
    LastActivity,
    _at,
    _bins_by_room,
    _metrics,
    _midnight,
    _window,
    last_activity,
)

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- the feed, from stored days
ROLLUP_VERSION = 1  # bump when a rule above changes: every stored day is then recomputed
STORE_WAIT_MS = 500  # how long writing stored days may wait for a lock before giving up (and logging)


@dataclass(frozen=True, slots=True)
class FeedActivity:
    """What the feed shows of activity: as ``daily_metrics``, ``day_timeline``, ``typical_day`` and
    ``last_activity`` give it."""

    metrics: list[DayMetrics]  # the ``days`` days up to and including today, oldest first
    timeline: dict[str, list[int]]  # today, by room
    typical: dict[str, list[float]]  # the ``typical_days`` days before today
    last: LastActivity | None


@dataclass(frozen=True, slots=True)
class _Day:
    metrics: DayMetrics
    rooms: dict[str, list[int]]  # activity per local quarter-hour, by room
    event_count: int  # all events of the household in the day's ``_window``, whatever the device
    max_event_id: int  # 0 without any
    source: str = ""  # as ``_source``, for a stored day


# Built once: the feed runs them on every view.
_DEVICES = select(Device.id, Device.type, Device.room, Device.active).where(
    Device.household_id == bindparam("hid"))
_STORED = select(
    DailyActivity.day, DailyActivity.got_up, DailyActivity.went_to_bed, DailyActivity.night_toilet_visits,
    DailyActivity.kitchen_visits, DailyActivity.minutes_out, DailyActivity.activity, DailyActivity.rooms,
    DailyActivity.event_count, DailyActivity.max_event_id, DailyActivity.source,
).where(DailyActivity.household_id == bindparam("hid"), DailyActivity.day >= bindparam("first"),
        DailyActivity.day <= bindparam("last"))
_RAW = (select(Event.id, Event.event_time, Event.device_id, Event.value)  # every event: a day's check counts them
        .where(Event.household_id == bindparam("hid"), Event.event_time >= bindparam("lo"))
        .order_by(Event.event_time, Event.id))
_TIMES = postgresql.ARRAY(DateTime(timezone=True))
_in_window = (Event.household_id == bindparam("hid"), Event.event_time >= bindparam("lo"),
              Event.event_time < bindparam("hi"))
_slices = select(func.width_bucket(Event.event_time, bindparam("bounds", type_=_TIMES)).label("k"),
                 Event.id.label("id")).where(*_in_window).subquery()
_PG_SLICES = select(_slices.c.k, func.count(), func.max(_slices.c.id)).group_by(_slices.c.k)
_PRESENCE_SET = frozenset(_PRESENCE)
_TWO_EDGED_SET = frozenset(_TWO_EDGED)


def feed_activity(session: Session, household: Household, now: datetime, days: int = 28,
                  typical_days: int = 14) -> FeedActivity:
    """The feed's activity data, from stored days (``DailyActivity``) wherever they are still valid.

    A day is stored once its window (``_window``) is over. Every read checks the stored days against
    the events with one indexed query (``_window_stats``: per window, how many events and the highest
    id) and recomputes any that no longer match, so an event that arrives late (a hub flushing what it
    buffered offline), a device moved to another room or a change of rules shows at once. Raw events
    are read for today's window (and yesterday's until 15:00) and for days found stale, in one query;
    the result is what ``daily_metrics``, ``day_timeline``, ``typical_day`` and ``last_activity`` give.
    Recomputed days are written back in a short transaction of their own (``_store``).
    """
    tz = ZoneInfo(household.timezone)
    today = now.astimezone(tz).date()
    first = today - timedelta(days=max(days, typical_days + 1) - 1)
    conn = session.connection()
    devices = {r[0]: (r[1], r[2], r[3]) for r in conn.execute(_DEVICES, {"hid": household.id})}
    source = _source(household.timezone, devices)
    # Days whose window is over: yesterday from 15:00 today, the day before yesterday until then.
    last_complete = today - timedelta(days=1 if _window(today - timedelta(days=1), tz)[1] <= now else 2)
    complete = [first + timedelta(days=k) for k in range((last_complete - first).days + 1)]
    known: dict[date, _Day] = {}
    stale: list[date] = []
    if complete:
        known = _stored_days(conn, household.id, first, last_complete)
        current = _window_stats(conn, household.id, complete, tz)
        for day in complete:
            d = known.get(day)
            if d is None or d.source != source or current[day] != (d.event_count, d.max_event_id):
                stale.append(day)
                known.pop(day, None)
    fresh = [d for d in stale + [last_complete + timedelta(days=k + 1) for k in range((today - last_complete).days)]
             if d >= first]
    computed, last = _compute_days(conn, household.id, devices, fresh, tz)
    known.update(computed)
    if stale:
        _store(session, household.id, source, {d: computed[d] for d in stale})
    if last is None:  # nothing from an active device since the first day read: look further back
        last = last_activity(session, household)
    return FeedActivity(metrics=[known[today - timedelta(days=k)].metrics for k in range(days - 1, -1, -1)],
                        timeline=known[today].rooms,
                        typical=_typical([known[today - timedelta(days=k)].rooms for k in range(typical_days, 0, -1)]),
                        last=last)


def _typical(days: list[dict[str, list[int]]]) -> dict[str, list[float]]:
    """As ``typical_day``, from each day's activity per quarter-hour by room."""
    with_data = [rooms for rooms in days if any(any(bins) for bins in rooms.values())]
    seen: dict[str, list[int]] = {}
    for rooms in with_data:
        for room, bins in rooms.items():
            acc = seen.get(room)
            if acc is None:
                acc = seen[room] = [0] * BINS_PER_DAY
            for i, c in enumerate(bins):
                if c:
                    acc[i] += 1
    n = len(with_data) or 1
    return {room: [c / n for c in acc] for room, acc in seen.items()}


def _source(timezone: str, devices: dict[int, tuple[str, str, bool]]) -> str:
    """What a stored day was computed with: the rules' version, the time zone, the devices' types and rooms."""
    text = timezone + ";" + ";".join(f"{i}:{t}:{r}" for i, (t, r, _active) in sorted(devices.items()))
    return f"v{ROLLUP_VERSION}:" + hashlib.sha1(text.encode()).hexdigest()[:32]


def _stored_days(conn: Connection, household_id: int, first: date, last: date) -> dict[date, _Day]:
    rows = conn.execute(_STORED, {"hid": household_id, "first": first, "last": last}).all()
    return {r[0]: _Day(DayMetrics(*r[:7]), r[7], r[8], r[9], r[10]) for r in rows}


def _window_stats(conn: Connection, household_id: int, days: list[date], tz: ZoneInfo) -> dict[date, tuple[int, int]]:
    """(events, highest event id) in each day's ``_window`` now, for consecutive ``days``: one query.

    The windows overlap (each spans two 15:00-to-15:00 slices), so the query counts per slice, in one
    range scan of the (household_id, event_time) index, and each day adds up its two slices.
    """
    bounds = [_at(days[0] + timedelta(days=j - 1), DAY_START_HOUR, tz) for j in range(len(days) + 2)]
    params = {"hid": household_id, "lo": bounds[0], "hi": bounds[-1]}
    if conn.dialect.name == "postgresql":  # the bounds as one array: a short statement, prepared once
        rows = conn.execute(_PG_SLICES, {**params, "bounds": bounds[1:-1]})
    else:
        slice_no = case(*[(Event.event_time < b, j) for j, b in enumerate(bounds[1:-1])], else_=len(days))
        inner = select(slice_no.label("k"), Event.id.label("id")).where(*_in_window).subquery()
        rows = conn.execute(select(inner.c.k, func.count(), func.max(inner.c.id)).group_by(inner.c.k), params)
    per_slice = {k: (n, top or 0) for k, n, top in rows}
    out = {}
    for i, day in enumerate(days):
        (n1, top1), (n2, top2) = per_slice.get(i, (0, 0)), per_slice.get(i + 1, (0, 0))
        out[day] = (n1 + n2, max(top1, top2))
    return out


def _compute_days(conn: Connection, household_id: int, devices: dict[int, tuple[str, str, bool]],
                  days: list[date], tz: ZoneInfo) -> tuple[dict[date, _Day], LastActivity | None]:
    """``days`` from raw events, and the last activity since the first of them (None if none).

    One query: every event of the household from the start of the first day's window on.
    """
    if not days:
        return {}, None
    windows = {day: _window(day, tz) for day in days}
    events = conn.execute(_RAW, {"hid": household_id, "lo": min(w[0] for w in windows.values())}).all()
    all_times = [e[1] for e in events]
    rows = []  # as ``_activity_rows``
    last = last_door = None
    for _id, ts, device, value in events:
        kind = devices.get(device)
        if kind is not None and kind[0] in _PRESENCE_SET and (value != 0 or kind[0] in _TWO_EDGED_SET):
            rows.append((ts, device, kind[0], kind[1], value))
            if kind[2]:
                last = (ts, kind[1])
                if kind[1] in DOORS:
                    last_door = ts
    times = [r[0] for r in rows]
    out = {}
    for day, (start, end) in windows.items():
        a, b = bisect.bisect_left(all_times, start), bisect.bisect_left(all_times, end)
        midnight, next_midnight = _midnight(day, tz), _midnight(day + timedelta(days=1), tz)
        out[day] = _Day(
            metrics=_metrics(rows[bisect.bisect_left(times, start):bisect.bisect_left(times, end)], day, 1, tz)[0],
            rooms=_bins_by_room(rows[bisect.bisect_left(times, midnight):bisect.bisect_left(times, next_midnight)], tz),
            event_count=b - a, max_event_id=max((e[0] for e in events[a:b]), default=0),
        )
    return out, None if last is None else LastActivity.after_door(*last, last_door)


def _store(session: Session, household_id: int, source: str, days: dict[date, _Day]) -> None:
    """Write recomputed days in a short transaction of their own; a failure is logged, not raised.

    Two workers may compute the same day at once: the (household_id, day) key makes the second
    write an update, and either row describes the events it came from, so a stale one is caught and
    recomputed on the next read.
    """
    now = datetime.now(UTC)
    rows = [dict(household_id=household_id, day=day, got_up=d.metrics.got_up, went_to_bed=d.metrics.went_to_bed,
                 night_toilet_visits=d.metrics.night_toilet_visits, kitchen_visits=d.metrics.kitchen_visits,
                 minutes_out=d.metrics.minutes_out, activity=d.metrics.activity, rooms=d.rooms,
                 event_count=d.event_count, max_event_id=d.max_event_id, source=source, computed_at=now)
            for day, d in days.items()]
    try:
        with session.get_bind().connect() as conn:
            is_pg = conn.dialect.name == "postgresql"
            stmt: Any = (postgresql.insert if is_pg else sqlite.insert)(DailyActivity)
            stmt = stmt.on_conflict_do_update(
                index_elements=[DailyActivity.household_id, DailyActivity.day],
                set_={k: stmt.excluded[k] for k in rows[0] if k not in ("household_id", "day")},
            )
            if is_pg:  # derived data: never wait long behind someone else's lock
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(STORE_WAIT_MS)}")
                conn.execute(stmt, rows)
                conn.commit()
            else:
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(STORE_WAIT_MS)}")
                try:
                    conn.execute(stmt, rows)
                    conn.commit()
                finally:
                    conn.exec_driver_sql("PRAGMA busy_timeout = 30000")  # as ``telecare.db``
    except Exception:
        log.warning("could not store daily activity of household %s", household_id, exc_info=True)


