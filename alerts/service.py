"""Turning detector signals into alerts. Storage functions: they take the session, never commit.

One open alert per household and kind: a repeat updates it (count, last seen, latest summary) without
creating a new one, and without notifying anyone again. Each signal's episode key is recorded once, so
replaying a stream after a crash changes nothing that was already recorded.

A new alert copies its escalation policy and writes its first notifications to the outbox in the same
transaction. While the household is silenced or away the alert is still recorded, as ``silenced``,
and nobody is notified.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import escalation
from alerts.lifecycle import OPEN_STATUSES, AlertAction, AlertStatus, next_status
from alerts.outbox import contacts_told, enqueue_for_alert
from telecare.domain import AlertKind, AlertSignal, ClearSignal, HouseholdStatus
from telecare.models import (
    Alert,
    AlertOccurrence,
    AlertTimelineEntry,
    Household,
    Silence,
    utcnow,
)

DETECTOR = "detector"


@dataclass(frozen=True, slots=True)
class AlertChange:
    """What happened to an alert in a transaction; acted on (logged, notified) after the commit."""

    alert_id: int
    household_id: int
    hub: str
    kind: str
    severity: str
    status: str
    summary: str
    created: bool  # a new alert, as opposed to a repeat or a status change
    ts: datetime


def apply_signal(
    session: Session, household_id: int, signal: AlertSignal, now: datetime | None = None
) -> AlertChange | None:
    """Record a detector signal; a new alert starts its escalation (``now`` defaults to its time)."""
    kind = signal.kind.value
    already = session.scalar(
        select(AlertOccurrence.id).where(
            AlertOccurrence.household_id == household_id,
            AlertOccurrence.kind == kind,
            AlertOccurrence.episode_key == signal.key,
        )
    )
    if already is not None:
        return None
    alert = _open_alert(session, household_id, kind)
    severity = signal.effective_severity
    silenced_by = None if alert is not None else _silenced_by(session, household_id, signal.ts, kind)
    if silenced_by is not None:
        alert = _silenced_alert(session, household_id, kind)
    created = alert is None
    if alert is None:
        action = AlertAction.SILENCE if silenced_by is not None else AlertAction.TRIGGER
        status = next_status(None, action)
        alert = Alert(
            household_id=household_id,
            kind=kind,
            severity=severity.value,
            status=status.value,
            summary=signal.summary,
            evidence=signal.evidence,
            count=1,
            opened_at=signal.ts,
            last_seen_at=signal.ts,
        )
        session.add(alert)
        session.flush()
        note = signal.summary if silenced_by is None else f"{signal.summary} (not notified: {silenced_by})"
        _timeline(session, alert.id, action, None, status, note)
        if silenced_by is None:
            escalation.start(session, alert, now or signal.ts)
    else:
        alert.count += 1
        alert.last_seen_at = max(alert.last_seen_at, signal.ts)
        alert.summary = signal.summary
        alert.evidence = signal.evidence
        alert.updated_at = utcnow()
    session.add(
        AlertOccurrence(
            alert_id=alert.id,
            household_id=household_id,
            kind=kind,
            episode_key=signal.key,
            ts=signal.ts,
        )
    )
    session.flush()
    return _change(alert, signal.hub, created, signal.ts)


def apply_clear(
    session: Session, household_id: int, signal: ClearSignal, now: datetime | None = None
) -> AlertChange | None:
    """The condition went away by itself: close the alert and tell whoever was told, "all clear"."""
    alert = _open_alert(session, household_id, signal.kind.value)
    if alert is None:
        return None
    before = AlertStatus(alert.status)
    after = next_status(before, AlertAction.CLEAR)
    alert.status = after.value
    alert.closed_at = signal.ts
    alert.updated_at = utcnow()
    alert.next_step_at = alert.step_token = alert.remind_at = None  # nothing more to escalate
    _timeline(session, alert.id, AlertAction.CLEAR, before, after, signal.summary)
    told = contacts_told(session, alert)
    if told:
        enqueue_for_alert(session, alert, told, "all_clear", "all-clear", now or signal.ts,
                          body=signal.summary)
    session.flush()
    return _change(alert, signal.hub, False, signal.ts)


# Away mode quiets what an empty house would cause; these still matter when nobody is in.
_NOT_QUIETED_BY_AWAY = frozenset({AlertKind.HELP_REQUEST, AlertKind.FALL, AlertKind.SMOKE,
                                  AlertKind.WATER_LEAK, AlertKind.COLD_HOME, AlertKind.HUB_OFFLINE,
                                  AlertKind.DEVICE_OFFLINE, AlertKind.BATTERY_LOW})


def _silenced_by(session: Session, household_id: int, ts: datetime, kind: str) -> str | None:
    """Why alerts of this household are not notified at ``ts`` (away, a silence), or None."""
    household = session.get(Household, household_id)
    if household is not None and kind not in _NOT_QUIETED_BY_AWAY and (
        household.status == HouseholdStatus.AWAY.value
        or (household.away_until is not None and household.away_until > ts)
    ):
        return "household is in away mode"
    silence = session.scalars(
        select(Silence)
        .where(Silence.household_id == household_id, Silence.starts_at <= ts, Silence.ends_at > ts)
        .order_by(Silence.ends_at.desc())
    ).first()
    if silence is None:
        return None
    return f"silenced until {silence.ends_at:%Y-%m-%d %H:%M} UTC by {silence.author}: {silence.reason}"


def _silenced_alert(session: Session, household_id: int, kind: str) -> Alert | None:
    """The silenced alert that repeats during a silence add to (so they are counted, not multiplied)."""
    return session.scalars(
        select(Alert)
        .where(
            Alert.household_id == household_id,
            Alert.kind == kind,
            Alert.status == AlertStatus.SILENCED.value,
            Alert.closed_at.is_(None),
        )
        .order_by(Alert.id.desc())
        .with_for_update()
    ).first()


def _open_alert(session: Session, household_id: int, kind: str) -> Alert | None:
    return session.scalars(
        select(Alert)
        .where(
            Alert.household_id == household_id,
            Alert.kind == kind,
            Alert.status.in_([s.value for s in OPEN_STATUSES]),
        )
        .with_for_update()
    ).one_or_none()


def _timeline(
    session: Session,
    alert_id: int,
    action: AlertAction,
    before: AlertStatus | None,
    after: AlertStatus,
    note: str,
    actor: str = DETECTOR,
    at: datetime | None = None,
) -> None:
    session.add(
        AlertTimelineEntry(
            alert_id=alert_id,
            at=at or utcnow(),
            actor=actor,
            action=action.value,
            from_status=before.value if before else None,
            to_status=after.value,
            note=note,
        )
    )


def _change(alert: Alert, hub: str, created: bool, ts: datetime) -> AlertChange:
    return AlertChange(
        alert_id=alert.id,
        household_id=alert.household_id,
        hub=hub,
        kind=alert.kind,
        severity=alert.severity,
        status=alert.status,
        summary=alert.summary,
        created=created,
        ts=ts,
    )
