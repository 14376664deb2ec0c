"""What people do to alerts: acknowledge, resolve with an outcome, add a note, silence.

Storage functions: they take the session and never commit. Each locks the alert row first, so an
acknowledgement and an escalation step that are due at the same moment cannot both win.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from alerts.lifecycle import AlertAction, AlertStatus, Outcome, next_status
from alerts.service import _timeline
from telecare.models import Alert, Household, Silence


class AlertNotFound(LookupError):
    pass


def _locked(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id, with_for_update=True, populate_existing=True)
    if alert is None:
        raise AlertNotFound(f"no alert {alert_id}")
    return alert


def _move(session: Session, alert: Alert, action: AlertAction, actor: str, note: str,
          now: datetime) -> None:
    before = AlertStatus(alert.status)
    after = next_status(before, action)  # TransitionError when not allowed
    alert.status = after.value
    alert.updated_at = now
    # Any change by a person stops the escalation: the token no longer matches a scheduled step.
    alert.next_step_at = alert.step_token = None
    _timeline(session, alert.id, action, before, after, note, actor=actor, at=now)


def acknowledge(session: Session, alert_id: int, actor: str, now: datetime, note: str = "") -> Alert:
    """Someone is on it: escalation stops; a reminder follows if it is not resolved in time."""
    alert = _locked(session, alert_id)
    _move(session, alert, AlertAction.ACKNOWLEDGE, actor, note, now)
    alert.acknowledged_by = actor
    minutes = (alert.policy or {}).get("reminder_min", 0)
    alert.remind_at = now + timedelta(minutes=minutes) if minutes else None
    session.flush()
    return alert


def resolve(session: Session, alert_id: int, actor: str, outcome: str, now: datetime,
            note: str = "") -> Alert:
    outcome = Outcome(outcome).value
    alert = _locked(session, alert_id)
    _move(session, alert, AlertAction.RESOLVE, actor, f"outcome {outcome}: {note}".rstrip(": "), now)
    alert.outcome = outcome
    alert.closed_at = now
    alert.remind_at = None
    session.flush()
    return alert


def add_note(session: Session, alert_id: int, actor: str, note: str, now: datetime) -> Alert:
    alert = _locked(session, alert_id)
    status = AlertStatus(alert.status)
    _timeline(session, alert.id, AlertAction.NOTE, status, status, note, actor=actor, at=now)
    session.flush()
    return alert


def silence_alert(session: Session, alert_id: int, actor: str, note: str, now: datetime) -> Alert:
    """Stop notifying about this alert (it stays recorded, as ``silenced``)."""
    alert = _locked(session, alert_id)
    _move(session, alert, AlertAction.SILENCE, actor, note, now)
    session.flush()
    return alert


def silence_household(session: Session, household: Household, until: datetime, reason: str,
                      author: str, now: datetime) -> Silence:
    """A time-boxed silence: alerts raised before ``until`` are recorded as silenced, not notified."""
    if until <= now:
        raise ValueError("a silence must end in the future")
    silence = Silence(household_id=household.id, starts_at=now, ends_at=until, reason=reason,
                      author=author)
    session.add(silence)
    session.flush()
    return silence
