"""When the person usually settles for the night: the learned bedtimes behind "asleep".

In a home without a bed mat that shows lying, nothing says whether someone quiet in the evening is
asleep or on the floor. Quiet that began late enough, somewhere a night can begin, is taken as sleep
(a long night is ``not_up``'s to judge the next morning); other quiet in the evening is judged by the
learned quiet of that time of day, never sooner than ``RoutineConfig.evening_floor``
(``RoutineAlerts._evening``). "Late enough" is this person's own: half an hour before the
second-earliest night of the learned days, and never before 20:00. "Somewhere a night can begin" is
anywhere but the kitchen and living areas, and there too once a night began there. Taking all quiet
from 20:00 as sleep, for everyone, left a fall in the kitchen at 20:30 to the next morning in a
home whose resident never settles before ten.

A bedtime is where the night's rest began (``RoutineDay.note_rest``): the first quiet at home of
three hours or more that began from 18:00 (and before getting up counts, 04:00), and the room of
the last sign before it. Bedtimes are learned from normal days only, as the rest of the routine
is, so an evening that was alerted on never moves them.

>>> b = Bedtimes(28)
>>> b.settled_from()           # nothing learned yet: from 20:00 (hours after 15:00)
5.0
>>> for d in range(10):        # settles at 22:00-23:00 (hours after 15:00), once at 21:30
...     b.learn(6.5 if d == 4 else 7.0 + (d % 3) * 0.5, "bedroom")
>>> b.settled_from()           # the second earliest (22:00) less half an hour: from 21:30
6.5
>>> b.sleeps_in("toilet"), b.sleeps_in("kitchen")   # last thing at night: the toilet, not the kitchen
(True, False)
>>> for d in range(10):
...     b.learn(3.0, "kitchen")  # quiet from 18:00 after the kitchen every evening
>>> b.settled_from(), b.sleeps_in("kitchen")        # never before 20:00
(5.0, True)
"""

from __future__ import annotations

from river.utils import SortedWindow

from detection.routine_day import EVENING, LIVING
from detection.versioned import VersionedState

BEDTIME_MARGIN = 0.5  # hours before the second-earliest learned bedtime that quiet is taken as sleep
KNOWN_NIGHTS = 7  # learned bedtimes needed before the person's own are used


class Bedtimes(VersionedState):
    """Learned bedtimes (hours into the routine day), over the last ``window_days`` learned nights.

    Parameters
    ----------
    window_days
        Nights kept (older ones are forgotten).
    evening
        Quiet that began before this (hours into the routine day) is never taken as sleep, whatever
        was learned: the fallback, and the earliest a learned bedtime can move it to.
    """

    STATE_VERSION = 1

    def __init__(self, window_days: int, evening: float = EVENING) -> None:
        self.nights = SortedWindow(window_days)
        self.rooms: list[str] = []  # where each of the last ``window_days`` nights began, oldest first
        self.window_days = window_days
        self.evening = evening

    def learn(self, bedtime: float, room: str | None) -> None:
        """One normal night's bedtime, in hours into its routine day, and the room of the last sign
        before it."""
        self.nights.append(bedtime)
        self.rooms = [*self.rooms, room][-self.window_days:]

    def sleeps_in(self, room: str | None) -> bool:
        """Quiet that began in ``room`` late in the evening may be sleep: anywhere but the kitchen
        and living areas (the bedroom, the toilet or the bathroom last thing at night), and there
        too once a night began there (a motion sensor that sees the way to bed). Until bedtimes are
        known, anywhere."""
        return len(self.nights) < KNOWN_NIGHTS or room not in LIVING or room in self.rooms

    def settled_from(self) -> float:
        """From when (hours into the routine day) quiet at home is taken as sleep: ``evening``
        until ``KNOWN_NIGHTS`` bedtimes are learned."""
        if len(self.nights) < KNOWN_NIGHTS:
            return float(self.evening)
        return float(max(self.evening, self.nights[1] - BEDTIME_MARGIN))
