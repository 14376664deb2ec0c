"""Daily reassurance: one message a day per household to family contacts who opted in.

"A typical day: up at 07:40, kitchen used 5 times, ..., last activity 22:15", from the stored events
of the household's local day. Enqueued through the outbox with a key per household, contact and day,
so a restart or a second run the same day adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alerts.care_circle import Role
from alerts.outbox import enqueue
from telecare.db import session_scope
from telecare.domain import PRESENCE_TYPES
from telecare.models import Contact, Device, Event, Household

PRESENCE = [t.value for t in PRESENCE_TYPES]


def day_summary(session: Session, household: Household, day: date) -> str:
    """What the household's day looked like, in words (local time)."""
    tz = ZoneInfo(household.timezone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = start + timedelta(days=1)
    active = (
        Event.household_id == household.id,
        Event.event_time >= start,
        Event.event_time < end,
        Event.value != 0,
        Device.type.in_(PRESENCE),
    )
    rows = session.execute(
        select(Device.room, func.count(), func.min(Event.event_time), func.max(Event.event_time))
        .join(Device, Device.id == Event.device_id)
        .where(*active)
        .group_by(Device.room)
        .order_by(func.count().desc())
    ).all()
    if not rows:
        return f"{household.name}, {day:%A %d %B}: no activity recorded today. Worth a call."
    first = min(r[2] for r in rows).astimezone(tz)
    last = max(r[3] for r in rows).astimezone(tz)
    rooms = ", ".join(f"{room.replace('_', ' ')} used {n} time{'s' if n != 1 else ''}"
                      for room, n, _f, _l in rows)
    return (f"{household.name}, {day:%A %d %B}: first activity at {first:%H:%M}, {rooms}, "
            f"last activity at {last:%H:%M}.")


def enqueue_due(factory: sessionmaker[Session], now: datetime, at: str) -> int:
    """Queue today's summary for every opted-in family contact whose local time is past ``at``."""
    queued = 0
    send_at = time.fromisoformat(at)
    with session_scope(factory) as session:
        pairs = session.execute(
            select(Contact, Household)
            .join(Household, Household.id == Contact.household_id)
            .where(Contact.daily_summary.is_(True), Contact.role == Role.FAMILY.value)
        ).all()
        texts: dict[int, str] = {}
        for contact, household in pairs:
            local = now.astimezone(ZoneInfo(household.timezone))
            if local.time() < send_at:
                continue
            if household.id not in texts:
                texts[household.id] = day_summary(session, household, local.date())
            row = enqueue(
                session,
                key=f"summary-{household.id}-{local.date().isoformat()}-contact-{contact.id}",
                contact=contact,
                title=f"Daily summary for {household.name}",
                body=texts[household.id],
                purpose="summary",
                now=now,
            )
            queued += row is not None
    return queued
