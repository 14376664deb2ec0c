"""The routine model in service, for ``telecare evaluate --responders``: every alert is resolved by a
simulated responder, and the verdicts adjust the home's limits as they do in the live service.

The plain evaluation scores a model that no responder ever answers: each of a home's false alerts
comes back as often as what caused it does. In service, a responder resolves each alert and the
verdicts reach the model (``detection.feedback``): a false inactivity, not-up or night-wandering alert
teaches that quiet, that morning or that hour of the night as routine, a net ``false_alarm`` of another kind widens that home's limit for it, and a ``genuine``
absence alert keeps its quiet from ever being learned as routine. Here the responder is
the ground truth: an alert is ``genuine`` if it is about an injected anomaly (found it, or came
while it lasted), a ``false_alarm`` otherwise, given ``VERDICT_AFTER`` the alert. A real team
answers more slowly and sometimes wrongly; this row shows what the feedback can do, not what a
given team will see.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from detection.engine import DetectionEngine
from detection.feedback import ADJUSTABLE, DISMISSIBLE, MEMORY, began, tolerance
from detection.routine_alerts import ABSENCE
from telecare.domain import AlertSignal

VERDICT_AFTER = timedelta(minutes=30)
_ADJUSTABLE = frozenset(k.value for k in ADJUSTABLE)
_ABSENCE = frozenset(k.value for k in ABSENCE)
_DISMISSIBLE = frozenset(k.value for k in DISMISSIBLE)


class SimulatedResponder:
    """Resolves a home's alerts ``after`` they are raised, and passes the verdicts to its engine.

    ``genuine(at, kind)`` is the ground truth: whether an alert of ``kind`` raised at ``at`` is about
    real trouble. Call ``until(now)`` before each signal is handled (verdicts due by then land) and
    ``alerted`` for each new alert.

    Examples
    --------
    >>> from datetime import UTC
    >>> from telecare.domain import AlertKind
    >>> engine = DetectionEngine()
    >>> _ = engine.add_household("h", "UTC")
    >>> r = SimulatedResponder(engine, "h", genuine=lambda at, kind: False)
    >>> t = datetime(2026, 1, 20, 11, tzinfo=UTC)
    >>> for day in range(2):
    ...     r.alerted(AlertSignal("h", AlertKind.LONG_BATHROOM, t + timedelta(days=day), "", "k", "urgent", {}))
    >>> r.until(t + timedelta(days=1, hours=1))
    >>> engine.routines["h"].tolerance
    {'long_bathroom': 1.5}
    """

    def __init__(self, engine: DetectionEngine, hub: str, genuine: Callable[[datetime, str], bool],
                 after: timedelta = VERDICT_AFTER) -> None:
        self.engine, self.hub, self.genuine, self.after = engine, hub, genuine, after
        self.pending: list[tuple[datetime, str, bool, datetime | None]] = []  # (due, kind, genuine, when what it is about began)
        self.verdicts: list[tuple[datetime, str, bool]] = []  # (given, kind, genuine)
        self.confirmed: list[datetime] = []  # quiet that genuine absence alerts were about
        self.dismissed: list[datetime] = []  # what false inactivity, not-up and night alerts were about

    def alerted(self, signal: AlertSignal) -> None:
        kind = signal.kind.value
        self.pending.append((signal.ts + self.after, kind, self.genuine(signal.ts, kind), began(signal.evidence)))

    def until(self, now: datetime) -> None:
        due = [p for p in self.pending if p[0] <= now]
        if not due:
            return
        self.pending = [p for p in self.pending if p[0] > now]
        for given, kind, genuine, since in due:
            self.verdicts.append((given, kind, genuine))
            if genuine and kind in _ABSENCE and since is not None:
                self.confirmed.append(since)
            elif not genuine and kind in _DISMISSIBLE and since is not None:
                self.dismissed.append(since)
        recent = Counter((kind, genuine) for given, kind, genuine in self.verdicts
                         if given >= now - MEMORY and kind in _ADJUSTABLE)
        widened = {kind: tolerance(recent[kind, False], recent[kind, True]) for kind, _ in recent}
        self.engine.set_tolerance(self.hub, {kind: f for kind, f in widened.items() if f > 1.0})
        self.engine.confirm_quiet(self.hub, self.confirmed)
        self.engine.dismiss_quiet(self.hub, self.dismissed)
