"""The streams ``telecare evaluate`` scores and the anomaly classes in them: recipes for simulated
homes, for the real van Kasteren homes with anomalies injected into real days, and for a care
provider's own files, and how each is built into a household, its events and the ground truth
(``detection.evaluate`` scores them)."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from detection.replay import household_events, read_events_file
from telecare.domain import HouseholdSpec, SensorEvent

KASTEREN_DIR = Path("/work/shared/data/kasteren")
# The anomaly classes injected, and the alert kinds that find each (``detection.evaluate`` scores by them).
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
SIM_CLASS = {"fall": "fall", "not_up": "not_up", "night_wandering": "night_exit", "night_up": "night_up",
             "long_bathroom": "long_bathroom", **{t: t for t in TRENDS}}
# Days an injection is tried on (a day without a chance, such as a day away, moves it along): three,
# but six for an evening fall (house B is out, or on the bed mat by 19:00, on more than half his evenings).
_TRIES = {"evening_fall": 6}


# Where a recipe holds its stream's name (its seed path; for a care provider's files, the household
# file). Simulated and Kasteren recipes hold what they inject just after it.
_NAME_AT = {"sim": 2, "kasteren": 3, "files": 1}


def stream_name(recipe: tuple) -> str:
    return recipe[_NAME_AT[recipe[0]]]


def asks_nothing(recipe: tuple) -> bool | None:
    """Whether the recipe injects nothing; None for a care provider's files (their truth says)."""
    return None if recipe[0] == "files" else not recipe[_NAME_AT[recipe[0]] + 1]


@dataclass(frozen=True)
class Truth:
    cls: str
    start: datetime
    end: datetime


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
            # Up and about in the kitchen for 40 min in the night, in a stream of its own (the others
            # unchanged).
            recipes.append(("sim", persona, f"{s}/night_up", [f"night_up@{first + 3}T{night_up_at(persona)}"],
                            first + 5, learning))
            # A fall in the evening, and nobody up until noon the next day, in a stream of its own.
            hour, minute = 19 + k % 2, (11 * k) % 60
            recipes.append(("sim", persona, f"{s}/evening",
                            [f"fall@{first + 2}T{hour}:{minute:02d}:{(36 - hour) * 60 - minute}"], first + 5, learning,
                            {"fall": "evening_fall"}))
            for trend in ("night_toilet_increase", "kitchen_decline", "activity_decline"):
                recipes.append(("sim", persona, f"{s}/{trend}", [f"{trend}@{first + 3}"], first + 12, learning))
            recipes.append(("sim", persona, s + "/clean", [], first + 28, learning))
    return recipes


def night_up_at(persona: str) -> str:
    """When a simulated resident is up in the night: 02:30, or three hours after their usual bedtime
    if that is later. The night owl goes to bed at 00:45 on average and after 02:00 on one night in
    five (after 02:30 on one in ten, measured over 48 three-week plans): at 02:30 she is often still
    up, which is her routine, not wandering. 03:45 is in her sleep as 02:30 is in the others'.

    >>> night_up_at("homebody"), night_up_at("night_owl")
    ('02:30', '03:45')
    """
    from simulator.personas import PERSONAS

    minutes = max(26 * 60 + 30, round((PERSONAS[persona].bed_hour + 3) * 60)) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


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


@functools.cache
def _real_home(directory: str, house: str) -> tuple[HouseholdSpec, list, list[list[int]]]:
    """A Kasteren home's household, real days and runs of days (``kasteren.blocks``), read once per
    process: every stream of the home draws from them (``resample`` copies the days it draws, which
    are then changed, never these)."""
    from detection import kasteren as k

    spec, real_days = k.load_home(directory, house)
    return spec, real_days, k.blocks(spec, real_days)


@functools.cache
def _annotations(directory: str, house: str) -> list:
    from detection import annotations

    return annotations.load(directory, house)


def _build_kasteren(directory, house, seed, injections, days, learning):
    from detection import injections as i
    from detection import kasteren as k

    spec, real_days, runs = _real_home(directory, house)
    stream = k.resample(real_days, days, seed, runs)
    rng = random.Random(f"{seed}/inject")
    inject = {"fall": i.inject_fall, "evening_fall": i.inject_evening_fall, "not_up": i.inject_not_up,
              "night_exit": i.inject_night_exit, "night_toilet": i.inject_night_toilet, "kitchen_decline": i.inject_kitchen_decline,
              "activity_decline": i.inject_activity_decline}
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


def annotations_of(recipe: tuple) -> list | None:
    """For a Kasteren recipe, the recording's own annotations of each day of its stream
    (``detection.annotations``); None for other streams, which have none."""
    if recipe[0] != "kasteren":
        return None
    from detection import kasteren as k

    directory, house, seed, _, days = recipe[1:6]
    _, real_days, runs = _real_home(directory, house)
    notes = _annotations(directory, house)
    return [notes[i] for i in k.resample_picks(len(real_days), days, seed, runs)]


def _build_files(household, events_path, truth_path, learning):
    from simulator.eventsfile import read_truth
    from telecare.households import load_household_file

    spec = load_household_file(household)
    events = list(read_events_file(events_path, spec))
    truths = [Truth(SIM_CLASS.get(t.kind, t.kind), t.start, t.end or t.start)
              for t in read_truth(truth_path) if SIM_CLASS.get(t.kind, t.kind) in MATCH]
    days = max(1, round((events[-1].ts - events[0].ts) / timedelta(days=1))) if events else 0
    return "files", spec, events, truths, days, learning
