"""Changes over days: more night toilet visits, fewer kitchen visits, less activity overall, sleeping
much longer or much shorter, going out less.

Each day's counts are compared with the household's own learned days by a one-sided CUSUM on
standardised daily values (a slow, steady change adds up; one odd day does not). A change that holds
for ``absorb_days`` becomes the new normal: the days are learned, the alert is cleared.

Declines are judged on rates: visits per 16 hours at home, so a day out shopping is not "eating
less". A day spent mostly away (under ``MIN_HOME_HOURS`` at home) says nothing about life at home and
is skipped, except that night toilet visits seen on such a day still count.

Kitchen visits are few (two a day in a busy life), too few for a standardised score: one empty day
looks like a collapse. They are judged as a count in the hours spent at home against the learned
rate per hour, by a Poisson CUSUM tuned to a fall to ``RATE_DROP`` of usual. Each day weighs as
much as the hours it was at home (from ``MIN_COUNTED_HOURS``), the score is scaled down by the home's
own day-to-day spread (a home whose counts swing widely needs more days), and one day adds at most
``MAX_DAY_SCORE``: a single empty day is not a trend. Missed usual meal times add to the same
CUSUM (``detection.meals``: a resident who is in the kitchen before noon on fifteen mornings in
sixteen they are at home for, and now is not), which is what finds eating less in a home with only
two kitchen visits a day; the limit is set for the two together. An alert needs the visits to
have fallen by a quarter over the last three days (and as many days before them as make 36 hours at
home), or a usual meal time missed on most of them.

Moving less is judged two ways, each raising ``activity_decline``: sensor activations per 16 hours
at home (how much movement the sensors see: a resident who sits more trips a motion sensor less),
and visits per 16 hours at home to the rooms of daily living, the kitchen, living areas and bedroom
(a room's first sign in 15 minutes; not the toilet and the bathroom, whose visits are the night
toilet trend's, nor the doors, the outings', nor turning over on a bed mat): fewer trips about the
home. Contact sensors see the trips and not the movement, and a motion sensor's bursts swamp the
trips: in van Kasteren house A (doors and cupboards only) halving the visits to those rooms is a
20 % drop in activations, within their day-to-day spread, and a 50 % drop in visits; in the
simulated homes, whose motion sensors fire all the while someone moves about a room, moving less is
a quarter fewer activations and hardly fewer visits. Visits are a count, judged like the kitchen's.

Sleep is the night's rest: hours of quiet at home in stretches of an hour or more between 20:00
and getting up; a night out, or a morning never seen up, says nothing about it. Outings are times out
of the front door for ten minutes or more, counted on the day they end; a day mostly away is a day
out, not a day of going out less. A home whose door sensor never reports has no outings to lose.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType

from river.utils import SortedWindow

from detection.meals import WINDOW_HOURS, MealTimes
from detection.routine_day import DAY_START_HOUR
from detection.routine_words import widened
from telecare.domain import AlertKind, AlertSignal, ClearSignal

MIN_HOME_HOURS = 8.0
RATE_HOURS = 16.0  # declines are counted per this many hours at home (a waking day)
RATE_DROP = 0.4  # counted metrics: the CUSUM looks for a fall to 40% of the usual rate...
MIN_COUNTED_HOURS = 2.0  # ...counting every day with this many hours at home, weighted by them...
MAX_DAY_SCORE = 1.5  # ...and one day adds at most this much to it
# Visits and missed meal times together: one day adds at most this, under the kitchen's limit (4),
# so a single day without cooking never raises an alert on its own.
MAX_KITCHEN_DAY = 3.5
# Whether the visits have fallen is judged on the last three days, and on more of the pending ones
# until they hold this many hours at home: three days mostly out say little about eating at home.
RECENT_HOME_HOURS = 36.0


# A day as a metric sees it: (value, hours at home, (kitchen mask, home mask) or None).
Day = tuple[float, float, tuple[int, int] | None]


@dataclass(frozen=True, slots=True)
class _Metric:
    name: str
    kind: AlertKind
    direction: int  # +1: an increase is the worry, -1: a decrease
    min_sd: float  # floor on the spread, in counts a day (standardised metrics)
    min_change: float  # the recent mean must differ from normal by at least this fraction...
    min_abs: float  # ...and by at least this many counts a day
    threshold: float  # CUSUM decision limit
    slack: float  # CUSUM allowance, in standard deviations (standardised metrics)
    words: str
    series: str = ""  # the day's count it reads (default: ``name``); a missing or None count: no news
    per_home_hours: bool = False  # a rate per 16 hours at home; days mostly away are skipped
    on_alerted_days: bool = False  # a day with an absence alert still counts (not learned as normal)
    max_z: float = math.inf  # one day adds at most this much: a single odd night is not a trend
    counted: bool = False  # a count in the hours at home, judged against the learned rate per hour
    meal_times: bool = False  # missed usual meal times add to the evidence (``detection.meals``)

    @property
    def count(self) -> str:
        return self.series or self.name


METRICS = (
    _Metric("night_toilet", AlertKind.NIGHT_TOILET_INCREASE, +1, 0.7, 0.0, 1.0, 5.0,
            0.5, "night toilet visits", on_alerted_days=True),
    _Metric("kitchen", AlertKind.KITCHEN_DECLINE, -1, 1.0, 0.25, 0.0, 4.0, 0.0,
            "kitchen visits per 16 hours at home", per_home_hours=True, counted=True, meal_times=True,
            on_alerted_days=True),
    _Metric("activity", AlertKind.ACTIVITY_DECLINE, -1, 5.0, 0.2, 10.0, 5.0,
            0.5, "sensor activations per 16 hours at home", per_home_hours=True, on_alerted_days=True),
    _Metric("room_visits", AlertKind.ACTIVITY_DECLINE, -1, 1.0, 0.25, 0.0, 3.0, 0.0,
            "trips about the home (kitchen, living areas, bedroom) per 16 hours at home",
            series="visits", per_home_hours=True, counted=True, on_alerted_days=True),
    _Metric("sleep_longer", AlertKind.SLEEP_CHANGE, +1, 0.75, 0.2, 1.5, 8.0, 0.5,
            "hours of rest at night", series="night_rest", max_z=2.5),
    _Metric("sleep_shorter", AlertKind.SLEEP_CHANGE, -1, 0.75, 0.2, 1.5, 8.0, 0.5,
            "hours of rest at night", series="night_rest", max_z=2.5),
    _Metric("outings", AlertKind.OUTINGS_DECLINE, -1, 0.5, 0.5, 0.7, 9.0, 0.5,
            "outings a day", max_z=2.5),
)


class TrendDetector:
    """Learns each daily count's normal and flags a sustained shift.

    Parameters
    ----------
    window_days
        Learned days that make normal.
    min_days
        No decision before this many days are learned.
    absorb_days
        A shift that has held this many days becomes the new normal.

    ``learn_day`` takes the finished day's counts: ``night_toilet``, ``kitchen`` (visits),
    ``activity`` (sensor activations), ``visits`` (to any room but the toilet, the bathroom and the
    doors), ``home_hours`` (hours of the day not out of the house) and,
    when they were measured that day (else ``None`` or absent), ``night_rest`` (hours),
    ``outings``, and ``kitchen_at`` and ``home_at`` (bit masks of the day's hours in which a
    kitchen visit began, and that began with the resident at home: ``MealTimes``) and ``gap``
    (the hub was offline or another monitor alerted: a flagged day no metric reads);
    ``tolerance`` (kind -> factor, from responders' verdicts: ``detection.feedback``) raises the
    CUSUM limit of a kind that was often a false alarm in this home.

    Examples
    --------
    >>> from datetime import datetime, timedelta, UTC
    >>> t = TrendDetector(28, 14)
    >>> day = datetime(2026, 1, 1, 12, tzinfo=UTC)
    >>> out = []
    >>> for d in range(30):
    ...     nights = [1, 2, 1, 0, 1, 2, 1][d % 7] + (3 if d >= 20 else 0)
    ...     counts = {"night_toilet": nights, "kitchen": 8, "activity": 300, "visits": 30, "home_hours": 20}
    ...     out += t.learn_day("h-1", day + timedelta(days=d), counts, False, {})
    >>> [(s.kind.value, s.ts.day) for s in out if isinstance(s, AlertSignal)]
    [('night_toilet_increase', 22)]
    """

    def __init__(self, window_days: int, min_days: int, absorb_days: int = 7) -> None:
        self.window_days = window_days
        self.min_days = min_days
        self.absorb_days = absorb_days
        self.learned = {m.name: SortedWindow(window_days) for m in METRICS}
        self.cusum = {m.name: 0.0 for m in METRICS}
        self.pending: dict[str, list[Day]] = {m.name: [] for m in METRICS}
        self.exposure: dict[str, list[tuple[float, float]]] = {m.name: [] for m in METRICS if m.counted}
        self.episode: dict[str, str] = {}  # metric -> key of the open alert
        self.meals = MealTimes(window_days)  # usual meal times: missing them adds to the kitchen's evidence
        self.days = 0

    def learn_day(
        self, hub: str, end: datetime, counts: dict[str, float], flagged: bool, open_: dict[str, str],
        tolerance: Mapping[str, float] = MappingProxyType({}),
    ) -> list[AlertSignal | ClearSignal]:
        self.days += 1
        signals: list[AlertSignal | ClearSignal] = []
        home = counts["home_hours"]
        for m in METRICS:
            # A day with an acute alert (out unseen, a long silence) is never learned as normal, and
            # its low counts say nothing about a decline; more night toilet visits still count, and
            # so do kitchen visits and movement in the hours at home outside the alerted silence (the
            # model counts that silence as whereabouts unknown): eating less, moving less and lying
            # still go together. A day the hub was offline, or with a help call or a fall, says
            # nothing at all.
            if flagged and (not m.on_alerted_days or counts.get("gap")):
                continue
            if counts.get(m.count) is None:
                continue  # not measured that day
            x = float(counts[m.count])
            if m.counted:
                if home < MIN_COUNTED_HOURS:
                    continue  # hardly home: the day weighs nothing
            elif home < MIN_HOME_HOURS and (m.direction < 0 or x == 0):
                continue  # mostly away: no visits at home is no news
            elif m.per_home_hours:
                x = round(x * RATE_HOURS / home, 2)
            meals = None
            if m.meal_times and counts.get("kitchen_at") is not None and counts.get("home_at") is not None:
                meals = (int(counts["kitchen_at"]), int(counts["home_at"]))
            day = (x, home, meals)
            if self.days <= self.min_days or self._known(m) < 7:
                if not flagged:
                    self._learn(m, day)
                continue
            s = self.cusum[m.name] = max(0.0, self.cusum[m.name] + self._score(m, day))
            pending = self.pending[m.name]
            if m.name in self.episode:
                pending.append(day)
                if s == 0.0 or len(pending) >= self.absorb_days:
                    if s != 0.0:  # a week of the new level: it is the normal from now on
                        self._forget(m)
                    for v in pending:
                        self._learn(m, v)
                    self.pending[m.name] = []
                    self.cusum[m.name] = 0.0
                    del self.episode[m.name]
                    open_.pop(m.kind.value, None)
                    what = "back to normal" if s == 0.0 else "steady for a week: now taken as the new normal"
                    signals.append(ClearSignal(hub, m.kind, end, f"{m.words.capitalize()} {what}."))
                continue
            # A suspicion that has lasted a week without an alert was nothing: its oldest day is
            # normal after all (dropping it instead would leave normal without its high days).
            pending.append(day)
            while len(pending) > self.absorb_days:
                self._learn(m, pending.pop(0))
            recent = _recent(m, pending)
            mean, recent_mean = self._usual(m), _level(m, recent)
            change = m.direction * (recent_mean - mean)
            big_enough = change >= m.min_change * max(mean, 1.0) and change >= m.min_abs
            if m.meal_times and not big_enough:  # as many visits, but the usual meal missed most days
                big_enough = any(2 * miss > n for _, _, miss, n in self._missed_meals(recent))
            if s > m.threshold * tolerance.get(m.kind.value, 1.0) and big_enough:
                key = f"{m.name}-from:{end.date().isoformat()}"
                self.episode[m.name] = key
                open_[m.kind.value] = key
                self.pending[m.name] = [day]
                signal = self._signal(hub, m, end, key, recent, mean, pending)
                summary, evidence = widened(signal.summary, signal.evidence, tolerance.get(m.kind.value, 1.0))
                signals.append(replace(signal, summary=summary, evidence=evidence))
            elif s == 0.0:  # nothing building up: the pending days are normal
                for v in pending[:-1] if flagged else pending:
                    self._learn(m, v)
                self.pending[m.name] = []
        return signals

    def _score(self, m: _Metric, day: Day) -> float:
        """What this day adds to the metric's CUSUM."""
        x, home, meals = day
        learned = self.learned[m.name]
        if not m.counted:
            mean = sum(learned) / len(learned)
            sd = max(m.min_sd, _sd(learned, mean))
            return min(m.max_z, m.direction * (x - mean) / sd) - m.slack
        # Log-likelihood ratio of "the rate fell to RATE_DROP of usual" against "as usual" for a
        # Poisson count over the hours at home, divided by the home's overdispersion.
        ratio = RATE_DROP if m.direction < 0 else 1 / RATE_DROP
        per_hour = self._usual(m) / RATE_HOURS
        score = x * math.log(ratio) - (ratio - 1) * per_hour * home
        if len(learned) >= 5:
            mean = sum(learned) / len(learned)
            score /= max(1.0, _sd(learned, mean) ** 2 / max(mean, 1e-9))
        score = min(MAX_DAY_SCORE, score)
        if meals is not None:
            score = min(MAX_KITCHEN_DAY, score + self.meals.score_one(*meals))
        return score

    def _usual(self, m: _Metric) -> float:
        """The learned level: the mean day, or for a counted metric the rate per 16 hours at home."""
        if m.counted:  # never a zero rate: a home where no visit was ever seen has "at most one"
            days = self.exposure[m.name]
            return max(1.0, sum(x for x, _ in days)) * RATE_HOURS / sum(h for _, h in days)
        return sum(self.learned[m.name]) / len(self.learned[m.name])

    def _known(self, m: _Metric) -> int:
        return len(self.exposure[m.name] if m.counted else self.learned[m.name])

    def _learn(self, m: _Metric, day: Day) -> None:
        x, home, meals = day
        if not m.counted:
            self.learned[m.name].append(x)
            return
        if meals is not None:
            self.meals.learn_one(*meals)
        exposure = self.exposure[m.name]
        exposure.append((x, home))
        del exposure[:-self.window_days]
        if home >= MIN_HOME_HOURS:  # the spread and the range in words come from full days at home
            self.learned[m.name].append(round(x * RATE_HOURS / home, 2))

    def _forget(self, m: _Metric) -> None:
        self.learned[m.name] = SortedWindow(self.window_days)
        if m.counted:
            self.exposure[m.name] = []
        if m.meal_times:
            self.meals.forget()

    def _missed_meals(self, days: list[Day]) -> list[tuple[int, float, int, int]]:
        return self.meals.missed([d[2] for d in days if d[2] is not None])

    def _signal(self, hub, m: _Metric, end: datetime, key: str, recent, mean, run: list[Day]) -> AlertSignal:
        learned = self.learned[m.name]
        low, high = (learned[0], learned[-1]) if learned else (mean, mean)
        level = _level(m, recent)
        if m.counted:
            visits, hours = sum(d[0] for d in recent), sum(d[1] for d in recent)
            level_words = f"{level:.1f} ({visits:g} in {hours:.0f} hours at home)"
        else:
            level_words = f"{level:.1f}"
        summary = (
            f"{len(recent)}-day average of {m.words}: {level_words}, against a usual "
            f"{mean:.1f} (between {low:g} and {high:g} over the last {len(learned)} normal days)."
        )
        evidence = {"metric": m.name, "recent": [d[0] for d in recent], "usual_mean": round(mean, 2),
                    "usual_min": low, "usual_max": high, "days": len(learned),
                    "cusum": round(self.cusum[m.name], 2)}
        if m.counted:
            evidence["recent_home_hours"] = [round(d[1], 1) for d in recent]
        if m.meal_times:  # the days since the change began to show: which usual meal times went
            meals = []
            for first, usual, missed, days in self._missed_meals(run):
                since, until = (f"{(DAY_START_HOUR + h) % 24:02d}:00" for h in (first, first + WINDOW_HOURS))
                meals.append({"from": since, "until": until, "usual_share": round(usual, 2),
                              "missed": missed, "days_home": days})
                if missed:
                    summary += (f" No kitchen visit between {since} and {until} on {missed} of the last {days} "
                                f"days at home then (usually on {usual:.0%} of days).")
            evidence["meals"] = meals
        return AlertSignal(hub, m.kind, end, summary, key, m.kind.default_severity, evidence)


def _recent(m: _Metric, pending: list[Day]) -> list[Day]:
    """The days the alert's change is judged on: the last three, and for a count in the hours at
    home as many more of the pending days as it takes to reach ``RECENT_HOME_HOURS`` at home.

    A week of eating less, whose last three days were mostly spent out (one visit in two hours at
    home reads as eight a day): judged on the days back to 36 hours at home, not on those three.

    >>> kitchen, night_toilet = METRICS[1], METRICS[0]
    >>> week = [(1, 12.0, None), (0, 13.0, None), (1, 14.0, None), (1, 2.0, None), (1, 2.5, None), (1, 3.0, None)]
    >>> round(_level(kitchen, week[-3:]), 1)   # the last three days alone: more than a usual 3.5
    6.4
    >>> [d[1] for d in _recent(kitchen, week)], round(_level(kitchen, _recent(kitchen, week)), 1)
    ([12.0, 13.0, 14.0, 2.0, 2.5, 3.0], 1.7)
    >>> len(_recent(night_toilet, week))   # a count a night: the last three nights
    3
    """
    recent = pending[-3:]
    if m.counted:
        k = len(pending) - len(recent)
        while k > 0 and sum(d[1] for d in recent) < RECENT_HOME_HOURS:
            k -= 1
            recent = pending[k:]
    return recent


def _level(m: _Metric, days) -> float:
    """The level of these (value, hours at home) days: their mean, or a counted metric's rate per 16 hours."""
    if not m.counted:
        return sum(d[0] for d in days) / len(days)
    return sum(d[0] for d in days) * RATE_HOURS / sum(d[1] for d in days)


def _sd(window: SortedWindow, mean: float) -> float:
    n = len(window)
    if n < 2:
        return 0.0
    return math.sqrt(sum((v - mean) ** 2 for v in window) / (n - 1))
