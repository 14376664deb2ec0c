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

from typing import Any

from river.utils import SortedWindow

from detection.quiet import upper
from detection.versioned import VersionedState


class Mornings(VersionedState):
    """Learned getting-up times (hours into the routine day) and how reliably getting up is seen.

    Parameters
    ----------
    window_days
        Mornings kept (weekend mornings: a third as many).
    """

    STATE_VERSION = 1
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

    def learn(self, wake: float | None, weekend: bool, seen: bool) -> None:
        """One finished normal day: its getting-up time (None: not seen), and whether the person
        was home that morning to be seen (``seen``: a morning away says nothing)."""
        if wake is not None:
            self.all.append(wake)
            (self.weekend if weekend else self.weekday).append(wake)
        if seen:
            self.seen = (self.seen + [wake is not None])[-self.window_days:]

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
