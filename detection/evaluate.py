"""``telecare evaluate``: how well detection finds injected trouble, and how often it cries wolf.

Streams with ground truth are replayed through the same ``DetectionEngine`` as the live service, with
the routine model (after ``--learning-days`` of learning, the 6 h safety floor on) and, for
comparison, with the fixed rules alone (no movement 4 h, not up by 10:00, door opened 23:00-06:00).

Stream groups:

- ``sim``: simulated personas (``simulator``), with a daytime fall, a morning not getting up, a night
  exit and a long bathroom stay injected after the learning period, up and about in the kitchen at
  02:30 for 40 minutes (``night_up``, in a stream of its own), a fall between 19:00 and 21:00 with
  nobody up until noon the next day (``evening_fall``, in a stream of its own), the trends (two more
  night toilet trips a night, 60% fewer kitchen visits, moving less: ``simulator.trend_scenarios``)
  from the fourth day after it, and clean homes;
- ``kasteren``: the real van Kasteren houses A and B, days resampled into streams, with a fall
  (silence after a moment between 09:00 and 19:00), not up (morning removed until wake + 3 h), a night
  exit (front door at 02:30, then silence), an evening fall (silence after a moment between 19:00 and
  23:00, until noon the next day; in a stream of its own), and trends (two more night toilet visits
  every night, 60% fewer kitchen visits, half of all visits anywhere but the toilet and the door)
  from day 20; and clean streams;
- ``--household H --events E --truth T``: your own files (truth as ``telecare simulate`` writes it).

Recall counts an anomaly as found when an alert of a matching kind comes within 12 h of its start
(7 days for trends). A fall is matched by ``inactivity``, ``long_bathroom`` (the silence began
in the bathroom), ``not_up`` (a fall in the morning before the kitchen) or ``not_returned`` (a simulated fall that happens while the plan has the resident
out looks like an outing that never ends); the simulated fall pendant is not counted. False alerts are behavioural alerts after the learning period that match no injected
anomaly, per 100 monitored home-days (days after learning).

``--responders`` adds the routine model in service: every alert answered by a simulated responder,
whose verdicts reach the model as they do live (``detection.in_service``). ``--alerts FILE`` writes
every alert raised after learning as JSON Lines, with its words and what the scoring made of it, so
the false ones can be read (``jq 'select(.verdict == "false")'``).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from detection.baseline import FixedRules
from detection.engine import DetectionEngine
from detection.in_service import SimulatedResponder
from detection.replay import AlertGrouper, drive, household_events, read_events_file
from detection.routine import RoutineConfig
from detection.safety import SafetyConfig
from telecare.domain import AlertSignal, HouseholdSpec, SensorEvent

KASTEREN_DIR = Path("/work/shared/data/kasteren")
ACUTE_HORIZON = timedelta(hours=12)
TREND_HORIZON = timedelta(days=7)
MATCH = {
    "fall": {"inactivity", "not_returned", "long_bathroom", "not_up"},
    "evening_fall": {"inactivity", "not_returned", "long_bathroom", "not_up"},
    "not_up": {"not_up", "inactivity"},
    "night_exit": {"night_wandering", "not_returned"},
    "night_up": {"night_wandering"},
    "long_bathroom": {"long_bathroom", "inactivity"},
    "night_toilet_increase": {"night_toilet_increase"},
    "kitchen_decline": {"kitchen_decline", "activity_decline"},
    "activity_decline": {"activity_decline"},
}
TRENDS = {"night_toilet_increase", "kitchen_decline", "activity_decline"}
BEHAVIOURAL = {
    "inactivity", "not_up", "night_wandering", "not_returned", "long_bathroom",
    "night_toilet_increase", "kitchen_decline", "activity_decline", "sleep_change", "outings_decline",
}
SIM_CLASS = {"fall": "fall", "not_up": "not_up", "night_wandering": "night_exit", "night_up": "night_up",
             "long_bathroom": "long_bathroom", **{t: t for t in TRENDS}}
METHODS = ("routine", "fixed rules")
# Days an injection is tried on (a day without a chance, such as a day away, moves it along): three,
# but six for an evening fall (house B is out, or on the bed mat by 19:00, on more than half his evenings).
_TRIES = {"evening_fall": 6}
IN_SERVICE = "in service"  # the routine model with every alert resolved by a simulated responder
WITH_RESPONDERS = (METHODS[0], IN_SERVICE, *METHODS[1:])  # ``--responders``, in the table's order


@dataclass(frozen=True)
class Truth:
    cls: str
    start: datetime
    end: datetime


@dataclass
class Result:
    group: str
    method: str
    clean: bool
    monitored_days: float
    false_alerts: int
    found: list[tuple[str, float | None]] = field(default_factory=list)  # (class, delay minutes)
    # Per alert scored, what it was: "found" (an injected anomaly), "about" (came while one lasted),
    # "false", or "" (in the learning period, or not about the person); with ``--alerts``, the alerts
    # after learning with their words and verdicts.
    verdicts: list[str] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--streams", type=int, default=12, metavar="N",
        help="streams per home and kind of injection (default 12)")
    add("--seed", default="0", help="same seed: same streams, same table (default 0)")
    add("--learning-days", type=int, default=14, metavar="D")
    add("--groups", default="sim,kasteren", help="comma-separated: sim, kasteren (default both)")
    add("--kasteren-dir", type=Path, default=KASTEREN_DIR, metavar="DIR")
    add("--household", metavar="FILE", help="evaluate your own household file...")
    add("--events", metavar="FILE", help="...its events file...")
    add("--truth", metavar="FILE", help="...and its ground truth (JSON Lines as `telecare simulate` writes)")
    add("--responders", action="store_true",
        help="also run the routine model in service: a simulated responder resolves every alert 30 min "
             "after it is raised (genuine if it is about an injected anomaly, a false alarm otherwise) and "
             "the verdicts adjust the home's limits as in the live service (detection.in_service)")
    add("--jobs", type=int, default=0, metavar="N", help="worker processes (default: all cores)")
    add("--alerts", type=Path, metavar="FILE",
        help="also write every alert raised after learning as JSON Lines: stream, method, when, kind, summary, "
             "and the verdict (found: it found an injected anomaly; about: it came while one lasted; false)")
    add("--set", action="append", default=[], metavar="NAME=VALUE", dest="config",
        help="change one of the routine model's margins (a RoutineConfig field; durations in minutes), "
             "e.g. sign_margin=2.0, to measure what it trades; repeatable")


def routine_config(settings: Sequence[str]) -> dict[str, object]:
    """``--set`` values as RoutineConfig fields (durations in minutes, ``night_hours`` as ``23:0:1``).

    >>> routine_config(["sign_margin=2", "sign_extra=20"])
    {'sign_margin': 2.0, 'sign_extra': datetime.timedelta(seconds=1200)}
    >>> routine_config(["margin=2"])
    Traceback (most recent call last):
    ...
    ValueError: --set margin=2: no such field of RoutineConfig
    >>> routine_config(["night_hours=22:23:0"])
    {'night_hours': (22, 23, 0)}
    """
    defaults = {f.name: f.default for f in fields(RoutineConfig)}
    changed: dict[str, object] = {}
    for setting in settings:
        name, _, value = setting.partition("=")
        if name == "learning_days":  # the scoring counts monitored days from it too
            raise ValueError(f"--set {setting}: use --learning-days")
        if name not in defaults or not value:
            raise ValueError(f"--set {setting}: no such field of RoutineConfig")
        default = defaults[name]
        try:
            if isinstance(default, timedelta):
                changed[name] = timedelta(minutes=float(value))
            elif isinstance(default, tuple):
                changed[name] = tuple(int(v) for v in value.split(":"))
            else:
                changed[name] = type(default)(value)
        except ValueError:
            raise ValueError(f"--set {setting}: not a {type(default).__name__}") from None
    return changed


def run(args: argparse.Namespace) -> int:
    try:
        config = routine_config(args.config)
    except ValueError as e:
        print(f"telecare evaluate: {e}", file=sys.stderr)
        return 2
    recipes = []
    if args.household:
        if not (args.events and args.truth):
            print("telecare evaluate: --household needs --events and --truth", file=sys.stderr)
            return 2
        recipes.append(("files", args.household, args.events, args.truth, args.learning_days))
    else:
        groups = set(args.groups.split(","))
        if "sim" in groups:
            recipes += sim_recipes(args.streams, args.seed, args.learning_days)
        if "kasteren" in groups:
            recipes += kasteren_recipes(args.streams, args.seed, args.learning_days, str(args.kasteren_dir))
    results: list[Result] = []
    lines = args.alerts.open("w", encoding="utf-8") if args.alerts else None
    with ProcessPoolExecutor(max_workers=args.jobs or None) as pool:
        methods = WITH_RESPONDERS if args.responders else METHODS
        score_one = partial(score_recipe, config=config, methods=methods, keep_alerts=lines is not None)
        for n, out in enumerate(pool.map(score_one, recipes), start=1):
            results += out
            for result in out if lines is not None else ():
                lines.writelines(json.dumps(alert) + "\n" for alert in result.alerts)
            print(f"\revaluated {n}/{len(recipes)} streams", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    if lines is not None:
        lines.close()
    print(format_table(results))
    return 0


# ---------------------------------------------------------------------- stream recipes
def sim_recipes(streams: int, seed: str, learning: int) -> list[tuple]:
    from simulator.personas import PERSONAS

    recipes = []
    first = learning + 2
    for persona in PERSONAS:
        for k in range(streams):
            s = f"{seed}/{k}"
            injected = [f"fall@{first + 2}T{10 + k % 8}:{(7 * k) % 60:02d}", f"not_up@{first + 6}",
                        f"night_wandering@{first + 10}T02:30", f"long_bathroom@{first + 14}T{9 + k % 9}:10:80"]
            recipes.append(("sim", persona, s, injected, first + 17, learning))
            # Up and about in the kitchen at 02:30 for 40 min, in a stream of its own (the others unchanged).
            recipes.append(("sim", persona, f"{s}/night_up", [f"night_up@{first + 3}T02:30"], first + 5, learning))
            # A fall in the evening, and nobody up until noon the next day, in a stream of its own.
            hour, minute = 19 + k % 2, (11 * k) % 60
            recipes.append(("sim", persona, f"{s}/evening",
                            [f"fall@{first + 2}T{hour}:{minute:02d}:{(36 - hour) * 60 - minute}"], first + 5, learning,
                            {"fall": "evening_fall"}))
            for trend in ("night_toilet_increase", "kitchen_decline", "activity_decline"):
                recipes.append(("sim", persona, f"{s}/{trend}", [f"{trend}@{first + 3}"], first + 12, learning))
            recipes.append(("sim", persona, s + "/clean", [], first + 28, learning))
    return recipes


def kasteren_recipes(streams: int, seed: str, learning: int, directory: str) -> list[tuple]:
    recipes = []
    first = learning + 1  # 0-based day index of the first monitored day
    for house in ("A", "B"):
        for k in range(streams):
            s = f"{seed}/{house}/{k}"
            recipes.append(("kasteren", directory, house, s, [("fall", first + 1), ("not_up", first + 4),
                                                              ("night_exit", first + 7)], first + 10, learning))
            recipes.append(("kasteren", directory, house, s + "/evening", [("evening_fall", first + 2)],
                            first + 9, learning))
            recipes.append(("kasteren", directory, house, s + "/toilet", [("night_toilet", first + 5)],
                            first + 14, learning))
            recipes.append(("kasteren", directory, house, s + "/kitchen", [("kitchen_decline", first + 5)],
                            first + 14, learning))
            recipes.append(("kasteren", directory, house, s + "/activity", [("activity_decline", first + 5)],
                            first + 14, learning))
            recipes.append(("kasteren", directory, house, s + "/clean", [], first + 28, learning))
    return recipes


def build(recipe: tuple) -> tuple[str, HouseholdSpec, list[SensorEvent], list[Truth], int, int]:
    """(group, household, events, truths, days, learning days) of a recipe."""
    if recipe[0] == "sim":
        return _build_sim(*recipe[1:])
    if recipe[0] == "kasteren":
        return _build_kasteren(*recipe[1:])
    return _build_files(*recipe[1:])


def _build_sim(persona, seed, injected, days, learning, classes=None):
    from simulator.scenarios import parse_scenario
    from simulator.simulation import build_homes

    [home] = build_homes(1, seed=seed, days=days, personas=[persona],
                         scenarios=[parse_scenario(x) for x in injected])
    spec, events = household_events(home.household, home.events())
    classes = {**SIM_CLASS, **(classes or {})}  # (an evening fall is the simulator's fall, at another time)
    truths = [Truth(classes[t.kind], t.start, t.end or t.start) for t in home.truth if t.kind in classes]
    return "sim", spec, events, truths, days, learning


def _build_kasteren(directory, house, seed, injections, days, learning):
    from detection import kasteren as k

    spec, real_days = k.load_home(directory, house)
    stream = k.resample(real_days, days, seed, k.blocks(spec, real_days))
    rng = random.Random(f"{seed}/inject")
    inject = {"fall": k.inject_fall, "evening_fall": k.inject_evening_fall, "not_up": k.inject_not_up,
              "night_exit": k.inject_night_exit, "night_toilet": k.inject_night_toilet, "kitchen_decline": k.inject_kitchen_decline,
              "activity_decline": k.inject_activity_decline}
    truths = []
    for name, day in injections:
        truth = None
        for d in range(day, min(day + _TRIES.get(name, 3), days)):  # a day without a chance moves it along
            truth = inject[name](spec, stream, d, k.STREAM_START, rng)
            if truth is not None:
                break
        if truth is not None:
            truths.append(Truth(truth.cls, truth.start, truth.end))
    return f"kasteren-{house}", spec, k.to_events(spec, stream, k.STREAM_START), truths, days, learning


def _build_files(household, events_path, truth_path, learning):
    from simulator.eventsfile import read_truth
    from telecare.households import load_household_file

    spec = load_household_file(household)
    events = list(read_events_file(events_path, spec))
    truths = [Truth(SIM_CLASS.get(t.kind, t.kind), t.start, t.end or t.start)
              for t in read_truth(truth_path) if SIM_CLASS.get(t.kind, t.kind) in MATCH]
    days = max(1, round((events[-1].ts - events[0].ts) / timedelta(days=1))) if events else 0
    return "files", spec, events, truths, days, learning


# ---------------------------------------------------------------------- scoring
def make(method: str, learning: int, config: Mapping[str, object] | None = None) -> DetectionEngine:
    if method == "routine":
        routine = RoutineConfig(**{"learning_days": learning, **(config or {})})
        return DetectionEngine(SafetyConfig(timedelta(hours=6)), routine)
    plain = SafetyConfig(timedelta(hours=4), out_limit=None, up_by=None)  # no movement for 4 hours, as it says
    return DetectionEngine(plain, model=lambda hub, tz, _c: FixedRules(hub, tz))


def score_recipe(recipe: tuple, config: Mapping[str, object] | None = None,
                 methods: Sequence[str] = METHODS, keep_alerts: bool = False) -> list[Result]:
    """Replay one recipe's stream through each method; ``config``: RoutineConfig fields changed;
    ``keep_alerts``: each result keeps its alerts after learning, with their verdicts (``--alerts``)."""
    group, spec, events, truths, days, learning = build(recipe)
    if not events:
        return []
    monitored_from = events[0].ts.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=learning)
    end = events[0].ts + timedelta(days=days)
    results = []
    for method in methods:
        grouper = AlertGrouper()
        alerts, summaries = [], []
        engine = make("routine" if method == IN_SERVICE else method, learning, config)
        responder = None
        if method == IN_SERVICE:
            responder = SimulatedResponder(engine, spec.hub, lambda at, kind: any(_about(t, at, kind) for t in truths))
        for at, signal in drive(engine, spec, events, extend=end - events[-1].ts):
            if responder is not None:
                responder.until(at)
            if grouper.feed(at, signal) is not None and isinstance(signal, AlertSignal):
                alerts.append((at, signal.kind.value))
                summaries.append(signal.summary)
                if responder is not None:
                    responder.alerted(signal)
        result = score(group, method, alerts, truths, monitored_from, end, clean=_clean(recipe, truths))
        if keep_alerts:
            stream = recipe[{"sim": 2, "kasteren": 3}.get(recipe[0], 1)]
            result.alerts = [{"group": group, "stream": stream, "method": method, "ts": at.isoformat(), "kind": kind,
                              "summary": summary, "verdict": verdict}
                             for (at, kind), summary, verdict in zip(alerts, summaries, result.verdicts, strict=True)
                             if at >= monitored_from]
        result.verdicts = []  # the lines have them: not sent back to the parent for nothing
        results.append(result)
    return results


def _clean(recipe: tuple, truths: list[Truth]) -> bool:
    """A clean stream: nothing was to be injected (a stream whose injection found no chance, such as
    an evening fall in a stream of evenings out, is not one: it counts in all streams only)."""
    asked = {"sim": 3, "kasteren": 4}.get(recipe[0])  # where the recipe holds what it injects
    return not recipe[asked] if asked is not None else not truths


def score(group, method, alerts, truths, monitored_from, end, clean: bool | None = None) -> Result:
    used: set[int] = set()
    clean = not truths if clean is None else clean
    result = Result(group, method, clean, max(0.0, (end - monitored_from) / timedelta(days=1)), 0)
    for truth in truths:
        hits = [i for i, (at, kind) in enumerate(alerts) if _finds(truth, at, kind)]
        used.update(hits)
        delay = (alerts[hits[0]][0] - truth.start) / timedelta(minutes=1) if hits else None
        result.found.append((truth.cls, delay))
    for i, (at, kind) in enumerate(alerts):
        if i in used:
            result.verdicts.append("found")
        elif kind not in BEHAVIOURAL or at < monitored_from:
            result.verdicts.append("")
        elif any(_about(t, at, kind) for t in truths):
            result.verdicts.append("about")
        else:
            result.verdicts.append("false")
            result.false_alerts += 1
    return result


def _finds(truth: Truth, at: datetime, kind: str) -> bool:
    """An alert of ``kind`` at ``at`` finds the injected ``truth``: a matching kind, in time."""
    horizon = TREND_HORIZON if truth.cls in TRENDS else ACUTE_HORIZON
    return kind in MATCH[truth.cls] and truth.start - timedelta(minutes=5) <= at <= truth.start + horizon


def _about(truth: Truth, at: datetime, kind: str) -> bool:
    """The alert is about ``truth``: it finds it, or came while it lasted (a fall that goes on into
    the next morning is also not up), or is a matching trend since it began. Not a false alert."""
    return (_finds(truth, at, kind) or truth.start - timedelta(hours=1) <= at <= truth.end + timedelta(hours=12)
            or (truth.cls in TRENDS and at >= truth.start and kind in MATCH[truth.cls]))


def format_table(results: list[Result]) -> str:
    rows = ["group        method       class                    n  recall  median delay  worst delay"]
    groups = sorted({(r.group, r.method) for r in results}, key=lambda g: (g[0], WITH_RESPONDERS.index(g[1])))
    for group, method in groups:
        mine = [r for r in results if r.group == group and r.method == method]
        found: dict[str, list] = defaultdict(list)
        for r in mine:
            for cls, delay in r.found:
                found[cls].append(delay)
        for cls in MATCH:
            if cls not in found:
                continue
            delays = [d for d in found[cls] if d is not None]
            recall = len(delays) / len(found[cls])
            unit = "d" if cls in TRENDS else "min"
            div = 1440 if cls in TRENDS else 1
            med = f"{statistics.median(delays) / div:.1f} {unit}" if delays else "-"
            worst = f"{max(delays) / div:.1f} {unit}" if delays else "-"
            rows.append(f"{group:<12} {method:<12} {cls:<22} {len(found[cls]):>3}  {recall:6.2f}  "
                        f"{med:>12}  {worst:>11}")
        clean = [r for r in mine if r.clean]
        c_days, c_fa = sum(r.monitored_days for r in clean), sum(r.false_alerts for r in clean)
        a_days, a_fa = sum(r.monitored_days for r in mine), sum(r.false_alerts for r in mine)
        if c_days:
            rows.append(f"{group:<12} {method:<12} false alerts / 100 home-days, clean streams: "
                        f"{100 * c_fa / c_days:.2f} ({c_fa} in {c_days:.0f} days)")
        if a_days:
            rows.append(f"{group:<12} {method:<12} false alerts / 100 home-days, all streams:   "
                        f"{100 * a_fa / a_days:.2f} ({a_fa} in {a_days:.0f} days)")
    return "\n".join(rows)
