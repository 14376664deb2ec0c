"""Changes over days: more night toilet visits, fewer kitchen visits, less activity overall, sleeping
much longer or much shorter, going out less.

Each day's counts are compared with the household's own learned days by a one-sided CUSUM on
standardised daily values (a slow, steady change adds up; one odd day does not). A change that holds
for ``absorb_days`` becomes the new normal: the days are learned, the alert is cleared.

Declines are judged on rates: visits per 16 hours at home, so a day out shopping is not "eating
less". A day spent mostly away (under ``MIN_HOME_HOURS`` at home) says nothing about life at home and
is skipped, except that night toilet visits seen on such a day still count.

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

from detection.routine_words import widened
from telecare.domain import AlertKind, AlertSignal, ClearSignal

MIN_HOME_HOURS = 8.0
RATE_HOURS = 16.0  # declines are counted per this many hours at home (a waking day)


@dataclass(frozen=True, slots=True)
class _Metric:
    name: str
    kind: AlertKind
    direction: int  # +1: an increase is the worry, -1: a decrease
    min_sd: float  # floor on the spread, in counts a day
    min_change: float  # the recent mean must differ from normal by at least this fraction...
    min_abs: float  # ...and by at least this many counts a day
    threshold: float  # CUSUM decision limit
    slack: float  # CUSUM allowance, in standard deviations
    words: str
    series: str = ""  # the day's count it reads (default: ``name``); a missing or None count: no news
    per_home_hours: bool = False  # a rate per 16 hours at home; days mostly away are skipped
    on_alerted_days: bool = False  # a day with an acute alert still counts (not learned as normal)
    max_z: float = math.inf  # one day adds at most this much: a single odd night is not a trend

    @property
    def count(self) -> str:
        return self.series or self.name


METRICS = (
    _Metric("night_toilet", AlertKind.NIGHT_TOILET_INCREASE, +1, 0.7, 0.0, 1.0, 5.0,
            0.5, "night toilet visits", on_alerted_days=True),
    _Metric("kitchen", AlertKind.KITCHEN_DECLINE, -1, 1.0, 0.25, 1.5, 2.5, 0.5,
            "kitchen visits per 16 hours at home", per_home_hours=True),
    _Metric("activity", AlertKind.ACTIVITY_DECLINE, -1, 5.0, 0.2, 10.0, 5.0,
            0.5, "sensor activations per 16 hours at home", per_home_hours=True),
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
    ``activity`` (sensor activations), ``home_hours`` (hours of the day not out of the house) and,
    when they were measured that day (else ``None`` or absent), ``night_rest`` (hours) and
    ``outings``;
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
    ...     counts = {"night_toilet": nights, "kitchen": 8, "activity": 300, "home_hours": 20}
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
        self.pending: dict[str, list[float]] = {m.name: [] for m in METRICS}
        self.episode: dict[str, str] = {}  # metric -> key of the open alert
        self.days = 0

    def learn_day(
        self, hub: str, end: datetime, counts: dict[str, float], flagged: bool, open_: dict[str, str],
        tolerance: Mapping[str, float] = MappingProxyType({}),
    ) -> list[AlertSignal | ClearSignal]:
        self.days += 1
        signals: list[AlertSignal | ClearSignal] = []
        for m in METRICS:
            # A day with an acute alert (out unseen, a long silence) is never learned as normal, and
            # its low counts say nothing about a decline; more night toilet visits still count.
            if flagged and not m.on_alerted_days:
                continue
            home = counts["home_hours"]
            if counts.get(m.count) is None:
                continue  # not measured that day
            x = float(counts[m.count])
            if home < MIN_HOME_HOURS and (m.direction < 0 or x == 0):
                continue  # mostly away: no visits at home is no news
            if m.per_home_hours:
                x = round(x * RATE_HOURS / home, 2)
            learned = self.learned[m.name]
            if self.days <= self.min_days or len(learned) < 7:
                if not flagged:
                    self._learn(m.name, x)
                continue
            mean = sum(learned) / len(learned)
            sd = max(m.min_sd, _sd(learned, mean))
            z = min(m.max_z, m.direction * (x - mean) / sd)
            s = self.cusum[m.name] = max(0.0, self.cusum[m.name] + z - m.slack)
            if m.name in self.episode:
                self.pending[m.name].append(x)
                if s == 0.0 or len(self.pending[m.name]) >= self.absorb_days:
                    if s != 0.0:  # a week of the new level: it is the normal from now on
                        self.learned[m.name] = SortedWindow(self.window_days)
                    for v in self.pending[m.name]:
                        self._learn(m.name, v)
                    self.pending[m.name] = []
                    self.cusum[m.name] = 0.0
                    del self.episode[m.name]
                    open_.pop(m.kind.value, None)
                    what = "back to normal" if s == 0.0 else "steady for a week: now taken as the new normal"
                    signals.append(ClearSignal(hub, m.kind, end, f"{m.words.capitalize()} {what}."))
                continue
            # A suspicion that has lasted a week without an alert was nothing: its oldest day is
            # normal after all (dropping it instead would leave normal without its high days).
            self.pending[m.name].append(x)
            while len(self.pending[m.name]) > self.absorb_days:
                self._learn(m.name, self.pending[m.name].pop(0))
            recent = self.pending[m.name][-3:]
            recent_mean = sum(recent) / len(recent)
            change = m.direction * (recent_mean - mean)
            big_enough = change >= m.min_change * max(mean, 1.0) and change >= m.min_abs
            if s > m.threshold * tolerance.get(m.kind.value, 1.0) and big_enough:
                key = f"{m.name}-from:{end.date().isoformat()}"
                self.episode[m.name] = key
                open_[m.kind.value] = key
                self.pending[m.name] = [x]
                signal = self._signal(hub, m, end, key, recent, mean, learned)
                summary, evidence = widened(signal.summary, signal.evidence, tolerance.get(m.kind.value, 1.0))
                signals.append(replace(signal, summary=summary, evidence=evidence))
            elif s == 0.0:  # nothing building up: the pending days are normal
                for v in self.pending[m.name][:-1] if flagged else self.pending[m.name]:
                    self._learn(m.name, v)
                self.pending[m.name] = []
        return signals

    def _learn(self, name: str, x: float) -> None:
        self.learned[name].append(x)

    def _signal(self, hub, m: _Metric, end: datetime, key: str, recent, mean, learned) -> AlertSignal:
        low, high = learned[0], learned[-1]
        summary = (
            f"{len(recent)}-day average of {m.words}: {sum(recent) / len(recent):.1f}, against a usual "
            f"{mean:.1f} (between {low:g} and {high:g} over the last {len(learned)} normal days)."
        )
        evidence = {"metric": m.name, "recent": list(recent), "usual_mean": round(mean, 2),
                    "usual_min": low, "usual_max": high, "days": len(learned),
                    "cusum": round(self.cusum[m.name], 2)}
        return AlertSignal(hub, m.kind, end, summary, key, m.kind.default_severity, evidence)


def _sd(window: SortedWindow, mean: float) -> float:
    n = len(window)
    if n < 2:
        return 0.0
    return math.sqrt(sum((v - mean) ** 2 for v in window) / (n - 1))
