"""Day plans: where the resident intends to be, before any sensor sees it.

Plans are plain frozen data so scenarios (and later, trends over weeks) can edit them with
``dataclasses.replace`` before they are played out by ``simulator.sensing``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Place(StrEnum):
    """Where the resident is. LIVING (by day) and BED (by night) are home bases, never visits."""

    BED = "bed"
    LIVING = "living"
    HALLWAY = "hallway"
    BATHROOM = "bathroom"
    KITCHEN = "kitchen"
    BEDROOM = "bedroom"
    OUT = "out"


@dataclass(frozen=True, slots=True)
class Visit:
    """Time spent somewhere away from the home base, in epoch milliseconds.

    ``pinned`` visits come from scenarios: they keep their time and everything else moves around
    them, so the ground truth stays exact. ``kettle`` says a kitchen visit boils the kettle.
    """

    start: int
    end: int
    place: Place
    activity: str
    pinned: bool = False
    kettle: bool = False


@dataclass(frozen=True, slots=True)
class DayPlan:
    """One day from getting up (``wake``) to the next morning. ``visits`` include the night's."""

    day: date
    wake: int
    bedtime: int
    visits: tuple[Visit, ...]
    tv_daytime: bool
    tv_evening: bool
    evening_from: int  # when dinner is over: living-room time after it counts as the evening
