"""Anomalies injected into real days of a van Kasteren stream (``detection.kasteren``): a fall by
day or in the evening, a late morning, a night exit, and the trends (more night toilet visits, fewer
kitchen visits, moving less). Each takes the stream's days and the day to inject into, changes them
in place, and returns the ground truth, or None when that day gives it no chance (the resident out,
or not up at home that morning): the caller tries the next day.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from detection.kasteren import DAY, DAY_CUT, STREAM_START, Day, Truth, home_at
from detection.routine_day import BOTH_EDGES, DOORS, LIVING, RoutineDay  # as the model reads signs and getting up
from telecare.domain import DeviceType, HouseholdSpec, Room

def _rooms(spec: HouseholdSpec) -> dict[str, Room]:
    return {d.id: d.room for d in spec.devices}


def _beds(spec: HouseholdSpec) -> set[str]:
    return {d.id for d in spec.devices if d.type is DeviceType.BED}


def inject_fall(spec: HouseholdSpec, days: list[Day], n: int, start: datetime, rng: random.Random) -> Truth | None:
    """A fall at home by day: everything after a random moment between 09:00 and 19:00 is silent.

    The moment is a sign of the resident up and about, not at the front door, not in bed: a motion
    sensor firing, or a door or cupboard opening or closing. Closings count as much as openings: a
    fall only ever just after opening something would leave it open every time, which no model
    should get to lean on (most falls come after the hand has let go).
    """
    return _fall(spec, days, n, start, rng, "fall", (9, 19))


def inject_evening_fall(spec: HouseholdSpec, days: list[Day], n: int, start: datetime,
                        rng: random.Random) -> Truth | None:
    """A fall at home in the evening, at a sign of the resident up and about between 19:00 and
    23:00 (as ``inject_fall``), and nobody finds them: silent until noon the next day.

    The evening is when a home without a bed sensor cannot tell going to bed from lying on the
    kitchen floor by the time of day alone. The rest of that night and the next morning are silent
    too, as they would be: nobody gets up.
    """
    return _fall(spec, days, n, start, rng, "evening_fall", (19, 23), until_next=(12 - DAY_CUT // 3600) * 3600)


def _fall(spec: HouseholdSpec, days: list[Day], n: int, start: datetime, rng: random.Random, cls: str,
          hours: tuple[int, int], until_next: float = 0.0) -> Truth | None:
    """Silence after a random sign of the resident up and about between ``hours`` (local, from-to),
    to the end of the day, and ``until_next`` seconds into the next one."""
    rooms = _rooms(spec)
    beds = _beds(spec)
    both_edges = {d.id for d in spec.devices if d.type in (DeviceType.CONTACT, DeviceType.APPLIANCE, DeviceType.CHAIR)}
    low, high = ((h * 3600 - DAY_CUT) % DAY for h in hours)
    in_bed: set[str] = set()
    candidates = []  # moments up and about at home: not at the door, not in bed
    for o, dev, v in sorted(days[n]):
        if dev in beds:
            (in_bed.add if v else in_bed.discard)(dev)
        elif (low <= o <= high and (v or dev in both_edges) and not in_bed
              and rooms[dev] not in DOORS):
            candidates.append(o)
    if not candidates or (until_next and n + 1 >= len(days)):
        return None
    t = rng.choice(candidates)
    if until_next and not home_at(spec, days[n], t):
        return None  # a sensor firing while the resident is out (house B's kitchen): not a fall at home
    days[n] = [e for e in days[n] if e[0] <= t]
    base = start + timedelta(days=n)
    end = base + timedelta(days=1)
    if until_next:
        days[n + 1] = [e for e in days[n + 1] if e[0] >= until_next]
        end += timedelta(seconds=until_next)
    return Truth(cls, base + timedelta(seconds=t), end)




def inject_not_up(spec: HouseholdSpec, days: list[Day], n: int, start: datetime, rng: random.Random) -> Truth | None:
    """Getting up 3 hours late: the morning's events are removed until the day's wake time + 3 h,
    but for the bed mats' before the wake time (still in bed, as they show).

    Only on a morning the resident woke up at home (the first sign is not the front door, they
    were home the evening before, and no door before the wake time took them out): coming home at
    06:00 is not getting up, and three hours taken away just after the front door opened are an
    outing, not a morning in bed (house B opens it at 04:27 on one morning and is in the kitchen
    a second later). The wake time is getting up as the routine model learns it
    (``RoutineDay.note_up``): the first sign in the kitchen or
    living areas that another device follows within half an hour and no bed mat press within 45
    minutes. One sign alone is not getting up (a drink at 06:18 and back to bed until 09:26 in house
    A; house B's kitchen motion sensor firing on its own at 04:40), nor is a night toilet visit the
    bed mat shows ended back in bed (house B at 04:44, up at 09:26): removing the three hours after
    either would take away nothing of the real morning.
    """
    rooms, types = _rooms(spec), {d.id: d.type for d in spec.devices}
    events = sorted(days[n])
    room = next((rooms[dev] for _, dev, value in events
                 if value and rooms[dev] in LIVING and types[dev] is not DeviceType.BED), None)
    probe = RoutineDay(STREAM_START, STREAM_START, False)
    for o, dev, value in events:
        if value or types[dev] in BOTH_EDGES and types[dev] is not DeviceType.BED:  # as the model sees them
            living = rooms[dev] in LIVING and rooms[dev] not in DOORS
            probe.note_up(o / 3600, dev, types[dev] is DeviceType.BED, living)
    wake = None if probe.up is None else probe.up * 3600
    if wake is None or wake > 8 * 3600 or room in DOORS or n == 0 or not home_at(spec, days[n - 1], DAY):
        return None
    went_out = any(o < wake and value and rooms[dev] in DOORS for o, dev, value in events)
    if went_out and not home_at(spec, days[n], wake):
        return None
    # The night before the real getting up stays on the bed mats (a mat that pulses when he turns over
    # goes on pulsing until then): only the mats say he was in bed, and taking them away too would
    # make a late riser lie still from 04:00.
    beds = _beds(spec)
    days[n] = [e for e in days[n] if e[0] >= wake + 3 * 3600 or (e[1] in beds and e[0] < wake)]
    base = start + timedelta(days=n)
    return Truth("not_up", base + timedelta(seconds=wake), base + timedelta(seconds=wake + 3 * 3600))


def inject_night_exit(spec: HouseholdSpec, days: list[Day], n: int, start: datetime, rng: random.Random) -> Truth | None:
    """Leaving by the front door at 02:30, then silence until 04:00 (on a night the resident is home)."""
    door = next((d.id for d in spec.devices if d.room == Room.FRONT_DOOR), None)
    t = 22.5 * 3600
    if door is None or not home_at(spec, days[n], t):
        return None
    days[n] = [e for e in days[n] if e[0] < t] + [(t, door, 1.0), (t + 20, door, 0.0)]
    base = start + timedelta(days=n)
    return Truth("night_exit", base + timedelta(seconds=t), base + timedelta(days=1))


APART = 30 * 60  # seconds: an extra night toilet visit is a trip of its own, this far from any other
_TRIES = 50  # draws for a time clear of the other trips (a night without one gets fewer)


def inject_night_toilet(spec: HouseholdSpec, days: list[Day], n: int, start: datetime, rng: random.Random) -> Truth | None:
    """From day ``n`` on, two extra night toilet visits (door and flush) between 00:30 and 03:30.

    Each is a trip of its own, at least ``APART`` from the resident's own visits to the toilet or
    bathroom that night and from the other: drawn anywhere, some came within minutes of a real
    visit, and were the same trip, not one more.

    The change begins with the first of them, in the night after day ``n`` began: "within 7 days of
    onset" counts from there, not from the morning before, when nothing had changed yet.
    """
    wash = {d.id for d in spec.devices if d.room in (Room.TOILET, Room.BATHROOM)}
    toilet = [d.id for d in spec.devices if d.id in wash
              and d.type in (DeviceType.CONTACT, DeviceType.FLUSH, DeviceType.MOTION)]
    if not toilet:
        return None
    first = None
    for k in range(n, len(days)):
        taken = [e[0] for e in days[k] if e[1] in wash]
        for _ in range(2):
            for _ in range(_TRIES):
                t = rng.uniform(20.5 * 3600, 23.5 * 3600)
                if all(abs(t - other) >= APART for other in taken):
                    break
            else:
                continue
            taken.append(t)
            if k == n:
                first = t if first is None else min(first, t)
            for j, device in enumerate(toilet[:2]):
                days[k].append((t + 30 * j, device, 1.0))
                days[k].append((t + 30 * j + 5, device, 0.0))
    base = start + timedelta(days=n)
    return Truth("night_toilet_increase", base + timedelta(seconds=first or 0), base + timedelta(days=len(days) - n))


def _drop_visits(spec: HouseholdSpec, days: list[Day], n: int, rng: random.Random, rooms: frozenset[Room],
                 share: float) -> None:
    """From day ``n`` on, ``share`` of the visits to ``rooms`` (a room's events 15 min apart or less)
    do not happen."""
    room_of = _rooms(spec)
    for k in range(n, len(days)):
        kept: Day = []
        last: dict[Room, float] = {}
        dropping: dict[Room, bool] = {}
        for e in sorted(days[k]):
            room = room_of[e[1]]
            if room in rooms:
                if e[0] - last.get(room, -1e9) > 900:
                    dropping[room] = rng.random() < share
                last[room] = e[0]
                if dropping[room]:
                    continue
            kept.append(e)
        days[k] = kept


def inject_kitchen_decline(spec: HouseholdSpec, days: list[Day], n: int, start: datetime, rng: random.Random) -> Truth | None:
    """From day ``n`` on, 60% of kitchen visits (events 15 min apart or less) do not happen."""
    _drop_visits(spec, days, n, rng, frozenset({Room.KITCHEN}), 0.6)
    base = start + timedelta(days=n)
    return Truth("kitchen_decline", base, base + timedelta(days=len(days) - n))


_NOT_LESS = frozenset({Room.TOILET, Room.BATHROOM, Room.FRONT_DOOR, Room.BACK_DOOR})


def inject_activity_decline(spec: HouseholdSpec, days: list[Day], n: int, start: datetime, rng: random.Random) -> Truth | None:
    """From day ``n`` on, moving less: half the visits to every room but the toilet, the bathroom
    and the doors (going out is not what is injected) do not happen."""
    _drop_visits(spec, days, n, rng, frozenset(Room) - _NOT_LESS, 0.5)
    base = start + timedelta(days=n)
    return Truth("activity_decline", base, base + timedelta(days=len(days) - n))
