"""How long the house stays quiet once it falls quiet, by the time of day the quiet began.

Inactivity is judged by when the quiet *began*, not by the hour it has reached. A quiet spell that
began at 23:00 with the bedroom door is a night's sleep and may last nine hours; one that began at
10:40 in the kitchen of a person who is always busy in the morning should not last more than an hour.
Judging by the hour reached mixes the two (at 08:00 the house has "usually" been quiet since the
night), which makes a fall in the morning look like a long lie-in.

Spells are also kept apart by where the last sign was: the bedroom, or anywhere else. Without a bed
mat, the bedroom door at 07:00 followed by two hours of quiet is going back to bed; in house A of the
van Kasteren recordings such spells run to 98-203 minutes, while quiet that begins in the kitchen or
the bathroom at that hour lasts about an hour at most. Pooled, the lie-ins set the limit for a fall
in the kitchen (3 h 45 min instead of under 2 h). The routine model pools the two places again in
homes with a bed mat: there sleep is seen, and never learned as quiet.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from river.utils import SortedWindow

from detection.versioned import VersionedState

SLOT_MINUTES = 30
SLOTS = 24 * 60 // SLOT_MINUTES
LONGEST_NORMAL = 16 * 60  # minutes of quiet at home that can still be an ordinary day
ELSEWHERE, BEDROOM, ANYWHERE = 0, 1, 2  # where the last sign was when the quiet began
# Half hours (09:00-19:00) in which quiet that began outside the bedroom is never allowed past the cap,
# however long such quiet was before: nobody sleeps by day in the kitchen, and quiet that long there
# was learned from outings the sensors misread (a fall at noon is raised at the cap at the latest).
_DAYTIME = (9 * 60 // SLOT_MINUTES, 19 * 60 // SLOT_MINUTES)
ABSORB_DAYS = 3  # a held spell recurring on this many days of the window is the routine, not trouble
PLACES = ("elsewhere", "bedroom", "anywhere")
HELD_FIELDS = 5  # per held spell; see ``QuietSpells._held``
NOT_ALERTED = -1.0  # began, for a spell held because its day was not learned, not for its own alert
CONFIRMED_KEPT = 64  # responders' verdicts remembered (they come from the store every half minute)
LEFT_OPEN = "left_open"  # QuietLimit.place of a limit from the quiet after a door opened


@dataclass(frozen=True, slots=True)
class QuietLimit:
    """The learned limit for a quiet spell that began at a given time of day."""

    limit: float  # minutes; the cap when too little is learned
    usual: float  # the longest learned quiet spell that began around then, minutes (-1: none)
    spells: int  # how many learned spells (at most one a day per half hour) that is taken from
    learned: bool
    place: str = "anywhere"  # learned from spells that began there: "bedroom", "elsewhere", "anywhere"
    # ("after_sign": learned from the quiet after the same sign, ``detection.next_sign``; LEFT_OPEN:
    # from the quiet after the door or cupboard opened just then, ``RoutineModel.after_opening``)
    sign: str = ""  # that sign, in words


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
    with no bed mat), and by day (09:00-19:00) never above it but in the bedroom. Spells that began
    in the bedroom and those that began elsewhere are judged apart. With fewer than ``min_spells``
    learned spells of the same place around ``t`` the reach widens to three hours, then both places
    are pooled; with still too few, the cap alone is the limit.

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
    QuietLimit(limit=80.0, usual=40.0, spells=10, learned=True, place='elsewhere', sign='')
    >>> q.limit(datetime(2026, 1, 20, 23, 10, tzinfo=UTC)).limit
    740.0
    >>> q.limit(datetime(2026, 1, 20, 15, 0, tzinfo=UTC))  # never quiet then: the cap
    QuietLimit(limit=360.0, usual=-1.0, spells=0, learned=False, place='anywhere', sign='')

    Back to bed for two hours most mornings: that does not make two hours normal in the kitchen.

    >>> for d in range(10):
    ...     day = {}
    ...     q.note(day, datetime(2026, 1, 15 + d, 8, 30, tzinfo=UTC), 120.0, BEDROOM)
    ...     q.learn_day(day)
    >>> q.limit(datetime(2026, 1, 26, 8, 40, tzinfo=UTC), BEDROOM).limit
    200.0
    >>> q.limit(datetime(2026, 1, 26, 8, 40, tzinfo=UTC)).limit
    80.0
    >>> q.limit(datetime(2026, 1, 26, 8, 40, tzinfo=UTC), ANYWHERE).limit
    200.0
    """

    # 2: each half hour's spells in a compact array, oldest first; 3: bedroom and elsewhere apart;
    # 4: held spells; 5: held spells keep when they began and whether they were learned since, and
    # spells confirmed as genuine trouble are never learned; 6: spells found a false alarm are learned at once
    STATE_VERSION = 6
    # The half hour of the last quiet spell asked about (a tick asks about the same one every
    # minute), and the limits worked out since the last learned day, by place and half hour.
    CACHES = ("_asked", "_limits")
    _asked: tuple[datetime, int] | None = None
    _limits: list[QuietLimit | None] | None = None

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
        # Index ``place * SLOTS + half hour``, place ELSEWHERE or BEDROOM.
        self.slots = [array("f") for _ in range(2 * SLOTS)]
        # Spells of days not learned (something was alerted), flat in a compact array (fields in
        # ``_held``): held back, and learned only if they recur (``hold_day``). A home alerted on
        # most days holds a few hundred. Spells learned because they recurred stay
        # here for the window, so a responder's later verdict can unlearn them (``confirm``).
        self.held = array("d")
        self.confirmed = array("d")  # when each spell a responder confirmed as genuine began
        self.dismissed = array("d")  # ...and each spell whose alert a responder found a false alarm
        self.days = 0  # days learned or held

    def slot(self, ts: datetime) -> int:
        local = ts.astimezone(ZoneInfo(self.timezone))
        return (local.hour * 60 + local.minute) // SLOT_MINUTES

    def note(self, day: dict[int, float], began: datetime, minutes: float, place: int = ELSEWHERE) -> None:
        """Record in ``day`` (place and half hour -> longest minutes) a quiet spell that began at ``began``."""
        s = place * SLOTS + self.slot(began)
        day[s] = max(day.get(s, 0.0), minutes)

    def learn_day(self, day: dict[int, float]) -> None:
        """Learn one finished, normal day's longest quiet spells, and refresh the limits."""
        for s, minutes in day.items():
            self._learn(s, minutes)
        self.days += 1
        self._limits = None

    def hold_day(self, day: dict[int, float]) -> None:
        """Hold back the spells of a finished day that is not learned (something was alerted).

        A one-off, such as a fall, is never learned. A held spell that recurs (held spells at least
        half as long, beginning within ``reach`` half hours at the same place, on ``ABSORB_DAYS``
        days of the window) is routine the model did not know yet: a new job, a day centre, outings
        a dead door sensor does not see. It is learned then, so the same quiet stops raising alerts
        after a few days instead of every day for ever. A spell a responder confirmed as genuine
        trouble never counts (``confirm``).
        """
        self._hold([(NOT_ALERTED, s, m) for s, m in day.items()])
        self.days += 1

    def hold(self, began: datetime, minutes: float, place: int = ELSEWHERE) -> None:
        """Hold back one quiet spell that was alerted on, as soon as it ends (see ``hold_day``)."""
        self._hold([(began.timestamp(), place * SLOTS + self.slot(began), minutes)])

    def confirm(self, began: datetime) -> bool:
        """A responder found the alerted quiet spell that began at ``began`` to be genuine trouble.

        It is never learned as routine: if it was held, it no longer counts towards a recurrence;
        if it was already learned (it was the third of three), it is unlearned, and so is every
        spell that was learned only because it recurred with it. A verdict that comes before the
        spell ends is remembered for when it does. Returns whether anything changed (a verdict
        already known changes nothing: the service passes them all every half minute).

        >>> from datetime import datetime, timedelta, UTC
        >>> q = QuietSpells(28, "UTC")
        >>> for d in range(10):
        ...     q.learn_day({q.slot(datetime(2026, 1, 5, 10, 0, tzinfo=UTC)): 40.0})
        >>> falls = [datetime(2026, 1, 15 + d, 10, 0, tzinfo=UTC) for d in range(3)]
        >>> for began in falls:
        ...     q.hold(began, 150.0)
        ...     q.hold_day({})  # the rest of that day
        >>> q.limit(falls[0] + timedelta(days=4)).usual   # three mornings: learned as routine
        150.0
        >>> q.confirm(falls[2]), q.confirm(falls[2])
        (True, False)
        >>> q.limit(falls[0] + timedelta(days=4)).usual   # the third was a fall: none of them is
        40.0
        """
        at = began.timestamp()
        if at in self.confirmed:
            return False
        self.confirmed.append(at)
        del self.confirmed[:-CONFIRMED_KEPT]
        mine = [e for e in self._held() if e[0] == at]
        if not mine:
            return True
        held = [e for e in self._held() if e[0] != at]
        near = self._near(held)
        for spell in mine:
            if spell[4]:
                self._unlearn(spell[2], spell[3])
            for e in near(spell[2]):  # learned with it: does each still recur without it?
                if held[e][4] and not self._recurs(held, near, e, held[e][4]):
                    self._unlearn(held[e][2], held[e][3])
                    held[e][4] = 0
        self._limits = None
        self._store(held)
        return True

    def dismiss(self, began: datetime) -> bool:
        """A responder found the alert on the quiet spell that began at ``began`` a false alarm: the
        quiet was this person's routine. It is learned at once, where and when it began, instead of
        once it has come back on ``ABSORB_DAYS`` days; so quiet like it is not alerted on again,
        while quiet at other times of day is judged as before (a home made deaf all day by one
        evening's false alarm finds a fall at noon later). A verdict that comes before the spell
        ends is remembered for when it does. Returns whether anything changed.

        >>> from datetime import datetime, timedelta, UTC
        >>> q = QuietSpells(28, "UTC")
        >>> for d in range(10):
        ...     q.learn_day({q.slot(datetime(2026, 1, 5, 19, 30, tzinfo=UTC)): 40.0})
        >>> evening = datetime(2026, 1, 15, 19, 30, tzinfo=UTC)
        >>> q.dismiss(evening), q.dismiss(evening)   # said while the quiet goes on; said again
        (True, False)
        >>> q.hold(evening, 150.0)   # it ends: learned at once
        >>> q.limit(evening + timedelta(days=1)).usual, q.limit(evening + timedelta(days=1, hours=-8)).usual
        (150.0, -1.0)
        """
        at = began.timestamp()
        if at in self.dismissed or at in self.confirmed:
            return False
        self.dismissed.append(at)
        del self.dismissed[:-CONFIRMED_KEPT]
        held = self._held()
        for spell in held:
            if spell[0] == at and not spell[4]:
                self._learn(int(spell[2]), spell[3])
                spell[4] = self.days + 1
                self._limits = None
        self._store(held)
        return True

    def _held(self) -> list[list[float]]:
        """The held spells: [began (epoch seconds, or NOT_ALERTED), day number, place and half hour,
        minutes, 0 or, once learned, the day number it was learned on + 1]."""
        h = self.held
        return [list(h[k:k + HELD_FIELDS]) for k in range(0, len(h), HELD_FIELDS)]

    def _store(self, held: list[list[float]]) -> None:
        self.held = array("d", [v for spell in held for v in spell])

    def _near(self, held: list[list[float]]) -> Callable[[float], list[int]]:
        by_slot: dict[int, list[int]] = {}
        for i, spell in enumerate(held):
            by_slot.setdefault(int(spell[2]), []).append(i)

        def near(s: float) -> list[int]:  # held spells that began within reach, at the same place
            place = int(s) // SLOTS * SLOTS
            return [i for k in range(-self.reach, self.reach + 1)
                    for i in by_slot.get(place + (int(s) + k) % SLOTS, ())]
        return near

    @staticmethod
    def _recurs(held: list[list[float]], near: Callable[[float], list[int]], i: int, learned: float = 0) -> bool:
        """Whether held spell ``i`` recurs among the spells not learned, and those learned with
        ``learned`` (each absorption counts only spells not already routine)."""
        minutes = held[i][3]
        return len({held[j][1] for j in near(held[i][2])
                    if held[j][3] >= minutes / 2 and held[j][4] in (0, learned)}) >= ABSORB_DAYS

    def _hold(self, spells: list[tuple[float, int, float]]) -> None:
        held = [e for e in self._held() if self.days - e[1] < self.window_days]
        new = [[b, self.days, s, m, 0] for b, s, m in spells
               if m <= LONGEST_NORMAL and (b == NOT_ALERTED or b not in self.confirmed)]
        held += new
        near = self._near(held)
        # Only spells near today's can have begun to recur today. A spell already found a false
        # alarm is routine now.
        absorbed = {i for spell in new for i in near(spell[2])
                    if not held[i][4] and self._recurs(held, near, i)}
        absorbed |= {len(held) - len(new) + k for k, spell in enumerate(new) if spell[0] in self.dismissed}
        for i in sorted(absorbed):
            self._learn(int(held[i][2]), held[i][3])
            held[i][4] = self.days + 1  # learned, with the others absorbed on this day
        if absorbed:
            self._limits = None
        self._store(held)

    def _learn(self, s: int, minutes: float) -> None:
        if minutes <= LONGEST_NORMAL:  # longer: away unseen, or trouble; not normal
            spells = self.slots[s]
            spells.append(minutes)
            if len(spells) > self.window_days:
                spells.pop(0)

    def limit(self, began: datetime, place: int = ELSEWHERE) -> QuietLimit:
        """The limit for a quiet spell that began at ``began`` with the last sign in ``place``
        (``ANYWHERE``: both places pooled)."""
        asked = self._asked
        if asked is None or asked[0] != began:
            asked = self._asked = (began, self.slot(began))
        limits = self._limits
        if limits is None:
            limits = self._limits = [None] * (3 * SLOTS)
        found = limits[place * SLOTS + asked[1]]
        if found is None:  # only the half hours asked about are worked out: most homes ask few
            found = limits[place * SLOTS + asked[1]] = self._compute(asked[1], place)
        return found

    def _unlearn(self, s: float, minutes: float) -> None:
        spells = self.slots[int(s)]
        try:
            spells.remove(array("f", [minutes])[0])
        except ValueError:  # already forgotten (older than the window)
            pass

    def _compute(self, s: int, place: int) -> QuietLimit:
        own = () if place == ANYWHERE else (place,)
        for places, reach in ((own, self.reach), (own, 3 * self.reach),
                              ((ELSEWHERE, BEDROOM), self.reach), ((ELSEWHERE, BEDROOM), 3 * self.reach)):
            pool = [self.slots[p * SLOTS + (s + k) % SLOTS] for p in places for k in range(-reach, reach + 1)]
            spells = sum(len(w) for w in pool)
            if spells >= self.min_spells:
                usual = float(max(max(w) for w in pool if len(w)))
                limit = max(self.floor, usual * self.margin + self.extra)
                if usual < self.cap / 2 or (place != BEDROOM and _DAYTIME[0] <= s < _DAYTIME[1]):
                    limit = min(limit, self.cap)
                return QuietLimit(limit, usual, spells, True, PLACES[places[0] if len(places) == 1 else ANYWHERE])
        return QuietLimit(self.cap, -1.0, 0, False)

