"""Real homes for the evaluation: the van Kasteren recordings, cut into days and resampled.

``houseX.sensors`` holds one activation a line (``start<TAB>seconds<TAB>sensor``): the sensor goes on at
``start`` and off ``seconds`` later, on the home's local clock. ``load_days`` turns it into on/off
events for the devices the household file maps and cuts the recording into days from 04:00 to
04:00 (the resident is asleep then); the partial first and last days are dropped. ``resample``
strings seeded random picks of those days (kept in runs where the resident was away across 04:00,
see ``blocks``) into a stream of any length; ``detection.injections`` puts anomalies into chosen
days of such a stream.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from detection.outings import Whereabouts  # read "at home" exactly as the model does
from detection.routine_day import DOORS  # the doors, as the model reads them
from telecare.domain import DeviceType, HouseholdSpec, Room, SensorEvent
from telecare.households import load_household_file

DAY_CUT = 4 * 3600  # seconds after midnight where a day starts
DAY = 86400
Day = list[tuple[float, str, float]]  # (seconds after the day's 04:00, device, value)


@dataclass(frozen=True)
class Truth:
    """One injected anomaly: its class, and when it started and ended (event time)."""

    cls: str
    start: datetime
    end: datetime


FRONT_DOOR_FIX = {"B": ("s7", "s4")}
"""The sensor each house's household file names as the front door, and the one that is.

House B's names file calls sensor 7 the front door, but sensor 7 never reports in the recording,
while sensor 4, which the names file leaves out, fires within two minutes of the start of 23 of the
24 annotated ``leave-house`` and of the end of 21 (house A's front door: 33 and 31 of 33; no other
sensor of house B comes near). ``door_evidence`` works this out and a test keeps it honest. The ids
were mislabelled when the dataset was written up: the home had a working door contact all along.
``load_home`` puts the door on the sensor that reports.
"""


def load_home(directory: str | Path, house: str) -> tuple[HouseholdSpec, list[Day]]:
    """The household file (with ``FRONT_DOOR_FIX`` applied) and the days of ``house`` ("A" or "B")."""
    spec = load_spec(directory, house)
    return spec, load_days(Path(directory) / f"house{house}.sensors", spec)


def load_spec(directory: str | Path, house: str) -> HouseholdSpec:
    """The household file of ``house``, with ``FRONT_DOOR_FIX`` applied."""
    spec = load_household_file(Path(directory) / f"house{house}.household.json")
    if house in FRONT_DOOR_FIX:
        named, real = FRONT_DOOR_FIX[house]
        spec = replace(spec, devices=tuple(replace(d, id=real) if d.id == named else d for d in spec.devices))
    return spec


def door_evidence(directory: str | Path, house: str, within: float = 120.0) -> dict[str, tuple[int, int, int]]:
    """How well each sensor of the recording matches the annotated outings.

    For every sensor id seen in ``houseX.sensors`` (mapped or not): (annotated ``leave-house``
    intervals, how many of them it fired within ``within`` seconds of the start of, and of the end
    of). A front door contact fires at both ends of nearly every outing.
    """
    directory = Path(directory)
    outings = [(float(s), float(s) + float(d)) for s, d, a in rows(directory / f"house{house}.activities")
               if a == "1"]  # 1 = leave-house in houseX.activity_names
    starts: dict[str, list[float]] = {}
    for s, _, sensor in rows(directory / f"house{house}.sensors"):
        starts.setdefault(f"s{sensor}", []).append(float(s))

    def near(times: list[float], t: float) -> bool:
        return any(abs(x - t) <= within for x in times)

    return {sensor: (len(outings), sum(near(times, b) for b, _ in outings), sum(near(times, e) for _, e in outings))
            for sensor, times in starts.items()}


def sensor_edges(path: str | Path, spec: HouseholdSpec) -> list[tuple[float, str, float]]:
    """Each activation of the household's sensors as its two edges (on, off), in time order."""
    mapped = {d.id for d in spec.devices}
    edges: list[tuple[float, str, float]] = []
    for parts in rows(Path(path)):
        start, seconds, sensor = float(parts[0]), float(parts[1]), f"s{parts[2]}"
        if sensor in mapped:
            edges.append((start, sensor, 1.0))
            edges.append((start + max(seconds, 1.0), sensor, 0.0))
    edges.sort()
    return edges


def day_span(edges: Sequence[tuple[float, str, float]]) -> tuple[int, int]:
    """``load_days``'s days: the recording's first whole day (from 04:00), in days since 1970, and
    how many whole days there are (the partial first and last are dropped)."""
    first = int((edges[0][0] - DAY_CUT) // DAY + 1)
    return first, int((edges[-1][0] - DAY_CUT) // DAY) - first


def rows(path: Path) -> list[list[str]]:
    """The lines of a recording file (sensors or activities): start, seconds, id."""
    return [parts for parts in (line.split() for line in path.read_text().split("\n")) if len(parts) == 3]


def load_days(path: str | Path, spec: HouseholdSpec) -> list[Day]:
    edges = sensor_edges(path, spec)
    first, count = day_span(edges)
    days: list[Day] = [[] for _ in range(count)]
    for t, device, value in edges:
        index = int((t - DAY_CUT) // DAY - first)
        if 0 <= index < len(days):
            days[index].append((t - DAY_CUT - (first + index) * DAY, device, value))
    return days


def recorded(days: Sequence[Day]) -> list[bool]:
    """Which days the recording worked on: not a day its sensors were mostly dead.

    The sensors that report on most days are the home's regular ones. A day with events from fewer
    than a third of them is a recording fault, not a day of the resident's life: in house B, from
    the 16th day on, almost only the kitchen motion sensor reports (hundreds of times a day) while the bed
    mats, doors and flush that reported every day before fall silent, and then nothing reports at
    all. A day with no event at all is a day away, unless it touches such a fault (then it is part
    of the fault).

    >>> on = lambda *devices: [(3600.0, d, 1.0) for d in devices]
    >>> home = on("bed", "door", "flush")
    >>> recorded([home, home, [], home, on("kitchen"), [], home])  # away on day 2; a fault on days 4-5
    [True, True, True, True, False, False, True]
    """
    seen = [{device for _, device, value in day if value} for day in days]
    regular = {device for devices in seen for device in devices
               if sum(device in d for d in seen) >= len(days) / 2}
    good = [not s or 3 * len(s & regular) >= len(regular) for s in seen]
    for order, step in ((range(len(days)), -1), (range(len(days) - 1, -1, -1), 1)):
        for i in order:  # empty days next to a fault are part of it: spread it forwards, then back
            if not seen[i] and 0 <= i + step < len(days) and not good[i + step]:
                good[i] = False
    return good


def blocks(spec: HouseholdSpec, days: Sequence[Day]) -> list[list[int]]:
    """Runs of consecutive recorded days that must stay together: the resident was not home at the
    cut between.

    A cut at 04:00 is clean when the resident is at home, asleep, across it: the day before ends
    with them at home (``home_at``), and the day after has a sign of them before 16:00 that is not
    the front door (``_begins_home``). Otherwise (out for the night, away for days, a day with no
    event at all) the days on either side are kept together, so a stream never has someone asleep
    at home one night and, the next day, silently back from a trip they never left for.

    Days the recording did not work on (``recorded``) are in no run, and no run goes across them.
    Nor can a run begin or end next to one with the resident out: nobody knows where they were in
    the gap, and whatever day a run is drawn after or before has them home across the cut. So a day
    that begins with them coming in through the door just after a gap is left out (house B's first
    day, 2009-07-23, and the day the recording came back, 2009-08-16: the door at 13:32 and at
    16:01, nothing before), and so are the last days of a run that ends with them gone out just
    before one, or before the end of the recording (house A's last two days: out of the door at
    19:11 on 2008-03-21, nothing after).
    """
    good = recorded(days)
    runs: list[list[int]] = []
    for i in range(len(days)):
        if not good[i]:
            continue
        begins_home = _begins_home(spec, days[i])
        if runs and runs[-1][-1] == i - 1 and not (home_at(spec, days[i - 1], DAY) and begins_home):
            runs[-1].append(i)
        elif begins_home:
            runs.append([i])
    for run in runs:  # the end of every run is a gap or a clean cut; at a gap they must be home
        while run and not home_at(spec, days[run[-1]], DAY):
            run.pop()
    return [run for run in runs if run]


def _begins_home(spec: HouseholdSpec, day: Day) -> bool:
    """The day's first sign, before 16:00, is of the resident inside, not the front door."""
    doors = {d.id for d in spec.devices if d.room in DOORS}
    first = min((e for e in day if e[2]), default=None)
    return first is not None and first[0] < 12 * 3600 and first[1] not in doors


def resample(days: Sequence[Day], count: int, seed: str, runs: Sequence[Sequence[int]] | None = None) -> list[Day]:
    """``count`` days made of ``runs`` (default: each day alone) drawn with replacement.

    Never the same run twice in a row; the last run drawn is cut to fit.
    """
    return [list(days[i]) for i in resample_picks(len(days), count, seed, runs)]


def resample_picks(n_days: int, count: int, seed: str, runs: Sequence[Sequence[int]] | None = None) -> list[int]:
    """Which real day each of ``resample``'s ``count`` days is (the same seed, the same picks)."""
    rng = random.Random(seed)
    runs = list(runs) if runs is not None else [[i] for i in range(n_days)]
    picks: list[int] = []
    last = -1
    while len(picks) < count:
        r = rng.randrange(len(runs))
        if r != last or len(runs) == 1:
            picks += runs[r]
            last = r
    return picks[:count]


def to_events(spec: HouseholdSpec, days: Sequence[Day], start: datetime) -> list[SensorEvent]:
    """The stream as events; day 0 begins at ``start`` (a 04:00)."""
    devices = {d.id: d for d in spec.devices}
    events = []
    for n, day in enumerate(days):
        base = start + timedelta(days=n)
        for offset, device, value in sorted(day):
            d = devices[device]
            events.append(SensorEvent(spec.hub, device, d.type, d.room, base + timedelta(seconds=offset), value))
    return events


STREAM_START = datetime(2026, 1, 5, 4, 0, tzinfo=UTC)


def home_at(spec: HouseholdSpec, day: Day, t: float) -> bool:
    """The resident is home at ``t`` of ``day``, read from the day's signs before it by the routine
    model's own ``Whereabouts`` (a day from 04:00 to 04:00, so an outing that began in the afternoon
    is in it).

    The door puts them out. A motion sensor within two minutes of it (one by the door sees them
    leave) keeps them out, when that passage through the door began the time out (after the door
    opened while they were out, it is them coming in), and so does one sensor firing alone more than
    ten minutes into an outing (house B's kitchen sensor fires during most of his annotated
    outings, his cutlery drawer's tilt switch too); any other sign puts them in.

    >>> from telecare.domain import DeviceSpec
    >>> spec = HouseholdSpec("h", "h", "UTC", (DeviceSpec("door", DeviceType.CONTACT, Room.FRONT_DOOR),
    ...     DeviceSpec("pir", DeviceType.MOTION, Room.KITCHEN), DeviceSpec("fridge", DeviceType.CONTACT, Room.KITCHEN)))
    >>> out = [(0.0, "fridge", 1.0), (60.0, "door", 1.0), (90.0, "pir", 1.0), (5000.0, "pir", 1.0)]
    >>> home_at(spec, out, 9000.0), home_at(spec, [*out, (6000.0, "fridge", 1.0)], 9000.0)
    (False, False)
    >>> home_at(spec, [*out, (6000.0, "fridge", 1.0), (6300.0, "pir", 1.0)], 9000.0)  # two sensors: someone in
    True
    >>> home_at(spec, [*out, (7000.0, "door", 1.0), (7030.0, "pir", 1.0)], 9000.0)  # in through the door
    True
    """
    devices = {d.id: d for d in spec.devices}
    where = Whereabouts(1, spec.timezone)
    seen = False
    for o, dev, value in sorted(e for e in day if e[0] < t and e[2]):
        d = devices[dev]
        event = SensorEvent(spec.hub, dev, d.type, d.room, STREAM_START + timedelta(seconds=o), value)
        if not where.stray(event, at_door=d.room in DOORS):
            where.see(event, at_door=d.room in DOORS)
            seen = True
    return seen and not where.out
