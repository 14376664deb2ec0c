"""Scenarios that change the resident's life over days: the trend alerts' ground truth.

Each starts on ``day`` and lasts ``days`` days (``None``: to the end of the run). They edit the day
plans (behaviour), except that moving less also thins the living-room motion sensor while sitting
(someone who sits stiller sets it off less often). Which visits are dropped is drawn from the
home's own seed, so the same run gives the same days.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import time
from typing import ClassVar

from simulator.activations import MINUTE, Activation, to_datetime
from simulator.plans import DayPlan, Place, Visit
from simulator.scenario_base import Scenario, ScenarioContext, insert_visit
from simulator.truth import GroundTruth
from telecare.domain import AlertKind


@dataclass(frozen=True)
class _Trend(Scenario):
    """A change from ``day`` (local midnight) for ``days`` days, or to the end of the run."""

    arg_field: ClassVar[str] = "days"
    default_time: ClassVar[time] = time(0, 0)
    days: int | None = None

    def last_day(self, ctx: ScenarioContext) -> int:
        return ctx.days if self.days is None else min(ctx.days, self.day + self.days - 1)

    def rng(self, ctx: ScenarioContext, day: int) -> random.Random:
        return random.Random(f"{ctx.hub}/{self.kind}/{day}")

    def changed_days(self, plans: list[DayPlan], ctx: ScenarioContext) -> range:
        """Indexes of the plans that change (``plans[n]`` is day ``n``, until the next getting-up)."""
        return range(self.day, min(self.last_day(ctx), len(plans) - 2) + 1)

    def truth(self, ctx: ScenarioContext) -> GroundTruth:
        start = self.start_ms(ctx)
        end = ctx.local(self.last_day(ctx) + 1, time(0))
        return GroundTruth(self.kind, ctx.hub, to_datetime(start), to_datetime(end), {"days": self.days})


@dataclass(frozen=True)
class NightToiletIncrease(_Trend):
    """A urinary infection, say: ``extra`` more toilet trips every night (2 by default), between
    00:00 and 05:30 and at least an hour from going to bed and getting up. (The detector counts
    night visits from midnight to 06:00 on the clock; trips late in the evening or at dawn are
    not in its count, see the README.)

    Each is a trip of its own, at least ``APART`` from any other visit to the bathroom that night.
    Drawn anywhere, a fifth of them (21% over the evaluation's simulated streams, on 29% of the
    nights) overlapped another visit or came within 15 minutes of one (in the bathroom from 04:08
    to 04:13, and again from 04:11): one trip, not one more.
    """

    kind: ClassVar[str] = AlertKind.NIGHT_TOILET_INCREASE.value
    extra: ClassVar[int] = 2
    APART: ClassVar[int] = 30 * MINUTE
    TRIES: ClassVar[int] = 50  # draws for a time clear of the other trips (a night without one: fewer)

    def adjust_plans(self, plans: list[DayPlan], ctx: ScenarioContext) -> None:
        for n in self.changed_days(plans, ctx):
            rng = self.rng(ctx, n)
            midnight = ctx.local(n + 1, time(0))
            first = max(plans[n].bedtime + 60 * MINUTE, midnight)
            last = min(plans[n + 1].wake - 60 * MINUTE, midnight + 330 * MINUTE)
            for _ in range(self.extra):
                if last <= first:
                    break
                taken = [(v.start, v.end) for p in plans[n:n + 2] for v in p.visits if v.place is Place.BATHROOM]
                for _ in range(self.TRIES):
                    t = rng.randint(first, last)
                    visit = Visit(t, t + rng.randint(2, 5) * MINUTE, Place.BATHROOM, "night_toilet")
                    if all(visit.end + self.APART <= a or b + self.APART <= visit.start for a, b in taken):
                        insert_visit(plans, visit)
                        break

    def truth(self, ctx: ScenarioContext) -> GroundTruth:
        """The change begins with the first night: at the midnight that ends ``day`` (no extra trip
        comes before), not at the one that begins it, when nothing had changed yet."""
        truth = super().truth(ctx)
        return replace(truth, start=to_datetime(ctx.local(self.day + 1, time(0))))


def _dropping(plan: DayPlan, rng: random.Random, share: float, which) -> DayPlan:
    return replace(plan, visits=tuple(v for v in plan.visits if not (which(v) and rng.random() < share)))


@dataclass(frozen=True)
class KitchenDecline(_Trend):
    """Eating less: 60% of meals and drinks in the kitchen do not happen."""

    kind: ClassVar[str] = AlertKind.KITCHEN_DECLINE.value
    share: ClassVar[float] = 0.6

    def adjust_plans(self, plans: list[DayPlan], ctx: ScenarioContext) -> None:
        for n in self.changed_days(plans, ctx):
            plans[n] = _dropping(plans[n], self.rng(ctx, n), self.share, lambda v: v.place is Place.KITCHEN)


@dataclass(frozen=True)
class ActivityDecline(_Trend):
    """Moving less: 60% of the errands about the house (drinks, pottering in the bedroom) and of the
    outings are dropped, and sitting, the living-room sensor sees movement half as often."""

    kind: ClassVar[str] = AlertKind.ACTIVITY_DECLINE.value
    share: ClassVar[float] = 0.6
    errands: ClassVar[frozenset[str]] = frozenset({"drink", "potter", "outing"})

    def adjust_plans(self, plans: list[DayPlan], ctx: ScenarioContext) -> None:
        for n in self.changed_days(plans, ctx):
            plans[n] = _dropping(plans[n], self.rng(ctx, n), self.share, lambda v: v.activity in self.errands)

    def adjust_activations(self, stream: Iterator[Activation], ctx: ScenarioContext) -> Iterator[Activation]:
        start, end = self.start_ms(ctx), ctx.local(self.last_day(ctx) + 1, time(0))
        living = ctx.layout.motion.get("living_room")
        rng = self.rng(ctx, 0)
        unseen = False  # the last living-room trigger was dropped: drop its release too
        for act in stream:
            if act.device == living and start <= act.ms < end:
                if act.value is True:
                    unseen = rng.random() < 0.5
                if unseen:
                    continue
            yield act


TREND_SCENARIOS: tuple[type[Scenario], ...] = (NightToiletIncrease, KitchenDecline, ActivityDecline)
