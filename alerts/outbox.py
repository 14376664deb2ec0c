"""The transactional outbox: notification rows written in the same transaction as the alert change.

Nothing is sent here. The delivery worker (``alerts.delivery``) reads pending rows after the commit,
so a notification exists if and only if the change that caused it was committed. Each row carries an
idempotency key built from what it is about (alert, step, contact), so enqueuing the same step twice
is refused by the unique index, and receivers can drop repeats of an at-least-once delivery.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.care_circle import quiet_until
from telecare.models import Alert, Contact, Household, Notification


def enqueue(
    session: Session,
    *,
    key: str,
    contact: Contact,
    title: str,
    body: str,
    purpose: str,
    now: datetime,
    alert: Alert | None = None,
    step: int | None = None,
    not_before: datetime | None = None,
) -> Notification | None:
    """Add one notification to the outbox, unless one with this key is already there."""
    if session.scalar(select(Notification.id).where(Notification.key == key)) is not None:
        return None
    row = Notification(
        key=key,
        alert_id=alert.id if alert is not None else None,
        household_id=contact.household_id,
        contact_id=contact.id,
        purpose=purpose,
        step=step,
        title=title[:300],
        body=body,
        channels=list(contact.channels),
        channel_index=0,
        attempts=0,
        status="pending",
        next_attempt_at=not_before or now,
        last_error="",
    )
    session.add(row)
    return row


def enqueue_for_alert(
    session: Session,
    alert: Alert,
    contacts: list[Contact],
    purpose: str,
    key_part: str,
    now: datetime,
    step: int | None = None,
    body: str | None = None,
) -> list[Notification]:
    """Tell ``contacts`` about ``alert``; non-urgent ones wait for each contact's quiet hours."""
    household = session.get(Household, alert.household_id)
    tz = household.timezone if household else "UTC"
    prefix = {
        "reminder": "Reminder: ", "escalation": "Still unanswered: ", "all_clear": "All clear: ",
        "undelivered": "Undelivered: ",
    }.get(purpose, "")
    title = f"{prefix}{alert.kind.replace('_', ' ')} [{alert.severity}] at {household.name if household else '?'}"
    rows = []
    for contact in contacts:
        row = enqueue(
            session,
            key=f"alert-{alert.id}-{key_part}-contact-{contact.id}",
            contact=contact,
            title=title,
            body=body or alert.summary,
            purpose=purpose,
            now=now,
            alert=alert,
            step=step,
            not_before=quiet_until(contact, tz, now, alert.severity),
        )
        if row is not None:
            rows.append(row)
    session.flush()
    return rows


def contacts_told(session: Session, alert: Alert) -> list[Contact]:
    """Everyone the alert itself (not a test or summary) was sent or is being sent to."""
    return list(
        session.scalars(
            select(Contact)
            .where(
                Contact.id.in_(
                    select(Notification.contact_id).where(
                        Notification.alert_id == alert.id,
                        Notification.purpose.in_(("alert", "escalation", "reminder")),
                        Notification.status != "failed",
                    )
                )
            )
            .order_by(Contact.id)
        )
    )
