"""Absence alerts in a home's learning weeks, when only the absolute limit judges silence.

    python -m benchmarks.learning_alerts [--streams 12] [--seed 0]

Replays the clean Kasteren streams of ``telecare evaluate`` and counts the ``inactivity`` alerts
raised before the routine was learned: once with the plain 6-hour rule, once with the limits the
service runs with (a silence from an exit door: 12 h; from bedtime: not before 10:00). Every one is
false: the streams are clean.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from detection import evaluate
from detection.engine import DetectionEngine
from detection.replay import drive
from detection.routine import RoutineConfig
from detection.safety import SafetyConfig
from telecare.domain import AlertKind, AlertSignal

RULES = {
    "plain 6 h limit": SafetyConfig(timedelta(hours=6), out_limit=None, up_by=None),
    "as the service runs (door 12 h, up by 10:00)": SafetyConfig(timedelta(hours=6)),
}


def learning_alerts(recipe: tuple, rules: SafetyConfig) -> tuple[int, float]:
    """(inactivity alerts, days) over one stream's learning period."""
    _, spec, events, _, _, learning = evaluate.build(recipe)
    monitored_from = events[0].ts.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=learning)
    engine = DetectionEngine(rules, RoutineConfig(learning_days=learning))
    alerts = [at for at, s in drive(engine, spec, events)
              if isinstance(s, AlertSignal) and s.kind is AlertKind.INACTIVITY and at < monitored_from]
    return len(alerts), (monitored_from - events[0].ts) / timedelta(days=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=12)
    parser.add_argument("--seed", default="0")
    parser.add_argument("--kasteren-dir", type=Path, default=evaluate.KASTEREN_DIR)
    args = parser.parse_args()
    recipes = [r for r in evaluate.kasteren_recipes(args.streams, args.seed, 14, str(args.kasteren_dir))
               if r[3].endswith("/clean")]
    for house in ("A", "B"):
        for label, rules in RULES.items():
            counts = [learning_alerts(r, rules) for r in recipes if r[2] == house]
            alerts, days = sum(c for c, _ in counts), sum(d for _, d in counts)
            print(f"house {house}, {label}: {alerts} false inactivity alerts in {days:.0f} learning days "
                  f"({alerts / days:.2f} a day)")


if __name__ == "__main__":
    main()
