"""A household's care plan: the settings its care team chooses for it, as opposed to what is learned.

So far one: how soon a door opened at night with nobody seen inside after it is reported as a night
exit. Five minutes by default (``RoutineConfig.exit_after``): long enough for someone who only looks
out, or comes home while the sensors had them in, to be seen inside again. For a resident known to
wander, every minute outside on a winter night counts: the team sets 0 and the first clock tick after
the door reports it. The detection service reads the setting with the home's other context every
half minute (``DetectionService.refresh_context``).
"""

from __future__ import annotations

from datetime import timedelta

from detection.routine_day import LONGEST_NIGHT_EXIT_AFTER, RoutineConfig
from telecare.models import Household

DEFAULT_NIGHT_EXIT_AFTER = int(RoutineConfig().exit_after / timedelta(minutes=1))

__all__ = ["DEFAULT_NIGHT_EXIT_AFTER", "LONGEST_NIGHT_EXIT_AFTER", "night_exit"]


def night_exit(household: Household) -> dict:
    """The home's night exit delay as the API and the household page show it."""
    own = household.night_exit_after_min
    return {"after_minutes": DEFAULT_NIGHT_EXIT_AFTER if own is None else own, "default": own is None,
            "default_minutes": DEFAULT_NIGHT_EXIT_AFTER}
