"""``telecare replay``: run the detection engine over an events file, alerts out as JSON Lines.

The same ``DetectionEngine`` as the live service, driven by a ``ManualClock`` that follows the events'
own time and ticks at least once a minute of event time through quiet periods, so an absence alert is
raised exactly when it would have been live. Output is one JSON line per alert::

    {"ts": "2026-01-21T12:31:00+00:00", "kind": "inactivity", "severity": "urgent",
     "summary": "No movement since ...", "evidence": {...}, "key": "...", "hub": "sim-001"}

Alerts are grouped as the live service groups them: while an alert of a kind is open, a repeat of
that kind is not a new line. An alert closes when its detector clears it (movement resumed), or, as
a stand-in for the responder who would resolve it, ``--resolve-after`` hours after it was last seen.
Same files and options: byte-identical output.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from detection.engine import DetectionEngine
from detection.outings import MOST_NIGHTS_AWAY_KNOWN
from detection.routine_day import LONGEST_NIGHT_EXIT_AFTER, RoutineConfig
from detection.safety import SafetyConfig, Signal
from telecare.clock import ManualClock
from telecare.domain import AlertSignal, ClearSignal, HouseholdSpec, SensorEvent
from telecare.households import parse_household

STEP = timedelta(minutes=1)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--household", required=True, metavar="HOUSEHOLD.json", help="the home's household file")
    add("events", metavar="EVENTS.jsonl", help="events file (JSON Lines, as `telecare simulate` writes)")
    add("--learning-days", type=int, default=14, metavar="D", help="days before learned alerts (default 14)")
    add("--inactivity-hours", type=float, default=6.0, metavar="H",
        help="absolute inactivity limit of the safety rules (default 6)")
    add("--rules-only", action="store_true", help="the fixed safety rules only, no routine model")
    add("--night-exit-after", type=_night_exit_minutes, default=None, metavar="MIN",
        help="the home's care plan: a door opened at night with nobody seen inside for this many minutes "
             "is a night exit (0-60; default 5, as in the live service)")
    add("--nights-away", type=_nights_away, default=None, metavar="N",
        help="the home's care plan: after N nights away in the learned weeks a night out is staying away, "
             "not reported as not back (1-28; default 2, as in the live service)")
    add("--extend-hours", type=float, default=0.0, metavar="H",
        help="keep the clock ticking this long after the last event (default 0)")
    add("--resolve-after", type=float, default=12.0, metavar="H",
        help="an alert not cleared is taken as resolved this long after last seen (default 12)")
    add("--clears", action="store_true", help="also write a line when an alert is cleared")


def run(args: argparse.Namespace) -> int:
    from telecare.households import HouseholdFileError, load_household_file

    try:
        spec = load_household_file(args.household)
    except (HouseholdFileError, OSError) as exc:
        print(f"telecare replay: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(args.learning_days, timedelta(hours=args.inactivity_hours), not args.rules_only,
                         args.night_exit_after, args.nights_away)
    grouper = AlertGrouper(timedelta(hours=args.resolve_after), args.clears)
    out = sys.stdout
    counter, lines = _Counter(), 0
    try:
        events = read_events_file(args.events, spec)
        for at, signal in drive(engine, spec, counter(events), extend=timedelta(hours=args.extend_hours)):
            record = grouper.feed(at, signal)
            if record is not None:
                out.write(json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n")
                lines += 1
    except (OSError, ValueError) as exc:
        print(f"telecare replay: {exc}", file=sys.stderr)
        return 1
    print(f"replayed {counter.seen} events of {spec.hub}: {lines} alert lines", file=sys.stderr)
    return 0


def make_engine(learning_days: int = 14, inactivity_limit: timedelta = timedelta(hours=6),
                learn: bool = True, night_exit_after: timedelta | None = None,
                nights_away: int | None = None) -> DetectionEngine:
    """The engine the live service runs, for one home with these per-home settings."""
    routine = RoutineConfig(learning_days=learning_days)
    if night_exit_after is not None:
        routine = replace(routine, exit_after=night_exit_after)
    if nights_away is not None:
        routine = replace(routine, nights_away_known=nights_away)
    return DetectionEngine(SafetyConfig(inactivity_limit=inactivity_limit), routine, learn=learn)


def _nights_away(text: str) -> int:
    return _whole_number(text, 1, MOST_NIGHTS_AWAY_KNOWN, "nights")


def _night_exit_minutes(text: str) -> timedelta:
    return timedelta(minutes=_whole_number(text, 0, LONGEST_NIGHT_EXIT_AFTER, "minutes"))


def _whole_number(text: str, low: int, high: int, unit: str) -> int:
    """A care-plan setting from the command line: a whole number of ``unit`` from ``low`` to ``high``."""
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number of {unit} from {low} to {high}")
    return int(text)


def household_events(
    household: dict[str, Any], records: Iterable[dict[str, Any]]
) -> tuple[HouseholdSpec, list[SensorEvent]]:
    """A household file and its events-file records (e.g. a simulated home's) as detection input."""
    spec = parse_household(household)
    devices = {d.id: d for d in spec.devices}
    return spec, [
        SensorEvent(spec.hub, r["device"], devices[r["device"]].type, devices[r["device"]].room,
                    datetime.fromisoformat(r["ts"]), float(r["value"]), battery=r.get("battery"))
        for r in records
    ]


def read_events_file(path: str, spec: HouseholdSpec) -> Iterator[SensorEvent]:
    """Events-file lines as ``SensorEvent``s; unknown devices and repeated lines are skipped."""
    devices = {d.id: d for d in spec.devices}
    last_seq: dict[str, Any] = {}
    unknown: set[str] = set()
    with open(path, encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                device = devices.get(record["device"])
                ts = datetime.fromisoformat(record["ts"])
                value = record["value"]
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}:{number}: not an event line ({exc})") from exc
            if device is None:
                if record["device"] not in unknown:
                    unknown.add(record["device"])
                    print(f"telecare replay: {path}:{number}: unknown device {record['device']!r} "
                          "skipped", file=sys.stderr)
                continue
            seq = record.get("seq")
            if seq is not None and last_seq.get(device.id) == seq:
                continue  # a hub re-sent it
            last_seq[device.id] = seq
            yield SensorEvent(spec.hub, device.id, device.type, device.room, ts, float(value))


def drive(
    engine: DetectionEngine,
    spec: HouseholdSpec,
    events: Iterable[SensorEvent],
    *,
    extend: timedelta = timedelta(0),
    step: timedelta = STEP,
    start: datetime | None = None,
) -> Iterator[tuple[datetime, Signal]]:
    """Feed ``events`` (time order) to ``engine``, ticking a manual clock every ``step`` in between.

    Yields ``(clock time, signal)`` for every signal, in the order the live service would see them.
    Ticks fall on whole minutes after the first event, or after ``start`` when a run is continued
    (from a restored snapshot, say) and ``start`` was the previous run's last tick.
    """
    engine.add_household(spec.hub, spec.timezone)
    clock: ManualClock | None = None
    next_tick: datetime | None = None
    if start is not None:
        clock = ManualClock(start)
        next_tick = start + step
    for event in events:
        if clock is None:
            clock = ManualClock(event.ts)
            next_tick = event.ts.replace(second=0, microsecond=0) + step
        while next_tick <= event.ts:
            clock.set(next_tick)
            for s in engine.tick(next_tick):
                yield next_tick, s
            next_tick += step
        now = clock.set(event.ts)
        for s in engine.process([event]):
            yield now, s
    if clock is None:
        return
    end = clock.now() + extend
    while next_tick <= end:
        clock.set(next_tick)
        for s in engine.tick(next_tick):
            yield next_tick, s
        next_tick += step


@dataclass
class AlertGrouper:
    """One open alert per kind, as the live service keeps them; returns the lines to write."""

    resolve_after: timedelta = timedelta(hours=12)
    clears: bool = False
    open: dict[str, datetime] = field(default_factory=dict)  # kind -> last seen

    def feed(self, at: datetime, signal: Signal) -> dict[str, Any] | None:
        kind = signal.kind.value
        seen = self.open.get(kind)
        if seen is not None and at - seen > self.resolve_after:
            del self.open[kind]
            seen = None
        if isinstance(signal, ClearSignal):
            if seen is None:
                return None
            del self.open[kind]
            if not self.clears:
                return None
            return {"ts": _rfc3339(at), "kind": kind, "status": "cleared", "summary": signal.summary,
                    "hub": signal.hub}
        assert isinstance(signal, AlertSignal)
        self.open[kind] = at
        if seen is not None:
            return None
        return {
            "ts": _rfc3339(at),
            "kind": kind,
            "severity": signal.effective_severity.value,
            "summary": signal.summary,
            "evidence": signal.evidence,
            "key": signal.key,
            "hub": signal.hub,
            "category": signal.kind.category.value,
        }


def _rfc3339(ts: datetime) -> str:
    return ts.isoformat(timespec="seconds")


class _Counter:
    def __init__(self) -> None:
        self.seen = 0

    def __call__(self, events: Iterable[SensorEvent]) -> Iterator[SensorEvent]:
        for e in events:
            self.seen += 1
            if self.seen % 100_000 == 0:
                print(f"\rreplayed {self.seen} events", end="", file=sys.stderr, flush=True)
            yield e

