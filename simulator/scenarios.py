"""Scenarios: something going wrong on a given day, injected into normal life, with ground truth.

A scenario can act at two levels, and most use only one:

- ``adjust_plans`` edits the day plans before they are played out, for changes in *behaviour*
  (staying in bed, a night outing, a long bathroom stay). Trends over days (a week of extra night
  toilet trips, shorter kitchen visits, less moving about) belong here too: edit several plans.
- ``adjust_activations`` edits the sensor stream, for *events* (a button press, a fall followed by
  silence, a sensor that stops reporting).

Days are numbered from 1 (the simulation's start date); times are the home's local clock.
``parse_scenario`` reads the command-line form ``[HOME/]KIND@DAY[THH:MM][:ARG]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import time
from typing import ClassVar

from simulator.activations import (
    HOUR,
    MINUTE,
    SECOND,
    Activation,
    local_ms,
    merge_sorted,
    to_datetime,
)
from simulator.plans import DayPlan, Place, Visit
from simulator.scenario_base import (
    PERSON_DRIVEN,
    Scenario,
    ScenarioContext,
    delay_getting_up,
    insert_visit,
    silenced,
)
from simulator.trend_scenarios import TREND_SCENARIOS
from simulator.truth import GroundTruth
from telecare.domain import AlertKind

__all__ = [
    "PERSON_DRIVEN",
    "SCENARIOS",
    "GroundTruth",
    "Scenario",
    "ScenarioContext",
    "parse_scenario",
]


@dataclass(frozen=True)
class HelpRequest(Scenario):
    """The help button is pressed (``true``) and let go two seconds later."""

    kind: ClassVar[str] = AlertKind.HELP_REQUEST.value
    default_time: ClassVar[time] = time(10, 0)
    arg_field: ClassVar[str | None] = None
    needs: ClassVar[tuple[str, str] | None] = ("button", "help button")

    def adjust_activations(
        self, stream: Iterator[Activation], ctx: ScenarioContext
    ) -> Iterator[Activation]:
        t, button = self.start_ms(ctx), ctx.layout.button
        return merge_sorted(
            [Activation(t, button, True), Activation(t + 2 * SECOND, button, False)], stream
        )


@dataclass(frozen=True)
class Fall(Scenario):
    """The fall detector fires, then no sensor a person drives reports until ``minutes`` later.

    Without ``minutes`` the silence lasts to the end of that day, and at least 4 hours. The
    thermometer keeps reporting, as a real one would. Mats and sensors that were on are released at
    the fall.
    """

    kind: ClassVar[str] = AlertKind.FALL.value
    default_time: ClassVar[time] = time(14, 0)
    needs: ClassVar[tuple[str, str] | None] = ("fall", "fall detector")
    minutes: int | None = None

    def silence_ms(self, ctx: ScenarioContext) -> tuple[int, int]:
        t = self.start_ms(ctx)
        if self.minutes is not None:
            return t, t + self.minutes * MINUTE
        return t, max(ctx.local(self.day + 1, time(0)), t + 4 * HOUR)

    def adjust_activations(
        self, stream: Iterator[Activation], ctx: ScenarioContext
    ) -> Iterator[Activation]:
        t, until = self.silence_ms(ctx)
        fall = ctx.layout.fall
        person = {d for d, kind in ctx.types.items() if kind in PERSON_DRIVEN}
        injected = [Activation(t, fall, True), Activation(t + 5 * SECOND, fall, False)]
        return silenced(merge_sorted(stream, injected), t, until, person, ctx.types)

    def truth(self, ctx: ScenarioContext) -> GroundTruth:
        t, until = self.silence_ms(ctx)
        return GroundTruth(
            self.kind, ctx.hub, to_datetime(t), to_datetime(until), {"device": ctx.layout.fall}
        )


@dataclass(frozen=True)
class NotUp(Scenario):
    """The resident stays in bed ``minutes`` past the usual wake time: no morning activity.

    The usual wake time is the persona's for that kind of day (weekday or weekend), or ``at``.
    """

    kind: ClassVar[str] = AlertKind.NOT_UP.value
    minutes: int = 210

    def usual_wake_ms(self, ctx: ScenarioContext) -> int:
        if self.at is not None:
            return ctx.local(self.day, self.at)
        day = ctx.date_of(self.day)
        return local_ms(day, ctx.persona.usual_wake_hour(day.weekday() >= 5), ctx.tz)

    def start_ms(self, ctx: ScenarioContext) -> int:
        return self.usual_wake_ms(ctx)

    def adjust_plans(self, plans: list[DayPlan], ctx: ScenarioContext) -> None:
        usual = self.usual_wake_ms(ctx)
        # The morning moves wholesale: washing and breakfast follow the late getting-up...
        delay_getting_up(plans, self.day, usual + self.minutes * MINUTE)
        night = plans[self.day - 1]  # ...and no night toilet trip after the usual getting-up time
        plans[self.day - 1] = replace(
            night, visits=tuple(v for v in night.visits if v.start < usual)
        )

    def truth(self, ctx: ScenarioContext) -> GroundTruth:
        usual = self.usual_wake_ms(ctx)
        return GroundTruth(
            self.kind,
            ctx.hub,
            to_datetime(usual),
            to_datetime(usual + self.minutes * MINUTE),
            {"minutes": self.minutes},
        )


@dataclass(frozen=True)
class _PinnedVisit(Scenario):
    """A visit somewhere at an exact time, for ``minutes``."""

    place: ClassVar[Place]
    minutes: int = 45

    def adjust_plans(self, plans: list[DayPlan], ctx: ScenarioContext) -> None:
        t = self.start_ms(ctx)
        insert_visit(plans, Visit(t, t + self.minutes * MINUTE, self.place, self.kind, pinned=True))

    def truth(self, ctx: ScenarioContext) -> GroundTruth:
        t = self.start_ms(ctx)
        return GroundTruth(
            self.kind,
            ctx.hub,
            to_datetime(t),
            to_datetime(t + self.minutes * MINUTE),
            {"minutes": self.minutes},
        )


@dataclass(frozen=True)
class NightWandering(_PinnedVisit):
    """Getting out of bed and leaving by the front door at night; ``start`` is the door opening."""

    kind: ClassVar[str] = AlertKind.NIGHT_WANDERING.value
    default_time: ClassVar[time] = time(2, 30)
    place: ClassVar[Place] = Place.OUT
    needs: ClassVar[tuple[str, str] | None] = ("front_door", "front door contact")


@dataclass(frozen=True)
class NightUp(_PinnedVisit):
    """Getting out of bed at night to be up and about in the kitchen for ``minutes`` (40 by default):
    night wandering at home, which should raise ``night_wandering``."""

    kind: ClassVar[str] = "night_up"
    default_time: ClassVar[time] = time(2, 30)
    place: ClassVar[Place] = Place.KITCHEN
    minutes: int = 40


@dataclass(frozen=True)
class LongBathroom(_PinnedVisit):
    """A bathroom stay of ``minutes`` (75 by default) starting at the given time."""

    kind: ClassVar[str] = AlertKind.LONG_BATHROOM.value
    default_time: ClassVar[time] = time(9, 30)
    place: ClassVar[Place] = Place.BATHROOM
    minutes: int = 75


@dataclass(frozen=True)
class DeviceOffline(Scenario):
    """One device stops reporting from the given time to the end of the run; the hub carries on."""

    kind: ClassVar[str] = AlertKind.DEVICE_OFFLINE.value
    arg_field: ClassVar[str | None] = "device"
    device: str = "m-kitchen"

    def check(self, ctx: ScenarioContext) -> None:
        super().check(ctx)
        if self.device not in ctx.types:
            raise ValueError(f"{ctx.hub} has no device {self.device!r}")

    def adjust_activations(
        self, stream: Iterator[Activation], ctx: ScenarioContext
    ) -> Iterator[Activation]:
        t = self.start_ms(ctx)
        return (a for a in stream if a.device != self.device or a.ms < t)

    def truth(self, ctx: ScenarioContext) -> GroundTruth:
        return GroundTruth(
            self.kind, ctx.hub, to_datetime(self.start_ms(ctx)), None, {"device": self.device}
        )


@dataclass(frozen=True)
class ColdHome(Scenario):
    """The heating fails: the thermometer falls 1 °C an hour (to 12 °C at the lowest) for ``minutes``.

    When the heating is back the readings are the usual ones again. The resident's life goes on.
    """

    kind: ClassVar[str] = AlertKind.COLD_HOME.value
    default_time: ClassVar[time] = time(22, 0)
    needs: ClassVar[tuple[str, str] | None] = ("temperature", "thermometer")
    minutes: int = 10 * 60
    cooling_per_hour: ClassVar[float] = 1.0
    coldest: ClassVar[float] = 12.0

    def adjust_activations(
        self, stream: Iterator[Activation], ctx: ScenarioContext
    ) -> Iterator[Activation]:
        start, until = self.start_ms(ctx), self.start_ms(ctx) + self.minutes * MINUTE
        for act in stream:
            if act.device == ctx.layout.temperature and start <= act.ms < until:
                cooled = act.value - self.cooling_per_hour * (act.ms - start) / HOUR
                act = act._replace(value=round(max(self.coldest, min(act.value, cooled)), 1))
            yield act

    def truth(self, ctx: ScenarioContext) -> GroundTruth:
        start = self.start_ms(ctx)
        return GroundTruth(
            self.kind,
            ctx.hub,
            to_datetime(start),
            to_datetime(start + self.minutes * MINUTE),
            {"device": ctx.layout.temperature},
        )


SCENARIOS: dict[str, type[Scenario]] = {
    cls.kind: cls
    for cls in (HelpRequest, Fall, NotUp, NightWandering, NightUp, LongBathroom, DeviceOffline, ColdHome,
                *TREND_SCENARIOS)
}
_SYNTAX = re.compile(
    r"""^(?:(?P<home>[^/@]+)/)?             # optional HOME/
        (?P<kind>[a-z_]+)@(?P<day>\d+)      # KIND@DAY
        (?:T(?P<hh>\d{1,2}):(?P<mm>\d{2}))? # optional THH:MM
        (?::(?P<arg>.+))?$                  # optional :ARG""",
    re.VERBOSE,
)


def parse_scenario(text: str) -> tuple[str | None, Scenario]:
    """Read ``[HOME/]KIND@DAY[THH:MM][:ARG]``; return (home selector or ``None`` for all, scenario).

    ``ARG`` is the device id for ``device_offline``, a length in minutes for ``fall``, ``not_up``,
    ``night_wandering``, ``night_up``, ``long_bathroom`` and ``cold_home`` (how long the heating is off), and a
    number of days for the trends ``night_toilet_increase``, ``kitchen_decline`` and
    ``activity_decline`` (without it they last to the end of the run). ``HOME`` is a hub id or a 1-based home
    number.

    >>> parse_scenario("fall@3T14:20")
    (None, Fall(day=3, at=datetime.time(14, 20), minutes=None))
    >>> parse_scenario("2/device_offline@3T12:00:m-kitchen")
    ('2', DeviceOffline(day=3, at=datetime.time(12, 0), device='m-kitchen'))
    """
    match = _SYNTAX.match(text.strip())
    if match is None:
        raise ValueError(f"scenario {text!r} is not KIND@DAY[THH:MM][:ARG], e.g. fall@3T14:20")
    kind, arg = match["kind"], match["arg"]
    if kind not in SCENARIOS:
        raise ValueError(f"unknown scenario {kind!r}; choose from {', '.join(SCENARIOS)}")
    at = None
    if match["hh"] is not None:
        hh, mm = int(match["hh"]), int(match["mm"])
        if hh > 23 or mm > 59:
            raise ValueError(f"scenario {text!r}: {hh:02}:{mm:02} is not a time of day")
        at = time(hh, mm)
    cls = SCENARIOS[kind]
    scenario = cls(day=int(match["day"]), at=at)
    if arg is not None:
        field = cls.arg_field
        if field == "device":
            scenario = replace(scenario, device=arg)
        elif field is None or not arg.isdigit() or int(arg) <= 0:
            wanted = "no argument" if field is None else f"a number of {field}"
            raise ValueError(f"scenario {text!r}: {kind} takes {wanted}")
        else:
            scenario = replace(scenario, **{field: int(arg)})
    return match["home"], scenario
