"""Usual meal times, learned from when the resident goes to the kitchen, and how unusual missing them is.

Someone who goes to the kitchen twice a day makes too few visits for a count to show eating less
within a week. Their timing says more: a resident home at 09:00 who is in the kitchen before noon on
fifteen mornings in sixteen has missed something on the morning they are not. ``MealTimes`` learns
each three-hour window of the routine day in which the resident went to the kitchen on at least
``min_rate`` of the learned days they were at home for it (home at the start of its first two
hours): their "meal windows". It scores a day by the log-likelihood ratio of "the chance of a meal
in each window fell to ``drop`` of usual" against "as usual", over the windows the resident was at
home for. A CUSUM of these scores (``detection.trends``) finds missed meals that add up over days.
"""

from __future__ import annotations

import math
from array import array

WINDOW_HOURS = 3
_WINDOW = (1 << WINDOW_HOURS) - 1
# A window says something about meals on a day the resident was home at the start of its first two
# hours: there to eat in it. Only at its start is not enough: out for breakfast at 07:30 is not a
# missed 07:00-10:00 breakfast.
_HOME = 0b11


class MealTimes:
    """The resident's usual meal windows, from each learned day's kitchen and at-home hours.

    A day is two bit masks over its hours (bit ``h``: the ``h``-th hour of the routine day): the
    hours in which a kitchen visit began, and the hours that began with the resident at home.

    Parameters
    ----------
    window_days
        Learned days kept (older days are forgotten).
    min_rate
        A window is a meal window when the resident went to the kitchen in it on at least this
        share of the learned days they were at home for it (counted with a half-day prior)...
    min_days
        ...and they were at home for it on at least this many of them.
    drop
        The change looked for: the chance of a meal in a window falls to this share of usual.
    max_day
        One day adds at most this much (a day of missed meals is not yet a trend).

    Examples
    --------
    Breakfast between 07:00 and 10:00 (hours 16 to 18 of a day from 15:00), home every morning:

    >>> meals = MealTimes(28)
    >>> home = (1 << 24) - 1
    >>> for d in range(14):
    ...     meals.learn_one(1 << (16 + d % 2), home)
    >>> [(round(rate, 2), first) for rate, first in meals.windows()]
    [(0.97, 16)]
    >>> round(meals.score_one(1 << 17, home), 2)  # breakfast as usual
    -0.92
    >>> round(meals.score_one(0, home), 2)  # no breakfast: evidence of eating less
    2.91
    >>> meals.score_one(0, 0)  # out all day: says nothing
    0.0
    """

    def __init__(self, window_days: int, min_rate: float = 0.75, min_days: int = 7, drop: float = 0.4,
                 max_day: float = 3.0) -> None:
        self.window_days = window_days
        self.min_rate = min_rate
        self.min_days = min_days
        self.drop = drop
        self.max_day = max_day
        self.kitchen = array("I")  # per learned day, oldest first: hours a kitchen visit began in
        self.home = array("I")  # ...and hours that began with the resident at home

    def learn_one(self, kitchen: int, home: int) -> None:
        """Learn a normal day's two masks."""
        self.kitchen.append(kitchen)
        self.home.append(home)
        del self.kitchen[:-self.window_days]
        del self.home[:-self.window_days]

    def windows(self) -> list[tuple[float, int]]:
        """(chance of a kitchen visit, first hour) of each meal window, most regular first, none
        overlapping."""
        rates = []
        for first in range(24 - WINDOW_HOURS + 1):
            window = _WINDOW << first
            visits = days = 0
            for kitchen, home in zip(self.kitchen, self.home, strict=True):
                if home >> first & _HOME == _HOME:
                    days += 1
                    visits += kitchen & window != 0
            if days >= self.min_days:
                rates.append(((visits + 0.5) / (days + 1), first))
        picked: list[tuple[float, int]] = []
        for rate, first in sorted(rates, reverse=True):
            if rate >= self.min_rate and all(abs(first - other) >= WINDOW_HOURS for _, other in picked):
                picked.append((rate, first))
        return picked

    def score_one(self, kitchen: int, home: int) -> float:
        """Evidence that meals are being missed: positive for a missed meal window, negative for a kept one."""
        score = 0.0
        for rate, first in self.windows():
            if home >> first & _HOME == _HOME:
                ate = kitchen & _WINDOW << first
                score += math.log(self.drop) if ate else math.log((1 - self.drop * rate) / (1 - rate))
        return min(self.max_day, score)

    def missed(self, days: list[tuple[int, int]]) -> list[tuple[int, float, int, int]]:
        """Per meal window, earliest first: (first hour, usual chance of a visit, days at home for it
        without a kitchen visit in it, days at home for it) over these (kitchen, home) days."""
        out = []
        for rate, first in sorted(self.windows(), key=lambda w: w[1]):
            home = [kitchen for kitchen, at_home in days if at_home >> first & _HOME == _HOME]
            out.append((first, rate, sum(1 for kitchen in home if not kitchen & _WINDOW << first), len(home)))
        return out

    def forget(self) -> None:
        """A new normal: learn the meal times again from the days to come."""
        del self.kitchen[:]
        del self.home[:]
