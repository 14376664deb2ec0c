"""``telecare evaluate``: how well detection finds injected trouble, and how often it cries wolf.

Streams with ground truth are replayed through the same ``DetectionEngine`` as the live service, with
the routine model (after ``--learning-days`` of learning, the 6 h safety floor on) and, for
comparison, with the fixed rules alone (no movement 4 h, not up by 10:00, door opened 23:00-06:00).

Stream groups:

- ``sim``: simulated personas (``simulator``), with a daytime fall, a morning not getting up, a night
  exit and a long bathroom stay injected after the learning period, up and about in the kitchen at
  02:30 for 40 minutes (the night owl, often up at 02:30: 03:45; ``night_up``, in a stream of its
  own), a fall between 19:00 and 21:00 with nobody up until noon the next day (``evening_fall``, in
  a stream of its own), the trends (two more night toilet trips a night, each a trip of its own,
  60% fewer kitchen visits, moving less: ``simulator.trend_scenarios``) from the fourth day after
  it, and clean homes;
- ``kasteren``: the real van Kasteren houses A and B, days resampled into streams, with a fall
  (silence after a moment between 09:00 and 19:00), not up (morning removed until wake + 3 h), a night
  exit (front door at 02:30, then silence), an evening fall (silence after a moment between 19:00 and
  23:00, until noon the next day; in a stream of its own), and trends (two more night toilet visits
  every night, each a trip of its own, 60% fewer kitchen visits, half of all visits anywhere but the
  toilet and the door) from day 20; and clean streams;
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

On the real homes the scoring is the same, but the recordings are real lives: under the false alerts
on clean streams the table lists what the recording's own annotation had the resident doing at the
moment of each (``leave-house``, ``go-to-bed``..., or ``(none)``), and ``--alerts`` writes it as
``annotated`` (``detection.annotations``). House B's front door at 04:27 on one morning is scored
false and annotated ``leave-house``: a true exit in the night that nobody injected.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from detection import annotations
from detection.baseline import FixedRules
from detection.engine import DetectionEngine
from detection.eval_streams import (  # noqa: F401 - the recipes are part of this module's interface
    KASTEREN_DIR,
    MATCH,
    TRENDS,
    Truth,
    annotations_of,
    asks_nothing,
    build,
    kasteren_recipes,
    sim_recipes,
    stream_name,
)
from detection.in_service import SimulatedResponder
from detection.replay import AlertGrouper, drive
from detection.routine import RoutineConfig
from detection.safety import SafetyConfig
from telecare.domain import AlertSignal

ACUTE_HORIZON = timedelta(hours=12)
TREND_HORIZON = timedelta(days=7)
BEHAVIOURAL = {
    "inactivity", "not_up", "night_wandering", "not_returned", "long_bathroom",
    "night_toilet_increase", "kitchen_decline", "activity_decline", "sleep_change", "outings_decline",
}
METHODS = ("routine", "fixed rules")
IN_SERVICE = "in service"  # the routine model with every alert resolved by a simulated responder
WITH_RESPONDERS = (METHODS[0], IN_SERVICE, *METHODS[1:])  # ``--responders``, in the table's order


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
    # Real homes: what the recording's annotation had the resident doing at each false alert.
    false_annotated: dict[str, int] = field(default_factory=dict)


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
    with (args.alerts.open("w", encoding="utf-8") if args.alerts else contextlib.nullcontext()) as lines, \
            ProcessPoolExecutor(max_workers=args.jobs or None) as pool:
        methods = WITH_RESPONDERS if args.responders else METHODS
        score_one = partial(score_recipe, config=config, methods=methods, keep_alerts=lines is not None)
        for n, out in enumerate(pool.map(score_one, recipes), start=1):
            results += out
            if lines is not None:
                lines.writelines(json.dumps(alert) + "\n" for result in out for alert in result.alerts)
            print(f"\revaluated {n}/{len(recipes)} streams", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(format_table(results))
    return 0


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
    notes = annotations_of(recipe)
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
        doing = [""] * len(alerts)
        if notes is not None:
            doing = [annotations.of_alert(notes, at, kind) for at, kind in alerts]
            for what, verdict in zip(doing, result.verdicts, strict=True):
                if verdict == "false":
                    result.false_annotated[what] = result.false_annotated.get(what, 0) + 1
        if keep_alerts:
            result.alerts = [{"group": group, "stream": stream_name(recipe), "method": method, "ts": at.isoformat(), "kind": kind,
                              "summary": summary, "verdict": verdict, **({"annotated": what} if notes is not None else {})}
                             for (at, kind), summary, verdict, what in zip(alerts, summaries, result.verdicts, doing, strict=True)
                             if at >= monitored_from]
        result.verdicts = []  # the lines have them: not sent back to the parent for nothing
        results.append(result)
    return results


def _clean(recipe: tuple, truths: list[Truth]) -> bool:
    """A clean stream: nothing was to be injected (a stream whose injection found no chance, such as
    an evening fall in a stream of evenings out, is not one: it counts in all streams only)."""
    nothing = asks_nothing(recipe)
    return not truths if nothing is None else nothing


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
            doing: dict[str, int] = defaultdict(int)
            for r in clean:
                for what, n in r.false_annotated.items():
                    doing[what] += n
            if doing:  # a real home: what its own annotation had the resident doing at each
                rows.append(f"{group:<12} {method:<12}   by the recording's annotation at the time: " + ", ".join(
                    f"{what} {n}" for what, n in sorted(doing.items(), key=lambda x: (-x[1], x[0]))))
        if a_days:
            rows.append(f"{group:<12} {method:<12} false alerts / 100 home-days, all streams:   "
                        f"{100 * a_fa / a_days:.2f} ({a_fa} in {a_days:.0f} days)")
    return "\n".join(rows)
