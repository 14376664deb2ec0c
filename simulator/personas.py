"""Personas: the habits of a simulated resident, from which each day is drawn.

A persona holds means and spreads, never a fixed timetable: ``simulator.daylife`` draws every day
afresh from it with a seeded ``random.Random``, so two Mondays differ the way two real Mondays do.
Times of day are local clock hours as floats (7.5 is 07:30; a bedtime after midnight is written past
24, so 24.75 is 00:45 the next day). Spreads are standard deviations in minutes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Meal:
    """One meal habit.

    Parameters
    ----------
    hour : float
        Usual local time the resident walks into the kitchen for it.
    spread_min : float
        Day-to-day standard deviation of that time, in minutes.
    kitchen_min : float
        Usual minutes spent in the kitchen preparing and eating it.
    kettle_probability : float
        Chance the kettle is boiled for this meal.
    """

    hour: float
    spread_min: float
    kitchen_min: float
    kettle_probability: float = 0.8


@dataclass(frozen=True, slots=True)
class Persona:
    """The habits of one resident living alone.

    Parameters
    ----------
    name, description : str
        Preset key and a sentence a person can read.
    wake_hour, wake_sd_min : float
        Usual time the resident gets out of bed, and its spread.
    bed_hour, bed_sd_min : float
        Usual time the resident gets into bed (may exceed 24), and its spread.
    weekend_shift_min : float
        Saturdays and Sundays start and end this many minutes later.
    breakfast, lunch, dinner : Meal
        Meal habits.
    drinks_per_day : float
        Mean number of extra short kitchen trips (a cup of tea, a glass of water).
    day_toilet_per_hour : float
        Rate of toilet visits while awake and at home.
    night_toilet_mean : float
        Mean number of toilet trips per night (Poisson).
    morning_bathroom_min : float
        Usual length of the morning wash, without a shower.
    shower_days_per_week, shower_min : float
        How often the morning wash includes a shower, and the extra minutes it takes.
    outings_per_week : float
        Mean number of days per week the resident goes out (shopping, a club, a visit).
    outing_hour, outing_sd_min, outing_min : float
        Usual start, its spread and usual length of an outing.
    potter_per_day : float
        Mean number of short trips to the bedroom during the day (tidying, changing).
    tv_daytime_probability, tv_evening_probability : float
        Chance the television is on while sitting in the living room, by day and after dinner.
    variation : float
        Scales every spread: 0.7 is a creature of habit, 1.3 a more erratic resident.
    """

    name: str
    description: str
    wake_hour: float
    wake_sd_min: float
    bed_hour: float
    bed_sd_min: float
    weekend_shift_min: float
    breakfast: Meal
    lunch: Meal
    dinner: Meal
    drinks_per_day: float
    day_toilet_per_hour: float
    night_toilet_mean: float
    morning_bathroom_min: float
    shower_days_per_week: float
    shower_min: float
    outings_per_week: float
    outing_hour: float
    outing_sd_min: float
    outing_min: float
    potter_per_day: float
    tv_daytime_probability: float
    tv_evening_probability: float
    variation: float = 1.0

    def usual_wake_hour(self, weekend: bool) -> float:
        """The wake time a carer would call normal for that kind of day (no random spread)."""
        return self.wake_hour + (self.weekend_shift_min / 60 if weekend else 0.0)


EARLY_RISER = Persona(
    name="early_riser",
    description="Up at six, out most mornings, in bed before ten; very regular.",
    wake_hour=6.25,
    wake_sd_min=15,
    bed_hour=21.75,
    bed_sd_min=20,
    weekend_shift_min=20,
    breakfast=Meal(6.75, 12, 20),
    lunch=Meal(12.0, 20, 30),
    dinner=Meal(17.25, 20, 45, kettle_probability=0.4),
    drinks_per_day=3,
    day_toilet_per_hour=0.35,
    night_toilet_mean=1.0,
    morning_bathroom_min=15,
    shower_days_per_week=6,
    shower_min=10,
    outings_per_week=5,
    outing_hour=9.5,
    outing_sd_min=30,
    outing_min=100,
    potter_per_day=3,
    tv_daytime_probability=0.2,
    tv_evening_probability=0.7,
    variation=0.8,
)

NIGHT_OWL = Persona(
    name="night_owl",
    description="Late up, late to bed, afternoon outings, long evenings in front of the TV.",
    wake_hour=9.0,
    wake_sd_min=40,
    bed_hour=24.75,
    bed_sd_min=45,
    weekend_shift_min=60,
    breakfast=Meal(9.5, 30, 15),
    lunch=Meal(13.5, 40, 25),
    dinner=Meal(19.5, 45, 50, kettle_probability=0.3),
    drinks_per_day=4,
    day_toilet_per_hour=0.3,
    night_toilet_mean=0.6,
    morning_bathroom_min=20,
    shower_days_per_week=4,
    shower_min=12,
    outings_per_week=3,
    outing_hour=14.0,
    outing_sd_min=60,
    outing_min=130,
    potter_per_day=2,
    tv_daytime_probability=0.5,
    tv_evening_probability=0.95,
    variation=1.3,
)

HOMEBODY = Persona(
    name="homebody",
    description="Rarely goes out; up at half seven, many cups of tea, two toilet trips a night.",
    wake_hour=7.5,
    wake_sd_min=25,
    bed_hour=22.5,
    bed_sd_min=25,
    weekend_shift_min=15,
    breakfast=Meal(8.0, 20, 25),
    lunch=Meal(12.5, 25, 35),
    dinner=Meal(17.75, 25, 40, kettle_probability=0.6),
    drinks_per_day=6,
    day_toilet_per_hour=0.45,
    night_toilet_mean=1.8,
    morning_bathroom_min=12,
    shower_days_per_week=2,
    shower_min=15,
    outings_per_week=1,
    outing_hour=10.5,
    outing_sd_min=45,
    outing_min=60,
    potter_per_day=4,
    tv_daytime_probability=0.8,
    tv_evening_probability=0.9,
    variation=0.9,
)

PERSONAS: dict[str, Persona] = {p.name: p for p in (EARLY_RISER, NIGHT_OWL, HOMEBODY)}
