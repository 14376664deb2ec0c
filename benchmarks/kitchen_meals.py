"""Offline study: would missed breakfasts find Kasteren A's kitchen decline better than visit counts?

    python -m benchmarks.kitchen_meals [--streams 48] [--house A] [--limits 4 5 6]

Not the product's detector: a study for the next one. House A makes about two kitchen visits a day,
too few for a count to show a 60 % fall within a week at under 2 false alerts per 100 home-days
(``telecare evaluate``: 0.5 recall). But his breakfast is regular: on the mornings he is home at
09:00 he goes to the kitchen before 12:00 on about 15 days in 16. This script learns, over a
stream's first 15 days, each three-hour window in which the resident was in the kitchen on at least
three mornings in four that they were home at its start ("usual meal windows"), then runs a
Bernoulli CUSUM for the chance of a visit in them falling to 40 % (a missed meal counts
log((1 - 0.4 p) / (1 - p)), a meal log(0.4); one day at most 3). It prints, for each decision limit,
how many of the evaluation's kitchen-decline streams it finds within 7 days of the onset and its
false alerts on the clean streams (both seeds ``0`` and ``telecare``, as the trend tuning used).

Where the resident was is read from the doors alone, as the model does: at home from the first sign
that is not a door, out from a door until the next sign.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics

from detection import evaluate
from detection import kasteren as k
from telecare.domain import Room

DOORS = (Room.FRONT_DOOR, Room.BACK_DOOR)
LEARN_DAYS = 15  # the evaluation's learning period and the day before the first monitored one
DROP = 0.4  # the chance of a meal falls to 40 % of usual (60 % fewer kitchen visits are injected)
MAX_DAY = 3.0
MIN_RATE, MIN_MORNINGS = 0.75, 7


def stream(spec, real, seed: str, decline: bool) -> tuple[list, int | None]:
    """A stream as ``telecare evaluate`` builds it: the days and the day the decline starts."""
    days = k.resample(real, 29 if decline else 43, seed, k.blocks(spec, real))
    if not decline:
        return days, None
    rng = random.Random(f"{seed}/inject")
    for d in range(20, 23):  # as the evaluation: a day it cannot be injected moves it along
        if k.inject_kitchen_decline(spec, days, d, k.STREAM_START, rng) is not None:
            return days, d
    return days, None


def day_masks(spec, days) -> list[tuple[int, int]]:
    """Per day, two masks of its hours from 04:00: a kitchen visit began; home at the hour's start."""
    rooms = {d.id: d.room for d in spec.devices}
    masks, last_room = [], None
    for day in days:
        events = sorted(e for e in day if e[2])
        kitchen, last_kitchen = 0, None
        for offset, device, _ in events:
            if rooms[device] is Room.KITCHEN:
                if last_kitchen is None or offset - last_kitchen > 900:  # a visit: 15 min apart
                    kitchen |= 1 << min(23, int(offset // 3600))
                last_kitchen = offset
        home, i = 0, 0
        for hour in range(24):
            if last_room is not None and last_room not in DOORS:
                home |= 1 << hour
            while i < len(events) and events[i][0] < (hour + 1) * 3600:
                last_room = rooms[events[i][1]]
                i += 1
        masks.append((kitchen, home))
    return masks


def meal_windows(learned: list[tuple[int, int]]) -> list[tuple[float, int]]:
    """(chance of a visit, first hour) of each usual meal window, none overlapping."""
    rates = []
    for first in range(22):
        window = 0b111 << first
        mornings = [kitchen & window != 0 for kitchen, home in learned if home >> first & 1]
        if len(mornings) >= MIN_MORNINGS:
            rates.append(((sum(mornings) + 0.5) / (len(mornings) + 1), first))
    picked: list[tuple[float, int]] = []
    for rate, first in sorted(rates, reverse=True):
        if rate >= MIN_RATE and all(abs(first - other) >= 3 for _, other in picked):
            picked.append((rate, first))
    return picked


def alerts(masks: list[tuple[int, int]], limit: float) -> list[int]:
    """The days the CUSUM passes ``limit``; learning, as the model, only days with nothing building up."""
    learned, cusum, raised = list(masks[:LEARN_DAYS]), 0.0, []
    for d in range(LEARN_DAYS, len(masks)):
        kitchen, home = masks[d]
        score = 0.0
        for p, first in meal_windows(learned[-28:]):
            if home >> first & 1:
                ate = kitchen & (0b111 << first)
                score += math.log(DROP) if ate else math.log((1 - DROP * p) / (1 - p))
        cusum = max(0.0, cusum + min(MAX_DAY, score))
        if cusum > limit:
            raised.append(d)
            cusum = 0.0
        elif cusum == 0.0:
            learned.append(masks[d])
    return raised


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=48, help="per seed (default 48)")
    parser.add_argument("--house", default="A")
    parser.add_argument("--limits", type=float, nargs="+", default=[4.0, 5.0, 6.0])
    args = parser.parse_args()
    spec, real = k.load_home(evaluate.KASTEREN_DIR, args.house)
    runs = []
    for seed in ("0", "telecare"):
        for i in range(args.streams):
            base = f"{seed}/{args.house}/{i}"
            declining, onset = stream(spec, real, base + "/kitchen", True)
            clean, _ = stream(spec, real, base + "/clean", False)
            runs.append((day_masks(spec, declining), onset, day_masks(spec, clean)))
    print(f"house {args.house}: {len(runs)} kitchen-decline streams, {len(runs)} clean streams")
    for limit in args.limits:
        delays, false_alerts, days = [], 0, 0
        for declining, onset, clean in runs:
            found = [d - onset for d in alerts(declining, limit) if onset is not None and onset <= d <= onset + 7]
            if found:
                delays.append(found[0])
            false_alerts += len(alerts(clean, limit))
            days += len(clean) - LEARN_DAYS
        median = statistics.median(delays) if delays else float("nan")
        print(f"limit {limit:g}: found {len(delays)}/{len(runs)} ({len(delays) / len(runs):.2f}) within 7 days, "
              f"median {median:g} days; false alerts {false_alerts} in {days} clean days "
              f"({100 * false_alerts / days:.2f} per 100 home-days)")


if __name__ == "__main__":
    main()
