"""A household's care plan: the settings its care team chooses for it, as opposed to what is learned.

How soon a door opened at night with nobody seen inside after it is reported as a night
exit. Five minutes by default (``RoutineConfig.exit_after``): long enough for someone who only looks
out, or comes home while the sensors had them in, to be seen inside again. For a resident known to
wander, every minute outside on a winter night counts: the team sets 0 and the first clock tick after
the door reports it. The detection service reads the setting with the home's other context every
half minute (``DetectionService.refresh_context``).

And after how many nights away in the learned weeks a night out is staying away rather than "not
back" (``Whereabouts.staying_away``). Two by default: the first two are reported, the next not. A
resident who sleeps at her daughter's every weekend gets 1 (van Kasteren house A, away overnight about
once a week: 2.42 false alerts per 100 home-days with 2, 1.42 with 1, no fall or late morning found
later); one who has never slept away, and who would be lost if out all night, gets the most, 28: every
night out is reported.
"""

from __future__ import annotations

from datetime import timedelta

from detection.outings import MOST_NIGHTS_AWAY_KNOWN
from detection.routine_day import LONGEST_NIGHT_EXIT_AFTER, RoutineConfig
from telecare.models import Household

DEFAULT_NIGHT_EXIT_AFTER = int(RoutineConfig().exit_after / timedelta(minutes=1))
DEFAULT_NIGHTS_AWAY = RoutineConfig().nights_away_known

__all__ = ["DEFAULT_NIGHT_EXIT_AFTER", "DEFAULT_NIGHTS_AWAY", "LONGEST_NIGHT_EXIT_AFTER", "MOST_NIGHTS_AWAY_KNOWN",
           "night_exit", "nights_away"]


def night_exit(household: Household) -> dict:
    """The home's night exit delay as the API and the household page show it."""
    own = household.night_exit_after_min
    return {"after_minutes": DEFAULT_NIGHT_EXIT_AFTER if own is None else own, "default": own is None,
            "default_minutes": DEFAULT_NIGHT_EXIT_AFTER}


def nights_away(household: Household) -> dict:
    """The home's nights away before a night out is staying away, as the API and the page show it."""
    own = household.nights_away_known
    return {"nights": DEFAULT_NIGHTS_AWAY if own is None else own, "default": own is None,
            "default_nights": DEFAULT_NIGHTS_AWAY, "most": MOST_NIGHTS_AWAY_KNOWN}
