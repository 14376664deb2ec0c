"""Playing a day plan out: what each sensor in the home reports as the resident moves about.

The day becomes a list of *segments* (armchair, hallway, kitchen, bed, out...) with no gaps; each
segment makes the sensors of its place fire the way real ones do: a PIR reports motion then clears
30-60 s later and keeps reporting while someone moves, mats report occupied then free, a door opens
for a few seconds. Motion and contact readings are kept as on/off intervals and merged per device,
so the output never says ``true`` twice in a row for one sensor.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, replace

from simulator.activations import MINUTE, SECOND, Activation
from simulator.homes import SensorLayout
from simulator.plans import DayPlan, Place, Visit

TV_STANDBY_W = 0.5
_FLUSHING = {
    "toilet": 0.97,
    "night_toilet": 0.97,
    "wash": 0.9,
    "evening_wash": 0.9,
    "shower": 0.7,
    "long_bathroom": 0.8,
}
# Mean minutes between PIR triggers while someone is there, by place or, if listed, by activity:
# sitting on the toilet or slumped on the bathroom floor moves the PIR less than washing does.
_MOVES_EVERY_MIN: dict[str, float] = {
    Place.LIVING: 12.0,
    Place.BATHROOM: 2.0,
    Place.KITCHEN: 1.5,
    Place.BEDROOM: 2.0,
    "toilet": 4.0,
    "night_toilet": 4.0,
    "long_bathroom": 6.0,
}
_ROOMS = {Place.BATHROOM: "bathroom", Place.KITCHEN: "kitchen", Place.BEDROOM: "bedroom"}


@dataclass(frozen=True, slots=True)
class Segment:
    place: Place
    start: int
    end: int
    visit: Visit | None = None  # None for home-base and hallway filler


def arrange(plan: DayPlan, next_wake: int) -> tuple[list[Visit], int, list[Visit]]:
    """Put the plan's visits in order without overlaps; return day visits, bedtime, night visits.

    Pinned (scenario) visits keep their times; the others move later past anything they collide
    with, and night visits that no longer fit before the next morning are dropped.
    """
    day = [v for v in plan.visits if v.start < plan.bedtime]
    night = [v for v in plan.visits if v.start >= plan.bedtime]
    placed_day = _place(day, earliest=plan.wake + MINUTE, latest=None, gap=MINUTE)
    bedtime = max([plan.bedtime] + [v.end + 2 * MINUTE for v in placed_day])
    placed_night = _place(
        night, earliest=bedtime + 10 * MINUTE, latest=next_wake - 5 * MINUTE, gap=10 * MINUTE
    )
    return placed_day, bedtime, placed_night


def _place(visits: list[Visit], earliest: int, latest: int | None, gap: int) -> list[Visit]:
    placed = [_not_before(v, earliest) for v in visits if v.pinned]
    for visit in sorted((v for v in visits if not v.pinned), key=lambda v: v.start):
        length = visit.end - visit.start
        start = max(visit.start, earliest)
        moved = True
        while moved:
            moved = False
            for other in placed:
                if start < other.end + gap and other.start < start + length + gap:
                    start, moved = other.end + gap, True
        if latest is not None and start + length > latest:
            continue
        placed.append(replace(visit, start=start, end=start + length))
    return sorted(placed, key=lambda v: v.start)


def _not_before(visit: Visit, earliest: int) -> Visit:
    if visit.start >= earliest:
        return visit
    return replace(visit, start=earliest, end=max(earliest + MINUTE, visit.end))


def segments(plan: DayPlan, next_wake: int, walk: int = 0) -> list[Segment]:
    """The day as back-to-back segments, from ``walk`` ms after getting up to the next morning."""
    day, bedtime, night = arrange(plan, next_wake)
    out: list[Segment] = []
    _fill(out, plan.wake + walk, bedtime, day, Place.LIVING)
    _fill(out, bedtime, next_wake, night, Place.BED)
    return out


def _fill(out: list[Segment], start: int, end: int, visits: Iterable[Visit], base: Place) -> None:
    cursor = start
    for visit in visits:
        if visit.start > cursor:
            out.append(_filler(cursor, visit.start, base))
        out.append(Segment(visit.place, visit.start, visit.end, visit))
        cursor = max(cursor, visit.end)
    if end > cursor:
        out.append(_filler(cursor, end, base))


def _filler(start: int, end: int, base: Place) -> Segment:
    # A few minutes between two visits is spent walking, not settling into the armchair.
    if base is Place.LIVING and end - start < 4 * MINUTE:
        return Segment(Place.HALLWAY, start, end)
    return Segment(base, start, end)


class _Sensors:
    """Collects sensor output: on/off intervals for binary devices, readings for meters."""

    def __init__(self, layout: SensorLayout, rng: random.Random) -> None:
        self.layout, self.rng = layout, rng
        self.intervals: dict[str, list[tuple[int, int | None]]] = {}
        self.points: list[Activation] = []

    def on(self, device: str | None, start: int, end: int | None) -> None:
        if device is not None:
            self.intervals.setdefault(device, []).append((start, end))

    def pulse(self, device: str | None, at: int, low_s: int = 30, high_s: int = 60) -> None:
        self.on(device, at, at + self.rng.randint(low_s * SECOND, high_s * SECOND))

    def motion(self, room: str, at: int) -> None:
        self.pulse(self.layout.motion.get(room), at)

    def moving(self, room: str, start: int, end: int, every_min: float) -> None:
        """PIR triggers at arrival and then now and again while the resident is there."""
        self.motion(room, start + 2 * SECOND)
        t = start + round(self.rng.expovariate(1 / every_min) * MINUTE)
        while t < end - 30 * SECOND:
            self.motion(room, t)
            t += max(70 * SECOND, round(self.rng.expovariate(1 / every_min) * MINUTE))

    def reading(self, device: str | None, at: int, value: float) -> None:
        if device is not None:
            self.points.append(Activation(at, device, value))

    def activations(self) -> list[Activation]:
        out = list(self.points)
        for device, spans in self.intervals.items():
            spans.sort(key=lambda s: s[0])
            merged: list[list[int | None]] = []
            for start, end in spans:
                last = merged[-1] if merged else None
                if last is not None and (last[1] is None or start <= last[1] + 2 * SECOND):
                    last[1] = None if last[1] is None or end is None else max(last[1], end)
                else:
                    merged.append([start, end])
            for start, end in merged:
                out.append(Activation(start, device, True))
                if end is not None:
                    out.append(Activation(end, device, False))
        out.sort(key=lambda a: a.ms)
        return out


def realise_day(
    plan: DayPlan, next_wake: int, layout: SensorLayout, rng: random.Random
) -> list[Activation]:
    """The day's activations, time-ordered, all at or after ``plan.wake``."""
    sensors = _Sensors(layout, rng)
    # Getting up: the mat frees at the wake time itself, the bedroom PIR sees it a moment later.
    sensors.reading(layout.bed, plan.wake, False)
    sensors.motion("bedroom", plan.wake + 5 * SECOND)
    previous = Place.BED
    parts = segments(plan, next_wake, walk=30 * SECOND)
    for index, seg in enumerate(parts):
        last = index == len(parts) - 1
        if (
            Place.OUT not in (previous, seg.place)
            and seg.place is not Place.HALLWAY
            and seg.place != previous
        ):
            sensors.motion("hallway", seg.start - 10 * SECOND)
        _play(sensors, plan, seg, last)
        previous = seg.place
    return sensors.activations()


def _play(sensors: _Sensors, plan: DayPlan, seg: Segment, last: bool) -> None:
    rng, layout = sensors.rng, sensors.layout
    s, e = seg.start, seg.end
    if seg.place is Place.HALLWAY:
        sensors.motion("hallway", s + min(20 * SECOND, (e - s) // 2))
    elif seg.place is Place.BED:
        sensors.motion("bedroom", s + 20 * SECOND)
        settle = s + rng.randint(40, 60) * SECOND
        if last:  # the getting-up that ends this night starts the next day
            sensors.on(layout.bed, settle, None)
        else:
            leave = max(settle + MINUTE, e - rng.randint(45, 70) * SECOND)
            sensors.on(layout.bed, settle, leave)
            sensors.motion("bedroom", leave + 5 * SECOND)
    elif seg.place is Place.OUT:
        sensors.motion("hallway", s - 20 * SECOND)
        sensors.on(layout.front_door, s, s + rng.randint(4, 15) * SECOND)
        sensors.on(layout.front_door, e, e + rng.randint(4, 12) * SECOND)
        sensors.motion("hallway", e + 15 * SECOND)
    elif seg.place is Place.LIVING:
        _sit(sensors, plan, s, e)
    else:
        activity = seg.visit.activity if seg.visit else ""
        sensors.moving(
            _ROOMS[seg.place], s, e, _MOVES_EVERY_MIN.get(activity, _MOVES_EVERY_MIN[seg.place])
        )
        if seg.place is Place.BATHROOM and rng.random() < _FLUSHING.get(activity, 0.0):
            flush_at = max(s + 20 * SECOND, e - rng.randint(20, 60) * SECOND)
            sensors.on(layout.flush, flush_at, flush_at + rng.randint(6, 12) * SECOND)
        if seg.place is Place.KITCHEN:
            _cook(sensors, seg, s, e)


def _sit(sensors: _Sensors, plan: DayPlan, s: int, e: int) -> None:
    rng, layout = sensors.rng, sensors.layout
    sensors.moving("living_room", s, e, _MOVES_EVERY_MIN[Place.LIVING])
    if e - s < 4 * MINUTE:
        return
    sensors.on(layout.chair, s + 40 * SECOND, e - 30 * SECOND)
    tv_on = plan.tv_evening if s >= plan.evening_from else plan.tv_daytime
    if tv_on and e - s >= 10 * MINUTE:
        watts = rng.uniform(70.0, 95.0)
        t = s + MINUTE
        while t < e - 2 * MINUTE:  # smart plugs report on change and every quarter of an hour
            sensors.reading(layout.tv, t, round(watts + rng.uniform(-3.0, 3.0), 1))
            t += 15 * MINUTE + rng.randint(-30, 30) * SECOND
        sensors.reading(layout.tv, e - MINUTE, TV_STANDBY_W)


def _cook(sensors: _Sensors, seg: Segment, s: int, e: int) -> None:
    rng, layout = sensors.rng, sensors.layout
    meal = seg.visit is not None and seg.visit.activity != "drink"
    # A meal opens the fridge one to three times; a drink only sometimes (milk).
    openings = rng.randint(1, 3) if meal else int(rng.random() < 0.6)
    for _ in range(openings):
        at = rng.randint(s + 20 * SECOND, max(s + 20 * SECOND, e - MINUTE))
        sensors.on(layout.fridge, at, at + rng.randint(8, 40) * SECOND)
    if seg.visit is not None and seg.visit.kettle:
        on = s + rng.randint(20, 60) * SECOND
        sensors.on(
            layout.kettle,
            on,
            max(on + 30 * SECOND, min(e - 5 * SECOND, on + rng.randint(150, 240) * SECOND)),
        )
