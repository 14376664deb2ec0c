"""A resident's days: drawn from a persona as plans, then played out as sensor activations.

Two steps keep scenarios and future trends simple:

1. ``plan_day`` draws one day's plan from the persona: when the resident gets up and goes to bed,
   and the *visits* made from the armchair by day or from bed by night (meals, toilet, outings...).
   A scenario that changes behaviour (not getting up, a night outing, a long bathroom stay, later a
   week of extra night toilet trips) edits plans.
2. ``live_days`` plays consecutive plans out through ``simulator.sensing`` as a time-ordered stream.

A day runs from getting up to getting up the next morning, so a night belongs to the evening before
it. Every draw comes from a ``random.Random`` seeded with the home's key and the date, so a day does
not change when the run is made longer or another home is added.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from simulator.activations import MINUTE, Activation, local_ms
from simulator.homes import SensorLayout
from simulator.personas import Meal, Persona
from simulator.plans import DayPlan, Place, Visit
from simulator.sensing import realise_day


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method: the means here are small)."""
    if mean <= 0:
        return 0
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _around(rng: random.Random, sd_min: float, variation: float) -> int:
    """A normal offset in ms, cut at 2.5 sd so a habit never lands absurdly far from its mean."""
    sd = sd_min * variation
    return round(max(-2.5 * sd, min(2.5 * sd, rng.gauss(0.0, sd))) * MINUTE)


def _length(rng: random.Random, minutes: float, variation: float) -> int:
    """A duration around ``minutes``: log-normal, so long stays beat very short ones."""
    return round(minutes * math.exp(rng.gauss(0.0, 0.25 * variation)) * MINUTE)


def plan_day(persona: Persona, day: date, tz: ZoneInfo, rng: random.Random) -> DayPlan:
    """Draw ``persona``'s life on local date ``day``, its evening and the night after."""
    weekend = day.weekday() >= 5
    shift = persona.weekend_shift_min / 60 if weekend else 0.0
    var = persona.variation

    def at(hour: float, sd_min: float) -> int:
        return local_ms(day, hour + shift, tz) + _around(rng, sd_min, var)

    wake = at(persona.wake_hour, persona.wake_sd_min)
    bedtime = max(at(persona.bed_hour, persona.bed_sd_min), wake + 10 * 60 * MINUTE)
    visits: list[Visit] = []

    shower = rng.random() < persona.shower_days_per_week / 7
    wash = persona.morning_bathroom_min + (persona.shower_min if shower else 0)
    start = wake + rng.randint(1, 4) * MINUTE
    morning = Visit(
        start, start + _length(rng, wash, var), Place.BATHROOM, "shower" if shower else "wash"
    )
    visits.append(morning)

    meals: list[Visit] = []
    for name, meal in (
        ("breakfast", persona.breakfast),
        ("lunch", persona.lunch),
        ("dinner", persona.dinner),
    ):
        start = at(meal.hour, meal.spread_min)
        if name == "breakfast":  # a late riser still washes first
            start = max(start, morning.end + rng.randint(1, 10) * MINUTE)
        meals.append(_meal_visit(rng, name, meal, start, var))

    outing: Visit | None = None
    if rng.random() < persona.outings_per_week / 7:
        start = at(persona.outing_hour, persona.outing_sd_min)
        outing = Visit(start, start + _length(rng, persona.outing_min, var), Place.OUT, "outing")
        visits.append(outing)

    def at_home(t: int) -> bool:
        # Meals and errands that would fall during an outing happen out of the house instead.
        return outing is None or not (outing.start - 10 * MINUTE <= t <= outing.end)

    visits.extend(m for m in meals if at_home(m.start))
    awake_from, awake_to = wake + 60 * MINUTE, bedtime - 30 * MINUTE
    for _ in range(poisson(rng, persona.drinks_per_day)):
        t = rng.randint(awake_from, max(awake_from, awake_to))
        if at_home(t):
            visits.append(
                Visit(
                    t,
                    t + rng.randint(2, 6) * MINUTE,
                    Place.KITCHEN,
                    "drink",
                    kettle=rng.random() < 0.75,
                )
            )
    for _ in range(poisson(rng, persona.potter_per_day)):
        t = rng.randint(awake_from, max(awake_from, awake_to))
        if at_home(t):
            visits.append(Visit(t, t + rng.randint(3, 12) * MINUTE, Place.BEDROOM, "potter"))
    hours_awake = max(0.0, (awake_to - awake_from) / (60 * MINUTE))
    for _ in range(poisson(rng, persona.day_toilet_per_hour * hours_awake)):
        t = rng.randint(awake_from, max(awake_from, awake_to))
        if at_home(t):
            visits.append(Visit(t, t + rng.randint(2, 5) * MINUTE, Place.BATHROOM, "toilet"))

    evening_wash = _length(rng, 8, var)
    visits.append(
        Visit(
            bedtime - evening_wash - 2 * MINUTE,
            bedtime - 2 * MINUTE,
            Place.BATHROOM,
            "evening_wash",
        )
    )

    next_wake = local_ms(
        day + timedelta(days=1), persona.usual_wake_hour((day.weekday() + 1) % 7 >= 5), tz
    )
    first, last = bedtime + 40 * MINUTE, next_wake - 30 * MINUTE
    for _ in range(poisson(rng, persona.night_toilet_mean)):
        if last > first:
            t = round(rng.triangular(first, last))  # most trips fall in the middle of the night
            visits.append(Visit(t, t + rng.randint(2, 5) * MINUTE, Place.BATHROOM, "night_toilet"))

    visits.sort(key=lambda v: v.start)
    dinner_end = next((m.end for m in meals if m.activity == "dinner"), bedtime)
    return DayPlan(
        day=day,
        wake=wake,
        bedtime=bedtime,
        visits=tuple(visits),
        tv_daytime=rng.random() < persona.tv_daytime_probability,
        tv_evening=rng.random() < persona.tv_evening_probability,
        evening_from=dinner_end,
    )


def _meal_visit(rng: random.Random, name: str, meal: Meal, start: int, variation: float) -> Visit:
    kettle = rng.random() < meal.kettle_probability
    return Visit(
        start, start + _length(rng, meal.kitchen_min, variation), Place.KITCHEN, name, kettle=kettle
    )


def plan_days(
    persona: Persona, first_day: date, count: int, tz: ZoneInfo, key: str
) -> list[DayPlan]:
    """Plans for ``count`` consecutive local dates, each from its own seeded generator."""
    plans = []
    for offset in range(count):
        day = first_day + timedelta(days=offset)
        plans.append(plan_day(persona, day, tz, random.Random(f"{key}/plan/{day.isoformat()}")))
    return plans


def live_days(plans: Sequence[DayPlan], layout: SensorLayout, key: str) -> Iterator[Activation]:
    """Play consecutive plans out as one time-ordered stream of activations.

    The last plan only supplies the final morning's wake time. Each day's activations all come at or
    after its wake time, so anything earlier than the next day's wake can safely be let out.
    """
    pending: list[tuple[int, int, Activation]] = []
    order = itertools.count()
    for plan, following in itertools.pairwise(plans):
        while pending and pending[0][0] < plan.wake:
            yield heapq.heappop(pending)[2]
        rng = random.Random(f"{key}/sense/{plan.day.isoformat()}")
        for act in realise_day(plan, following.wake, layout, rng):
            heapq.heappush(pending, (act.ms, next(order), act))
    while pending:
        yield heapq.heappop(pending)[2]


def temperature_readings(
    device: str, start_ms: int, end_ms: int, tz: ZoneInfo, rng: random.Random
) -> Iterator[Activation]:
    """A thermometer reading about every 30 min: ~20.5 °C with the heating on, ~19 °C at night."""
    temp = 19.5
    slot = start_ms
    while slot < end_ms:
        at = slot + rng.randint(-60, 60) * 1000 if slot > start_ms else slot
        hour = datetime.fromtimestamp(at / 1000, tz).hour
        target = 20.5 if 7 <= hour < 22 else 19.2  # heating timer
        temp += (target - temp) * 0.35 + rng.gauss(0.0, 0.08)
        yield Activation(at, device, round(temp, 1))
        slot += 30 * MINUTE
