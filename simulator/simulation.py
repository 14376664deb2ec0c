"""Simulated homes: a household, a resident, a window of days and the scenarios injected into it.

This is the plain-function API the demo, benchmarks and tests use without the command line::

    homes = build_homes(3, seed=7, days=30, scenarios=[parse_scenario("fall@3T14:20")])
    for event in homes[0].events(): ...      # dicts, ready for an events file or MQTT
    homes[0].truth                           # list[GroundTruth]

Everything is recomputed from the seed on each call, so ``events()`` can be iterated twice and a
month is never held in memory.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from simulator.activations import (
    DAY,
    Activation,
    consistent_states,
    local_ms,
    merge_sorted,
    to_datetime,
    within_window,
)
from simulator.daylife import live_days, plan_days, temperature_readings
from simulator.homes import MAINS_POWERED, SensorLayout, device_types, standard_home
from simulator.personas import PERSONAS, Persona
from simulator.plans import DayPlan
from simulator.scenarios import GroundTruth, Scenario, ScenarioContext

DEFAULT_START = date(2026, 1, 5)  # a Monday, fixed so a default run is reproducible
DEFAULT_TIMEZONE = "Europe/London"


def format_ts(ms: int) -> str:
    """RFC 3339 with milliseconds and offset, as hubs send: ``2026-01-05T07:41:13.250+00:00``."""
    return to_datetime(ms).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class SimulatedHome:
    """One simulated hub and its resident over ``days`` days from local midnight of ``start``.

    Parameters
    ----------
    household : dict
        Household file contents (``standard_home`` or any other, e.g. a real home's layout).
    persona : Persona
        The resident's habits.
    start, days : date, int
        The window: local midnight of ``start`` to local midnight ``days`` later.
    seed : int or str
        Same seed, same household and window: byte-identical events.
    scenarios : tuple of Scenario
        Injected in order; ``truth`` lists their ground truth.
    """

    household: dict[str, Any] = field(compare=False)
    persona: Persona
    start: date = DEFAULT_START
    days: int = 7
    seed: int | str = 0
    scenarios: tuple[Scenario, ...] = ()

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("days must be at least 1")
        for scenario in self.scenarios:
            scenario.check(self.context)

    @property
    def hub(self) -> str:
        return self.household["hub"]

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.household.get("timezone", "UTC"))

    @cached_property
    def types(self) -> dict[str, Any]:
        return device_types(self.household)

    @cached_property
    def layout(self) -> SensorLayout:
        return SensorLayout.from_household(self.household)

    @cached_property
    def context(self) -> ScenarioContext:
        return ScenarioContext(
            self.hub, self.tz, self.start, self.days, self.persona, self.types, self.layout
        )

    @property
    def start_ms(self) -> int:
        return local_ms(self.start, 0.0, self.tz)

    @property
    def end_ms(self) -> int:
        return local_ms(self.start + timedelta(days=self.days), 0.0, self.tz)

    @property
    def window_start(self) -> datetime:
        return to_datetime(self.start_ms)

    @property
    def window_end(self) -> datetime:
        return to_datetime(self.end_ms)

    @property
    def _key(self) -> str:
        # Seeds every generator; includes the hub so homes sharing a seed still live different
        # lives.
        return f"{self.seed}/{self.hub}"

    def plans(self) -> list[DayPlan]:
        """Plans after scenarios: ``[n]`` is day ``n``; ``[0]``, ``[-1]``: the days around."""
        plans = plan_days(
            self.persona, self.start - timedelta(days=1), self.days + 2, self.tz, self._key
        )
        for scenario in self.scenarios:
            scenario.adjust_plans(plans, self.context)
        return plans

    def activations(self) -> Iterator[Activation]:
        """Time-ordered activations in the window, scenarios applied."""
        stream: Iterator[Activation] = live_days(self.plans(), self.layout, self._key)
        if self.layout.temperature is not None:
            readings = temperature_readings(
                self.layout.temperature,
                self.start_ms,
                self.end_ms,
                self.tz,
                random.Random(f"{self._key}/temperature"),
            )
            stream = merge_sorted(stream, readings)
        for scenario in self.scenarios:
            stream = scenario.adjust_activations(stream, self.context)
        return within_window(
            consistent_states(stream, self.types), self.start_ms, self.end_ms, self.types
        )

    def events(self) -> Iterator[dict[str, Any]]:
        """Events-file records: MQTT payload plus ``device``; ``seq`` counts from 1 per device."""
        seq: dict[str, int] = {}
        batteries = self._batteries()
        for act in self.activations():
            number = seq[act.device] = seq.get(act.device, 0) + 1
            event: dict[str, Any] = {
                "device": act.device,
                "ts": format_ts(act.ms),
                "value": act.value,
                "seq": number,
            }
            if act.device in batteries:
                event["battery"] = batteries[act.device](act.ms)
            event["type"] = str(self.types[act.device])
            yield event

    def _batteries(self) -> dict[str, Any]:
        """Per battery device, its level at an instant: a seeded start level draining slowly."""
        levels = {}
        for device, dtype in self.types.items():
            if dtype in MAINS_POWERED:
                continue
            rng = random.Random(f"{self._key}/battery/{device}")
            full, drain = rng.randint(55, 100), rng.uniform(0.05, 0.4)

            def level(ms: int, full: int = full, drain: float = drain) -> int:
                return max(1, int(full - drain * (ms - self.start_ms) / DAY))

            levels[device] = level
        return levels

    def device_statuses(self) -> dict[str, dict[str, Any]]:
        """Retained ``<device>/status`` payloads at the start of the window."""
        batteries = self._batteries()
        statuses = {}
        for device in self.types:
            rng = random.Random(f"{self._key}/rssi/{device}")
            status: dict[str, Any] = {"online": True}
            if device in batteries:
                status["battery"] = batteries[device](self.start_ms)
            status["rssi"] = rng.randint(-85, -45)
            statuses[device] = status
        return statuses

    @property
    def truth(self) -> list[GroundTruth]:
        """Ground truth of the injected scenarios, in time order."""
        return sorted((s.truth(self.context) for s in self.scenarios), key=lambda t: t.start)


def build_homes(
    count: int,
    *,
    seed: int | str = 0,
    start: date = DEFAULT_START,
    days: int = 7,
    personas: Sequence[str] | None = None,
    scenarios: Iterable[Scenario | tuple[str | None, Scenario]] = (),
    hub_prefix: str = "sim-",
    timezone: str = DEFAULT_TIMEZONE,
) -> list[SimulatedHome]:
    """``count`` standard homes ``sim-001``, ``sim-002``..., cycling through ``personas``.

    ``scenarios`` holds scenarios for every home, or ``(home, scenario)`` pairs where ``home`` is a
    hub id, a 1-based home number as a string, or ``None`` for every home (what ``parse_scenario``
    returns).
    """
    names = list(personas or PERSONAS)
    unknown = [n for n in names if n not in PERSONAS]
    if unknown:
        raise ValueError(f"unknown persona {unknown[0]!r}; choose from {', '.join(PERSONAS)}")
    hubs = [f"{hub_prefix}{i:03d}" for i in range(1, count + 1)]
    targeted: list[tuple[str | None, Scenario]] = [
        s if isinstance(s, tuple) else (None, s) for s in scenarios
    ]
    for target, _ in targeted:
        if (
            target is not None
            and target not in hubs
            and not (target.isdigit() and 1 <= int(target) <= count)
        ):
            raise ValueError(
                f"scenario home {target!r} is not one of {', '.join(hubs)} or 1..{count}"
            )
    homes = []
    for index, hub in enumerate(hubs, start=1):
        persona = PERSONAS[names[(index - 1) % len(names)]]
        mine = tuple(s for target, s in targeted if target in (None, hub, str(index)))
        household = standard_home(
            hub, f"Simulated home {index} ({persona.name.replace('_', ' ')})", timezone
        )
        homes.append(SimulatedHome(household, persona, start, days, seed, mine))
    return homes
