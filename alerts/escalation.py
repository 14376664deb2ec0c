"""Escalation policies and the job that moves alerts through their steps.

A policy is ordered steps (``{"roles": [...], "contacts": [ids], "wait_min": N}``) run ``repeat + 1``
times. It is copied onto the alert when the alert triggers, so a later edit of the policy does not
change an alert already on its way. The schedule lives on the alert row (``escalation_step``,
``next_step_at``, ``step_token``): the periodic job finds due alerts from those timestamps and the
injectable clock, so a restart loses no step and tests move time with a ``ManualClock``.
"""

from __future__ import annotations

import copy
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from alerts.care_circle import Role, recipients
from alerts.lifecycle import AlertAction, AlertStatus
from alerts.outbox import enqueue_for_alert
from telecare.db import session_scope
from telecare.domain import AlertCategory, AlertKind
from telecare.models import AckLinkUse, Alert, AlertTimelineEntry, Contact, EscalationPolicy

log = logging.getLogger(__name__)

ACTOR = "escalation"
# Someone may be on the floor: these go to the responder team in the very first step.
URGENT_KINDS = frozenset({"help_request", "fall", "smoke"})
DEVICE_KINDS = frozenset(k.value for k in AlertKind if k.category is AlertCategory.DEVICE)
# Sensor and hub trouble goes to maintenance first, then to the responders if nobody acts.
DEVICE_POLICY: dict[str, Any] = {
    "steps": [
        {"roles": [Role.MAINTENANCE.value], "contacts": [], "wait_min": 30},
        {"roles": [Role.RESPONDER.value], "contacts": [], "wait_min": 60},
    ],
    "repeat": 0,
    "reminder_min": 0,
}
DEFAULT_POLICY: dict[str, Any] = {
    "steps": [
        {"roles": [Role.RESPONDER.value], "contacts": [], "wait_min": 5},
        {"roles": [Role.CARER.value, Role.FAMILY.value], "contacts": [], "wait_min": 10},
    ],
    "repeat": 1,
    "reminder_min": 30,
}


def validate_policy(steps: list[dict[str, Any]], repeat: int, reminder_min: int) -> dict[str, Any]:
    if not steps:
        raise ValueError("a policy needs at least one step")
    clean = []
    for step in steps:
        roles = [Role(r).value for r in step.get("roles", [])]
        contacts = [int(c) for c in step.get("contacts", [])]
        wait = float(step.get("wait_min", 5))  # fractions of a minute are allowed (tests, drills)
        if not roles and not contacts:
            raise ValueError("each step names roles or contacts")
        if wait < 0:
            raise ValueError("wait_min cannot be negative")
        clean.append({"roles": roles, "contacts": contacts, "wait_min": wait})
    if repeat < 0 or reminder_min < 0:
        raise ValueError("repeat and reminder_min cannot be negative")
    return {"steps": clean, "repeat": repeat, "reminder_min": reminder_min}


def set_policy(session: Session, household_id: int | None, policy: dict[str, Any]) -> EscalationPolicy:
    """Store the default policy (``household_id=None``) or a household's override (validated)."""
    policy = validate_policy(policy["steps"], policy.get("repeat", 0), policy.get("reminder_min", 30))
    row = session.scalars(
        select(EscalationPolicy).where(
            EscalationPolicy.household_id.is_(None)
            if household_id is None
            else EscalationPolicy.household_id == household_id
        )
    ).one_or_none()
    if row is None:
        row = EscalationPolicy(household_id=household_id)
        session.add(row)
    row.steps, row.repeat, row.reminder_min = policy["steps"], policy["repeat"], policy["reminder_min"]
    session.flush()
    return row


def policy_for(session: Session, household_id: int, kind: str) -> dict[str, Any]:
    """The household's override, else the stored default, else the built-in one; adapted to ``kind``."""
    if kind in DEVICE_KINDS:  # about the kit, not the person: the family is not troubled with it
        return copy.deepcopy(DEVICE_POLICY)
    rows = {
        r.household_id: r
        for r in session.scalars(
            select(EscalationPolicy).where(
                (EscalationPolicy.household_id == household_id)
                | EscalationPolicy.household_id.is_(None)
            )
        )
    }
    row = rows.get(household_id) or rows.get(None)
    policy = (
        {"steps": row.steps, "repeat": row.repeat, "reminder_min": row.reminder_min}
        if row
        else DEFAULT_POLICY
    )
    policy = copy.deepcopy(policy)
    first = policy["steps"][0]
    if kind in URGENT_KINDS and Role.RESPONDER.value not in first["roles"]:
        first["roles"] = [Role.RESPONDER.value, *first["roles"]]
    return policy


def start(session: Session, alert: Alert, now: datetime) -> None:
    """Copy the policy onto a new alert and run its first step (in the caller's transaction)."""
    alert.policy = policy_for(session, alert.household_id, alert.kind)
    alert.escalation_step = 0
    fire_step(session, alert, now)


def fire_step(session: Session, alert: Alert, now: datetime) -> None:
    """Notify the current step's recipients and schedule the next step (or stop after the last)."""
    policy = alert.policy or DEFAULT_POLICY
    steps = policy["steps"]
    n = alert.escalation_step
    step = steps[n % len(steps)]
    contacts = recipients(session, alert.household_id, step.get("roles", []),
                          step.get("contacts", []), alert.severity)
    purpose = "alert" if n == 0 else "escalation"
    enqueue_for_alert(session, alert, contacts, purpose, f"step-{n}", now, step=n)
    if n > 0:  # the first step is the trigger itself; its notifications are listed with the alert
        who = ", ".join(f"{c.name} ({c.role})" for c in contacts) or "nobody (no matching contact)"
        _timeline(session, alert, AlertAction.ESCALATE, f"step {n + 1}: notifying {who}", now)
    alert.escalation_step = n + 1
    if alert.escalation_step < len(steps) * (policy["repeat"] + 1):
        alert.next_step_at = now + timedelta(minutes=step["wait_min"])
        alert.step_token = secrets.token_hex(8)
    else:
        alert.next_step_at, alert.step_token = None, None


def run_due(factory: sessionmaker[Session], now: datetime) -> int:
    """Fire every escalation step and reminder that is due at ``now``. Returns how many fired.

    Each alert is re-read under a row lock in its own transaction; a step whose token changed
    (someone acknowledged, or another worker fired it) is left alone.
    """
    with factory() as session:
        due_steps = session.execute(
            select(Alert.id, Alert.step_token).where(
                Alert.status == AlertStatus.TRIGGERED.value, Alert.next_step_at <= now
            )
        ).all()
        due_reminders = session.scalars(
            select(Alert.id).where(
                Alert.status == AlertStatus.ACKNOWLEDGED.value, Alert.remind_at <= now
            )
        ).all()
    fired = 0
    for alert_id, token in due_steps:
        with _one_alert(factory) as session:
            alert = session.get(Alert, alert_id, with_for_update=True, populate_existing=True)
            if (
                alert is None
                or alert.status != AlertStatus.TRIGGERED.value
                or alert.step_token != token
                or alert.next_step_at is None
                or alert.next_step_at > now
            ):
                continue
            fire_step(session, alert, now)
            fired += 1
    for alert_id in due_reminders:
        with _one_alert(factory) as session:
            alert = session.get(Alert, alert_id, with_for_update=True, populate_existing=True)
            if alert is None or alert.status != AlertStatus.ACKNOWLEDGED.value:
                continue
            if alert.remind_at is None or alert.remind_at > now:
                continue
            _remind(session, alert, now)
            fired += 1
    return fired


@contextmanager
def _one_alert(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One alert's transaction. SQLite has no row locks: if another run fired the same step first,
    the unique idempotency key refuses the copy and this run steps aside."""
    try:
        with session_scope(factory) as session:
            yield session
    except IntegrityError:
        log.info("escalation step already fired elsewhere")


def _remind(session: Session, alert: Alert, now: datetime) -> None:
    """Remind whoever acknowledged (by link), else the first step's recipients; then re-arm."""
    key = f"reminder-{int(alert.remind_at.timestamp())}"
    link = session.scalars(
        select(AckLinkUse).where(AckLinkUse.alert_id == alert.id, AckLinkUse.contact_id.isnot(None))
    ).first()
    contact = session.get(Contact, link.contact_id) if link else None
    if contact is not None:
        contacts = [contact]
    else:
        first = (alert.policy or DEFAULT_POLICY)["steps"][0]
        contacts = recipients(session, alert.household_id, first["roles"], first["contacts"],
                              alert.severity)
    enqueue_for_alert(session, alert, contacts, "reminder", key, now)
    _timeline(session, alert, AlertAction.REMIND, "acknowledged but not resolved yet", now)
    minutes = (alert.policy or DEFAULT_POLICY).get("reminder_min", 0)
    alert.remind_at = now + timedelta(minutes=minutes) if minutes else None


def _timeline(session: Session, alert: Alert, action: AlertAction, note: str, now: datetime) -> None:
    session.add(
        AlertTimelineEntry(
            alert_id=alert.id, at=now, actor=ACTOR, action=action.value,
            from_status=alert.status, to_status=alert.status, note=note,
        )
    )
