"""How soon something else follows each sign of the resident, by the sign: which sensor, and whether
it opened or closed.

The house by day is judged by the time of day the quiet began (``detection.quiet``), which must allow
for the longest quiet of the whole hour: in a home without motion sensors, the two hours someone sits
in the living room after lunch set the limit for a fall in the kitchen at 10:00. What the last sign
was says more. In house A of the van Kasteren recordings, after the toilet flushes something else
happens within 16 minutes every time (48 times in a month), and after a cupboard opens within a
minute: quiet for an hour after either is not sitting down to read. Each sign learns how long the
quiet after it lasts, and the tighter of this and the time-of-day limit judges the quiet.

Only daytime signs outside the bedroom are learned and judged (the caller decides which): a door
closed at 23:00 may be followed by a night's sleep, and one night would make that door say nothing by
day; and a rest in the bedroom may begin after any sign there (in house B of the van Kasteren
recordings, something else followed the bedroom door closing within 10 minutes on every day but one,
when the house stayed quiet from 19:36 into the night), so the bedroom's own limits by the time of
day judge it.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

from detection.versioned import VersionedState


@dataclass(frozen=True, slots=True)
class SignLimit:
    """The learned limit for quiet after one kind of sign."""

    limit: float  # minutes
    usual: float  # the longest learned quiet after this sign, minutes
    seen: int  # how many learned quiet spells after it that comes from


class NextSign(VersionedState):
    """The longest quiet that followed each kind of sign, per day, over the last ``window_days``.

    Parameters
    ----------
    window_days
        Days kept (older ones are forgotten).
    margin, extra, floor
        Limit = ``max(floor, longest * margin + extra)`` in minutes, over the kept days.
    min_days
        A sign seen on fewer kept days has no limit of its own.

    Examples
    --------
    Twenty days on which the toilet flushed and something followed within 10 minutes every time;
    the living room door closing twice followed by two hours of quiet.

    >>> n = NextSign(28)
    >>> for d in range(20):
    ...     n.learn_one("flush:1", 2.0 + d % 9)
    ...     n.learn_one("lounge:0", 120.0 if d in (3, 11) else 5.0)
    ...     n.learn_one("lounge:0", 1.0)  # the longest of the day is kept
    ...     n.end_day()
    >>> n.limit("flush:1")
    SignLimit(limit=55.0, usual=10.0, seen=20)
    >>> n.limit("lounge:0").limit
    330.0
    >>> n.limit("fridge:1") is None   # never seen: the time of day alone judges
    True

    Days older than the window (28) are forgotten: twelve days on, without the lounge door, its
    first four days have gone, the first long quiet with them.

    >>> for d in range(12):
    ...     n.learn_one("flush:1", 3.0)
    ...     n.end_day()
    >>> n.limit("lounge:0").seen, n.limit("flush:1").seen
    (16, 28)
    """

    STATE_VERSION = 1
    CACHES = ("_limits",)
    _limits: dict[str, SignLimit | None] | None = None  # worked out since the last learned day

    def __init__(self, window_days: int, *, margin: float = 2.5, extra: float = 30.0, floor: float = 45.0,
                 min_days: int = 12) -> None:
        self.window_days, self.min_days = window_days, min_days
        self.margin, self.extra, self.floor = margin, extra, floor
        self.days = 0  # days learned
        # sign -> (day learned, longest quiet after it that day), pairs flat in one compact array
        self.after: dict[str, array] = {}
        self.today: dict[str, float] = {}  # sign -> longest quiet after it today, learned at the day's end

    def learn_one(self, sign: str, minutes: float, *, now: bool = False) -> None:
        """Learn that quiet lasted ``minutes`` after ``sign`` (the caller decides it was normal): at
        the day's end, or with ``now`` at once.

        At the day's end, like the rest of the routine: a sign seen on its ``min_days``-th day judges from
        the next day, not straight after its first use that day. At once for quiet that was alerted
        on and turned out within the time of day's limit (or just became so, coming back on a third
        day): the sign should not alert on the same again tomorrow morning.
        """
        if not now:
            self.today[sign] = max(self.today.get(sign, 0.0), minutes)
            return
        kept = self.after.setdefault(sign, array("f"))
        if kept and kept[-2] == self.days:
            if minutes <= kept[-1]:
                return
            kept[-1] = minutes
        else:
            kept.extend((self.days, minutes))
        if self._limits is not None:
            self._limits.pop(sign, None)

    def end_day(self) -> None:
        """A day has ended: learn its quiet, and forget what is older than the window."""
        for sign, minutes in self.today.items():
            self.learn_one(sign, minutes, now=True)
        self.today.clear()
        self.days += 1
        oldest = self.days - self.window_days
        for sign, kept in list(self.after.items()):
            k = 0
            while k < len(kept) and kept[k] < oldest:
                k += 2
            del kept[:k]
            if not kept:
                del self.after[sign]
        self._limits = None

    def limit(self, sign: str) -> SignLimit | None:
        """The limit for quiet after ``sign``, or None if too little is learned about it."""
        limits = self._limits
        if limits is None:
            limits = self._limits = {}
        if sign not in limits:  # asked every minute of a quiet spell: worked out once a day
            kept = self.after.get(sign)
            if kept is None or len(kept) < 2 * self.min_days:
                limits[sign] = None
            else:
                usual = float(max(kept[1::2]))
                limits[sign] = SignLimit(max(self.floor, usual * self.margin + self.extra), usual, len(kept) // 2)
        return limits[sign]
