"""Read-side activity data for the families' feed and the responders' alert page.

Every function takes a ``Session`` and only reads. Times in the database are UTC; every day, bin and
clock time here is the household's *local* time (``Household.timezone``), so a 15-minute bin is a
quarter-hour of the wall clock and a day is a local calendar day (23 or 25 hours at a clock change;
in autumn the repeated hour falls into the same bins, in spring the skipped hour's bins stay empty).

"Activity" is what the detector counts as a sign of the person (``detection.routine``): an event
from a device whose type ``shows_presence`` (motion, door contact, bed, chair, flush, appliance,
button), its activation, or either edge for the two-state devices (a door closing, leaving the bed).
Temperature, power, smoke, leak and fall readings are not activity. The daily metrics reuse the
detector's rooms, gaps and hours (imported, not copied) so the feed and the alerts agree.
"""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from detection.outings import LEAVING, OUTING, VISIT_GAP
from detection.routine_day import BOTH_EDGES, DAY_START_HOUR, DOORS, EVENING, LIVING, UP_FOR, WAKE_FROM, WASH
from telecare.domain import PRESENCE_TYPES, DeviceType, Room
from telecare.models import Device, Event, Household

log = logging.getLogger(__name__)

BINS_PER_DAY = 96  # quarter-hours
WAKE_HOUR = (DAY_START_HOUR + WAKE_FROM) % 24  # 04:00: getting up counts from then
EVENING_HOUR = (DAY_START_HOUR + EVENING) % 24  # 20:00: going to bed counts from then
NIGHT_END_HOUR = 6  # a night toilet visit is one between 00:00 and 06:00 (as the detector counts)
BED_SETTLED = timedelta(hours=2)  # no bed mat: the evening's last busy spot is followed by this quiet

_PRESENCE = sorted(str(t) for t in PRESENCE_TYPES)
_TWO_EDGED = sorted(str(t) for t in BOTH_EDGES)


@dataclass(frozen=True, slots=True)
class LastActivity:
    at: datetime  # UTC
    room: str  # a ``Room`` value
    # The door the person last went out by, when nothing else has been seen since (the door, or a
    # sensor within two minutes of it, as the detector reads "out"); None when they are at home.
    went_out: datetime | None = None

    @classmethod
    def after_door(cls, at: datetime, room: str, last_door: datetime | None) -> LastActivity:
        """The last sign at ``at`` in ``room``, the latest door opening having been ``last_door``."""
        out = last_door is not None and at - last_door <= LEAVING
        return cls(at, room, last_door if out else None)


@dataclass(frozen=True, slots=True)
class ActivityWindow:
    """Activity counts per bin around a moment, and the usual counts for the same local clock times.

    Bin ``i`` covers ``[start + i * bin_minutes, start + (i + 1) * bin_minutes)``; ``median``, ``low``
    and ``high`` are the median and the 10th / 90th percentiles over the previous ``days`` days.
    """

    start: datetime  # UTC
    bin_minutes: int
    counts: list[int]
    median: list[float]
    low: list[float]
    high: list[float]
    days: int

    def bin_start(self, i: int) -> datetime:
        return self.start + timedelta(minutes=self.bin_minutes * i)


@dataclass(frozen=True, slots=True)
class DayMetrics:
    """One local day as the feed shows it. Clock times are minutes after the day's local midnight.

    ``went_to_bed`` may exceed 1440 (after midnight: 00:30 is 1470), so a trend stays continuous.
    The counts are ``None`` on a day without any activity at all (no data, not "nothing happened").
    """

    day: date
    got_up: int | None
    went_to_bed: int | None
    night_toilet_visits: int | None
    kitchen_visits: int | None  # visits (events more than 15 min apart start a new one), not minutes
    minutes_out: int | None
    activity: int  # activity events in the day


def _activity_rows(session: Session, household_id: int, start: datetime, end: datetime) -> list[tuple]:
    """(event_time, device id, device type, room, value) of activity in ``[start, end)``, oldest first."""
    # Core execution on the session's connection: the ORM's row machinery costs more than the query.
    return session.connection().execute(
        select(Event.event_time, Event.device_id, Device.type, Device.room, Event.value)
        .join(Device, Device.id == Event.device_id)
        .where(
            Event.household_id == household_id,
            Device.household_id == household_id,  # lets the planner read 10 devices, not all of them
            Event.event_time >= start,
            Event.event_time < end,
            Device.type.in_(_PRESENCE),
            or_(Event.value != 0, Device.type.in_(_TWO_EDGED)),
        )
        .order_by(Event.event_time, Event.id)
    ).all()


def _at(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of ``hour``:00 local on ``day`` (a skipped hour resolves forward)."""
    return datetime.combine(day, time(hour), tz).astimezone(UTC)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return _at(day, 0, tz)


def _local_minutes(ts: datetime, day: date, tz: ZoneInfo) -> int:
    """Local clock minutes of ``ts`` after midnight of ``day`` (24:30 on the next day is 1470)."""
    local = ts.astimezone(tz)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute


# --------------------------------------------------------------------------- feed and timelines
def last_activity(session: Session, household: Household) -> LastActivity | None:
    """The latest sign of the person (from an active device), or None if there never was one."""
    row = session.execute(
        select(Event.event_time, Device.room)
        .join(Device, Device.id == Event.device_id)
        .where(
            Event.household_id == household.id,
            Device.active.is_(True),
            Device.type.in_(_PRESENCE),
            or_(Event.value != 0, Device.type.in_(_TWO_EDGED)),
        )
        .order_by(Event.event_time.desc(), Event.id.desc())
        .limit(1)
    ).first()
    return None if row is None else LastActivity(row[0], row[1], row[0] if row[1] in DOORS else None)


def _bins_by_room(rows: Iterable[tuple], tz: ZoneInfo) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for ts, _device, _type, room, _value in rows:
        local = ts.astimezone(tz)
        bins = out.get(room)
        if bins is None:
            bins = out[room] = [0] * BINS_PER_DAY
        bins[local.hour * 4 + local.minute // 15] += 1
    return out


def day_timeline(session: Session, household: Household, day: date) -> dict[str, list[int]]:
    """Per room, activity events in each local quarter-hour of ``day`` (96 bins from 00:00)."""
    tz = ZoneInfo(household.timezone)
    rows = _activity_rows(session, household.id, _midnight(day, tz),
                          _midnight(day + timedelta(days=1), tz))
    return _bins_by_room(rows, tz)


def typical_day(session: Session, household: Household, before: date, days: int = 14) -> dict[str, list[float]]:
    """Per room and quarter-hour, the fraction of the ``days`` days before ``before`` with activity.

    Only days on which anything at all was seen count (a new home, or a hub offline for a day, does
    not dilute the fractions).
    """
    tz = ZoneInfo(household.timezone)
    first = before - timedelta(days=days)
    rows = _activity_rows(session, household.id, _midnight(first, tz), _midnight(before, tz))
    seen: dict[str, list[set[date]]] = {}
    days_with_data: set[date] = set()
    for ts, _device, _type, room, _value in rows:
        local = ts.astimezone(tz)
        days_with_data.add(local.date())
        bins = seen.get(room)
        if bins is None:
            bins = seen[room] = [set() for _ in range(BINS_PER_DAY)]
        bins[local.hour * 4 + local.minute // 15].add(local.date())
    n = len(days_with_data) or 1
    return {room: [len(b) / n for b in bins] for room, bins in seen.items()}


def activity_around(session: Session, household: Household, at: datetime, hours_before: float = 6,
                    hours_after: float = 2, bin_minutes: int = 30, days: int = 14) -> ActivityWindow:
    """Activity per bin from ``hours_before`` before ``at`` to ``hours_after`` after, with the usual.

    The usual is taken from the same local clock times on each of the previous ``days`` days (one
    query for all of them): per bin, the median and the 10th-90th percentile band.
    """
    tz = ZoneInfo(household.timezone)
    step = timedelta(minutes=bin_minutes)
    n = math.ceil(timedelta(hours=hours_before + hours_after) / step)
    local_at, before = at.astimezone(tz), timedelta(hours=hours_before)
    # The same local clock time k days earlier (wall-clock arithmetic), then the same span before it.
    starts = [(local_at - timedelta(days=k)).astimezone(UTC) - before for k in range(days + 1)]
    rows = _activity_rows(session, household.id, starts[-1], starts[0] + n * step)
    times = [r[0] for r in rows]
    per_day = []
    for s in starts:
        lo = bisect.bisect_left(times, s)
        counts = [0] * n
        for ts in times[lo:bisect.bisect_left(times, s + n * step)]:
            counts[int((ts - s) / step)] += 1
        per_day.append(counts)
    history = per_day[1:]
    cols = [sorted(c[i] for c in history) for i in range(n)]
    return ActivityWindow(
        start=starts[0], bin_minutes=bin_minutes, counts=per_day[0],
        median=[_quantile(c, 0.5) for c in cols], low=[_quantile(c, 0.1) for c in cols],
        high=[_quantile(c, 0.9) for c in cols], days=days,
    )


# --------------------------------------------------------------------------- daily metrics
def daily_metrics(session: Session, household: Household, end: date, days: int = 28) -> list[DayMetrics]:
    """Metrics for the ``days`` local days up to and including ``end``, oldest first.

    One query (the window plus the afternoon before, so the first morning is seen whole, and the
    morning after ``end``, for its bedtime), then per day one pass in time order over that day's own
    window, from 15:00 the day before to 15:00 the day after (``_window``), with the detector's rules.
    A day's figures depend on its window only, never on which range it is read in, so they can be
    stored once the window is over (``feed_activity``) and read back as they would be computed.

    - ``got_up``: as ``RoutineModel``: the first activity in the kitchen, living areas or at a door
      from 04:00, or, with a bed mat, the moment the bed was left from 04:00 if it stayed empty for
      45 minutes; whichever the detector would see first. Until 15:00 (the routine day's end).
    - ``went_to_bed``: from 20:00 to 04:00: with a bed mat, the first press not released within 45
      minutes; otherwise the first activity in the living areas followed by two hours without any
      (so a short night visit to the kitchen does not move it).
    - ``night_toilet_visits``: bathroom or toilet visits starting 00:00-06:00; events more than 15
      minutes apart are separate visits (the detector's count behind night_toilet_increase).
    - ``kitchen_visits``: kitchen visits (same 15-minute rule) started in the local calendar day.
      The detector counts the same visits per routine day (15:00 to 15:00).
    - ``minutes_out``: from the door event that began an outing (the last sign was at a door, or
      within two minutes of it) to the first activity inside while out; 10 minutes or more only, as
      the detector learns outings. An outing across midnight is split between the days; one not yet
      over is not counted.
    """
    tz = ZoneInfo(household.timezone)
    first = end - timedelta(days=days - 1)
    rows = _activity_rows(session, household.id, _window(first, tz)[0], _window(end, tz)[1])
    times = [r[0] for r in rows]
    out = []
    for k in range(days):
        day = first + timedelta(days=k)
        lo, hi = _window(day, tz)
        out.append(_metrics(rows[bisect.bisect_left(times, lo):bisect.bisect_left(times, hi)], day, 1, tz)[0])
    return out


def _window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The events a day's metrics are computed from: 15:00 the day before to 15:00 the day after."""
    return _at(day - timedelta(days=1), DAY_START_HOUR, tz), _at(day + timedelta(days=1), DAY_START_HOUR, tz)


def _metrics(rows: Sequence[tuple], first: date, days: int, tz: ZoneInfo) -> list[DayMetrics]:
    """One pass over activity ``rows`` (oldest first) for the ``days`` local days from ``first``."""
    n = days
    midnights = [_midnight(first + timedelta(days=k), tz) for k in range(-1, n + 2)]
    wake_from = [_at(first + timedelta(days=k), WAKE_HOUR, tz) for k in range(n)]
    # Local hours the rules need, as UTC instants per day (k = -1 .. n): one comparison per event
    # instead of a time zone conversion.
    night_end = [_at(first + timedelta(days=k), NIGHT_END_HOUR, tz) for k in range(-1, n + 1)]
    day_end = [_at(first + timedelta(days=k), DAY_START_HOUR, tz) for k in range(-1, n + 1)]
    got_up: list[int | None] = [None] * n
    toilet, kitchen, out, activity = [0] * n, [0] * n, [0.0] * n, [0] * n
    presses: list[tuple[datetime, datetime | None]] = []  # (a bed mat pressed, all released)
    living: list[datetime] = []
    beds: set[int] = set()
    up_since = last = last_wash = last_kitchen = last_door = out_since = None
    is_out = False
    outings: list[tuple[datetime, datetime]] = []
    i = -1  # local day of the event, as an index from ``first``
    for ts, device, dtype, room, value in rows:
        if last is not None and ts <= last:
            continue  # as the detector: time never moves backwards
        while ts >= midnights[i + 2]:
            i += 1
        d = i if 0 <= i < n else None
        night = ts < night_end[i + 1]
        if dtype == DeviceType.BED:
            if value:
                if not beds:
                    presses.append((ts, None))
                beds.add(device)
            else:
                beds.discard(device)
                if not beds and presses and presses[-1][1] is None:
                    presses[-1] = (presses[-1][0], ts)
            up_since = None if beds else ts
        # The routine day of ``ts`` ends at 15:00 local: getting up belongs to that day's morning.
        wd = i if ts < day_end[i + 1] else i + 1
        if 0 <= wd < n and got_up[wd] is None:
            day = first + timedelta(days=wd)
            if up_since is not None and not beds and ts - up_since >= UP_FOR and up_since >= wake_from[wd]:
                got_up[wd] = _local_minutes(up_since, day, tz)
            elif room in LIVING and ts >= wake_from[wd]:
                got_up[wd] = _local_minutes(ts, day, tz)
        if room in LIVING:
            living.append(ts)
        if d is not None:
            activity[d] += 1
        if room in WASH:
            if d is not None and night and (last_wash is None or ts - last_wash > VISIT_GAP):
                toilet[d] += 1
            last_wash = ts
        if room == Room.KITCHEN:
            if d is not None and (last_kitchen is None or ts - last_kitchen > VISIT_GAP):
                kitchen[d] += 1
            last_kitchen = ts
        if is_out and room not in DOORS and out_since is not None and ts - out_since >= OUTING:
            outings.append((out_since, ts))
            out_since = None
        if room in DOORS:
            if not is_out:
                out_since = ts
            last_door = ts
        is_out = last_door is not None and ts - last_door <= LEAVING
        last = ts
    for start, stop in outings:
        for k in range(n):
            overlap = (min(midnights[k + 2], stop) - max(midnights[k + 1], start)).total_seconds()
            if overlap > 0:
                out[k] += overlap / 60
    result = []
    for k in range(n):
        day = first + timedelta(days=k)
        has = activity[k] > 0
        result.append(DayMetrics(
            day=day, got_up=got_up[k], went_to_bed=_bedtime(day, tz, presses, living, last),
            night_toilet_visits=toilet[k] if has else None, kitchen_visits=kitchen[k] if has else None,
            minutes_out=round(out[k]) if has else None, activity=activity[k],
        ))
    return result


def _bedtime(day: date, tz: ZoneInfo, presses: list, living: list[datetime], last: datetime | None) -> int | None:
    a = _at(day, EVENING_HOUR, tz)
    b = _at(day + timedelta(days=1), WAKE_HOUR, tz)
    for pressed, released in presses:
        if a <= pressed < b and (released is None or released - pressed >= UP_FOR):
            return _local_minutes(pressed, day, tz)
    for j in range(bisect.bisect_left(living, a), bisect.bisect_left(living, b)):
        following = living[j + 1] if j + 1 < len(living) else last
        if following is not None and following - living[j] >= BED_SETTLED:
            return _local_minutes(living[j], day, tz)
    return None


# --------------------------------------------------------------------------- bands
def _quantile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of sorted values (as numpy's default); 0.0 when empty."""
    if not sorted_values:
        return 0.0
    pos = (len(sorted_values) - 1) * q
    below = math.floor(pos)
    above = min(below + 1, len(sorted_values) - 1)
    return sorted_values[below] + (sorted_values[above] - sorted_values[below]) * (pos - below)


def normal_band(values: Iterable[float | None], low: float = 0.1, high: float = 0.9) -> tuple[float, float] | None:
    """The ``low``-``high`` percentile band of the known values; None with fewer than five.

    >>> normal_band([1, 2, None, 3, 4, 5])
    (1.4, 4.6)
    >>> normal_band([1, 2, None]) is None
    True
    """
    known = sorted(v for v in values if v is not None)
    if len(known) < 5:
        return None
    return round(_quantile(known, low), 6), round(_quantile(known, high), 6)
