"""How long the house stays quiet once it falls quiet, by the time of day the quiet began.

Inactivity is judged by when the quiet *began*, not by the hour it has reached. A quiet spell that
began at 23:00 with the bedroom door is a night's sleep and may last nine hours; one that began at
10:40 in the kitchen of a person who is always busy in the morning should not last more than an hour.
Judging by the hour reached mixes the two (at 08:00 the house has "usually" been quiet since the
night), which makes a fall in the morning look like a long lie-in.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from river.utils import SortedWindow

from detection.versioned import VersionedState

SLOT_MINUTES = 30
SLOTS = 24 * 60 // SLOT_MINUTES
LONGEST_NORMAL = 16 * 60  # minutes of quiet at home that can still be an ordinary day


@dataclass(frozen=True, slots=True)
class QuietLimit:
    """The learned limit for a quiet spell that began at a given time of day."""

    limit: float  # minutes; the cap when too little is learned
    usual: float  # the longest learned quiet spell that began around then, minutes (-1: none)
    spells: int  # how many learned spells (at most one a day per half hour) that is taken from
    learned: bool


def upper(window: SortedWindow, q: float) -> tuple[float, int]:
    """The ``q`` quantile of a sorted window (an observed value) and how many values are <= it.

    >>> w = SortedWindow(10)
    >>> for v in (5, 1, 3, 3):
    ...     _ = w.append(v)
    >>> upper(w, 0.5), upper(w, 1.0)
    ((3, 3), (5, 4))
    """
    n = len(window)
    index = min(n - 1, max(0, math.ceil(q * n) - 1))
    value = window[index]
    count = index + 1
    while count < n and window[count] <= value:
        count += 1
    return value, count


class QuietSpells(VersionedState):
    """The longest quiet spell at home per day, by the half hour it began in, over recent days.

    A spell is quiet at home: the resident is not out (the last sign was not the door) and not in
    bed (with a bed mat). The limit for a spell that began at time ``t`` looks at the spells that
    began within ``reach`` of ``t`` on the learned days: ``max(floor, longest * margin + extra)``,
    never above ``cap`` unless the house is usually quiet for at least half the cap then (asleep,
    with no bed mat). With fewer than ``min_spells`` learned spells around ``t`` the reach widens
    to three hours; with still too few, the cap alone is the limit.

    Parameters
    ----------
    window_days
        Learned values kept per half hour (older ones are forgotten).
    margin, extra, floor, cap
        See above; ``extra``, ``floor`` and ``cap`` in minutes.

    Examples
    --------
    Ten days of a resident who is never quiet for more than 40 minutes after 09:00, and sleeps
    from 23:00 to 07:00.

    >>> from datetime import datetime, UTC
    >>> q = QuietSpells(28, "UTC")
    >>> for d in range(10):
    ...     day = {}
    ...     q.note(day, datetime(2026, 1, 5 + d, 9, 0, tzinfo=UTC), 40.0)
    ...     q.note(day, datetime(2026, 1, 5 + d, 23, 0, tzinfo=UTC), 480.0)
    ...     q.learn_day(day)
    >>> q.limit(datetime(2026, 1, 20, 9, 20, tzinfo=UTC))
    QuietLimit(limit=80.0, usual=40.0, spells=10, learned=True)
    >>> q.limit(datetime(2026, 1, 20, 23, 10, tzinfo=UTC)).limit
    740.0
    >>> q.limit(datetime(2026, 1, 20, 15, 0, tzinfo=UTC))  # never quiet then: the cap
    QuietLimit(limit=360.0, usual=-1.0, spells=0, learned=False)
    """

    STATE_VERSION = 2  # 2: each half hour's spells in a compact array, oldest first
    # The half hour of the last quiet spell asked about: a tick asks about the same one every minute.
    CACHES = ("_asked",)
    _asked: tuple[datetime, int] | None = None

    def __init__(
        self,
        window_days: int,
        timezone: str,
        *,
        margin: float = 1.5,
        extra: float = 20.0,
        floor: float = 45.0,
        cap: float = 360.0,
        reach: int = 2,
        min_spells: int = 8,
    ) -> None:
        self.timezone = timezone
        self.margin, self.extra, self.floor, self.cap = margin, extra, floor, cap
        self.reach, self.min_spells = reach, min_spells
        self.window_days = window_days
        # Only the longest and the count are ever asked of a half hour's spells: 4-byte floats in
        # arrival order take a tenth of the memory of sorted windows of Python floats.
        self.slots = [array("f") for _ in range(SLOTS)]
        self._limits: list[QuietLimit] = [self._compute(s) for s in range(SLOTS)]

    def slot(self, ts: datetime) -> int:
        local = ts.astimezone(ZoneInfo(self.timezone))
        return (local.hour * 60 + local.minute) // SLOT_MINUTES

    def note(self, day: dict[int, float], began: datetime, minutes: float) -> None:
        """Record in ``day`` (half hour -> longest minutes) a quiet spell that began at ``began``."""
        s = self.slot(began)
        day[s] = max(day.get(s, 0.0), minutes)

    def learn_day(self, day: dict[int, float]) -> None:
        """Learn one finished, normal day's longest quiet spells, and refresh the limits."""
        for s, minutes in day.items():
            if minutes <= LONGEST_NORMAL:  # longer: away unseen, or trouble; not normal
                spells = self.slots[s]
                spells.append(minutes)
                if len(spells) > self.window_days:
                    spells.pop(0)
        self._limits = [self._compute(s) for s in range(SLOTS)]

    def limit(self, began: datetime) -> QuietLimit:
        asked = self._asked
        if asked is None or asked[0] != began:
            asked = self._asked = (began, self.slot(began))
        return self._limits[asked[1]]

    def _compute(self, s: int) -> QuietLimit:
        for reach in (self.reach, 3 * self.reach):
            pool = [self.slots[(s + k) % SLOTS] for k in range(-reach, reach + 1)]
            spells = sum(len(w) for w in pool)
            if spells >= self.min_spells:
                usual = float(max(max(w) for w in pool if len(w)))
                limit = max(self.floor, usual * self.margin + self.extra)
                if usual < self.cap / 2:
                    limit = min(limit, self.cap)
                return QuietLimit(limit, usual, spells, True)
        return QuietLimit(self.cap, -1.0, 0, False)

