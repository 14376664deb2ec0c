"""The scenario machinery: the base class, what a scenario knows about its home, plan helpers.

Concrete scenarios live in ``simulator.scenarios``. A new one subclasses ``Scenario``, sets ``kind``
and overrides ``adjust_plans`` (behaviour), ``adjust_activations`` (sensor events) or both, and
``truth``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from simulator.activations import Activation, local_ms, to_datetime
from simulator.homes import SensorLayout
from simulator.personas import Persona
from simulator.plans import DayPlan, Visit
from simulator.truth import GroundTruth
from telecare.domain import DeviceType

# Sensors a person makes fire. During a fall's silence none of them report; a thermometer does.
PERSON_DRIVEN = frozenset(t for t in DeviceType if t.shows_presence) | {DeviceType.POWER}


@dataclass(frozen=True)
class ScenarioContext:
    """What a scenario needs to know about the home it is injected into."""

    hub: str
    tz: ZoneInfo
    start: date  # day 1
    days: int
    persona: Persona
    types: Mapping[str, DeviceType]
    layout: SensorLayout

    def date_of(self, day: int) -> date:
        return self.start + timedelta(days=day - 1)

    def local(self, day: int, at: time) -> int:
        return local_ms(self.date_of(day), at.hour + at.minute / 60, self.tz)


@dataclass(frozen=True)
class Scenario:
    """Base: a scenario on ``day`` (1 = first day) at local ``at`` (``None``: the usual time)."""

    kind: ClassVar[str]
    default_time: ClassVar[time] = time(12, 0)
    # What ``:ARG`` sets in ``KIND@DAY[THH:MM][:ARG]``: a whole number of "minutes" or "days", a
    # "device" id, or nothing (None).
    arg_field: ClassVar[str | None] = "minutes"
    # The sensor the scenario acts on, as (``SensorLayout`` attribute, what to call it when missing).
    needs: ClassVar[tuple[str, str] | None] = None

    day: int
    at: time | None = None

    def start_ms(self, ctx: ScenarioContext) -> int:
        return ctx.local(self.day, self.at or self.default_time)

    def check(self, ctx: ScenarioContext) -> None:
        """Raise ``ValueError`` if the scenario cannot happen in this home and window."""
        if not 1 <= self.day <= ctx.days:
            raise ValueError(f"{self.kind}: day {self.day} is outside days 1..{ctx.days}")
        if self.needs is not None and getattr(ctx.layout, self.needs[0]) is None:
            raise ValueError(f"{ctx.hub} has no {self.needs[1]}")

    def adjust_plans(self, plans: list[DayPlan], ctx: ScenarioContext) -> None:
        """Edit ``plans`` in place; ``plans[n]`` is day ``n`` (``plans[0]``: the day before)."""

    def adjust_activations(
        self, stream: Iterator[Activation], ctx: ScenarioContext
    ) -> Iterator[Activation]:
        return stream

    def truth(self, ctx: ScenarioContext) -> GroundTruth:
        return GroundTruth(self.kind, ctx.hub, to_datetime(self.start_ms(ctx)))


def insert_visit(plans: list[DayPlan], visit: Visit) -> None:
    """Add ``visit`` to the plan of the day (getting up to getting up) in which it starts.

    A visit that starts in the night and lasts past the usual getting-up time delays the getting-up.
    """
    for index in range(len(plans) - 1):
        if plans[index].wake <= visit.start < plans[index + 1].wake:
            plan = plans[index]
            plans[index] = replace(
                plan, visits=tuple(sorted((*plan.visits, visit), key=lambda v: v.start))
            )
            delay_getting_up(plans, index + 1, visit.end)
            return


def delay_getting_up(plans: list[DayPlan], index: int, wake: int) -> None:
    """Make ``plans[index]`` start no earlier than ``wake``; the morning's visits move with it."""
    plan = plans[index]
    shift = max(0, wake - plan.wake)
    if shift:
        visits = tuple(
            replace(v, start=v.start + shift, end=v.end + shift)
            if v.start < wake and not v.pinned
            else v
            for v in plan.visits
        )
        plans[index] = replace(plan, wake=plan.wake + shift, visits=visits)


def silenced(
    stream: Iterable[Activation],
    start: int,
    until: int,
    devices: set[str],
    types: Mapping[str, DeviceType],
) -> Iterator[Activation]:
    """Release the ``devices`` that are on at ``start`` and drop their readings until ``until``.

    At ``until`` life picks up where the plan has it (someone came and helped): devices the plan has
    on at that moment, the bed at night say, report on again.
    """
    planned: dict[str, bool] = {}  # what the sensors would say had nothing happened
    phase = 0  # 0 before the silence, 1 during it, 2 after
    for act in stream:
        if phase == 0 and act.ms >= start:
            phase = 1
            yield from (
                Activation(start, d, False) for d, on in planned.items() if on and d in devices
            )
        if phase == 1 and act.ms >= until:
            phase = 2
            yield from (
                Activation(until, d, True) for d, on in planned.items() if on and d in devices
            )
        if types[act.device].is_binary:
            planned[act.device] = bool(act.value)
        if phase == 1 and act.device in devices:
            continue
        yield act
