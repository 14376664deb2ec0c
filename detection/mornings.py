"""When the person usually gets up: the learned mornings behind ``not_up``.

Getting-up times are kept per kind of morning: all of them, and weekend (Saturday and Sunday) and
weekday mornings apart. A morning is judged against its own kind once there are six of each and
weekends are later by more than half an hour; otherwise against all mornings. Nothing is judged
until getting up is *seen* reliably (in the kitchen or living areas on 9 mornings in 10): a
resident who breakfasts in bed would otherwise be "not up" every day.

>>> m = Mornings(28)
>>> for d in range(21):   # up at 07:00-07:30 on weekdays, 09:00 at weekends (hours after 15:00)
...     m.learn(18.0 if d % 7 in (5, 6) else 16.0 + (d % 3) * 0.25, weekend=d % 7 in (5, 6), seen=True)
>>> window, usual, count = m.limit(weekend=False, day_start=0, quantile=0.9)
>>> usual, count, m.kind_of_days(window)   # up by 07:30 on all 15 weekdays
(16.5, 15, 'weekdays')
"""

from __future__ import annotations

from array import array
from typing import Any

from river.utils import SortedWindow

from detection.quiet import upper
from detection.versioned import VersionedState

VERDICTS_KEPT = 64  # responders' verdicts remembered (the service passes them every half minute)
ABSORB_DAYS = 3  # late mornings held back that recur on this many days are the new routine...
NEAR = 1.0  # ...when they are within this many hours of each other
DAY_SECONDS = 86400.0


class Mornings(VersionedState):
    """Learned getting-up times (hours into the routine day) and how reliably getting up is seen.

    Parameters
    ----------
    window_days
        Mornings kept (weekend mornings: a third as many).
    """

    # 2: mornings alerted on are held: learned if they recur, or once a responder finds the alert a
    # false alarm; never if found genuine
    STATE_VERSION = 2
    # This morning's limit (day start, (window, usual, count) or None): the learned mornings change
    # only when a day ends, and a tick asks every minute until the person is up.
    CACHES = ("_today",)
    _today: tuple[Any, tuple[SortedWindow, float, int] | None] | None = None

    def __init__(self, window_days: int) -> None:
        self.window_days = window_days
        self.all = SortedWindow(window_days)
        self.weekend = SortedWindow(window_days // 3)
        self.weekday = SortedWindow(window_days)
        self.seen: list[bool] = []  # per learned morning at home: was getting up seen at all
        # Mornings not learned because not_up was alerted: (when the quiet it was about began, epoch
        # seconds; the getting-up hour; weekend), oldest first; and the quiet of false alarms...
        self.held: list[tuple[float, float, bool]] = []
        self.dismissed = array("d")
        self.confirmed = array("d")  # ...and of genuine ones

    def learn(self, wake: float | None, weekend: bool, seen: bool) -> None:
        """One finished normal day: its getting-up time (None: not seen), and whether the person
        was home that morning to be seen (``seen``: a morning away says nothing)."""
        if wake is not None:
            self.all.append(wake)
            (self.weekend if weekend else self.weekday).append(wake)
        if seen:
            self.seen = (self.seen + [wake is not None])[-self.window_days:]
        self._today = None

    def hold(self, began: float, wake: float, weekend: bool) -> None:
        """A finished morning that ``not_up`` was alerted on, about the quiet that began at ``began``
        (epoch seconds), on which the person got up at ``wake``: held back, not learned.

        A one-off late morning (ill, or lying on the floor) never becomes normal. Held mornings
        that recur (``ABSORB_DAYS`` of the window's within ``NEAR`` hours of each other) are a new
        routine, such as a carer who now comes at ten: they are learned then, so the same morning
        stops raising alerts after a few days instead of every day for ever (as quiet spells are,
        ``QuietSpells.hold_day``). A morning a responder confirmed as genuine trouble never counts;
        one found a false alarm is learned at once (``dismiss``).

        >>> m = Mornings(28)
        >>> for d in range(14):
        ...     m.learn(17.0, weekend=False, seen=True)   # up at 08:00 (hours after 15:00)
        >>> day = 86400.0
        >>> m.hold(1 * day, 20.0, weekend=False)   # up at 11:00: not up was alerted
        >>> m.confirm(2 * day)                     # a responder: that one was real trouble
        True
        >>> m.hold(2 * day, 19.5, weekend=False)
        >>> m.hold(3 * day, 20.5, weekend=False)
        >>> m.limit(False, 0, 1.0)[1]               # two late mornings that count: not yet routine
        17.0
        >>> m.hold(4 * day, 19.8, weekend=False)
        >>> m.limit(False, 1, 1.0)[1]               # the third: the new routine is learned
        20.5
        """
        if began in self.confirmed:
            return
        if began in self.dismissed:
            self.learn(wake, weekend, seen=True)
            return
        held = [h for h in self.held if h[0] > began - self.window_days * DAY_SECONDS]
        held.append((began, wake, weekend))
        near = [h for h in held if abs(h[1] - wake) <= NEAR]
        if len(near) >= ABSORB_DAYS:
            for h in near:
                self.learn(h[1], h[2], seen=True)
            held = [h for h in held if h not in near]
        self.held = held

    def confirm(self, began: float) -> bool:
        """A responder found the not-up alert about the quiet that began at ``began`` genuine: that
        morning is never learned, however often late mornings like it come back. Returns whether
        anything changed."""
        if began in self.confirmed:
            return False
        self.confirmed.append(began)
        del self.confirmed[:-VERDICTS_KEPT]
        self.held = [h for h in self.held if h[0] != began]
        return True

    def dismiss(self, began: float) -> bool:
        """A responder found the not-up alert about the quiet that began at ``began`` a false alarm:
        the person got up late that morning and was well. That morning is learned, when it has
        ended (a verdict before is remembered), as any normal one is.

        Without it, every late morning of a late riser raises ``not_up``, a day with an alert is
        never learned, and the learned mornings keep only the early ones: the usual getting-up
        time creeps earlier, and the false alarms come more often. Returns whether anything changed.

        >>> m = Mornings(28)
        >>> for d in range(14):
        ...     m.learn(17.0, weekend=False, seen=True)   # up at 08:00 (hours after 15:00)
        >>> m.hold(1000.0, 20.5, weekend=False)          # not up alerted; up at 11:30
        >>> m.limit(False, 0, 1.0)[1]
        17.0
        >>> m.dismiss(1000.0), m.dismiss(1000.0)
        (True, False)
        >>> m.limit(False, 1, 1.0)[1]
        20.5
        """
        if began in self.dismissed:
            return False
        self.dismissed.append(began)
        del self.dismissed[:-VERDICTS_KEPT]
        for held in self.held:
            if held[0] == began:
                self.learn(held[1], held[2], seen=True)
        self.held = [h for h in self.held if h[0] != began]
        return True

    def limit(self, weekend: bool, day_start: Any, quantile: float) -> tuple[SortedWindow, float, int] | None:
        """(learned mornings of this kind, their ``quantile``: the usual latest getting-up hour,
        mornings at or before it), or None when too few or too unreliable mornings are learned to
        judge this one. The same for the whole day that starts at ``day_start``."""
        cached = self._today
        if cached is None or cached[0] != day_start:
            window = self._window(weekend)
            judged = len(window) >= 5 and sum(self.seen) >= 0.9 * len(self.seen)
            cached = self._today = (day_start, (window, *upper(window, quantile)) if judged else None)
        return cached[1]

    def kind_of_days(self, window: SortedWindow) -> str:
        if window is self.weekend:
            return "weekend days"
        return "weekdays" if window is self.weekday else "days"

    def _window(self, weekend: bool) -> SortedWindow:
        same, other = (self.weekend, self.weekday) if weekend else (self.weekday, self.weekend)
        later = len(same) >= 6 and len(other) >= 6 and (
            upper(self.weekend, 0.5)[0] - upper(self.weekday, 0.5)[0] > 0.5)
        return same if later else self.all
