"""A household's care circle: who is told, on which channels, how urgent it must be, and when.

Storage functions: they take the session and never commit. Channels are Apprise URLs kept in order:
the first is the contact's primary channel, the next ones are fallbacks tried when it fails.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import apprise
from sqlalchemy import select
from sqlalchemy.orm import Session

from telecare.domain import Severity
from telecare.models import Contact, Household


class Role(enum.StrEnum):
    RESPONDER = "responder"  # the monitoring centre / on-call team: told first, at once when urgent
    CARER = "carer"
    FAMILY = "family"
    MAINTENANCE = "maintenance"  # installers and the maintenance team: sensors, batteries, hubs


class CareCircleError(ValueError):
    """A contact or channel that cannot be stored as given (the message says why)."""


def check_channel(url: str) -> str:
    """Refuse a channel Apprise cannot send to (unknown scheme, mailto without ``from=``...)."""
    if not apprise.Apprise().add(url):
        raise CareCircleError(f"not a channel Apprise can send to: {redact(url)}")
    return url


def redact(url: str) -> str:
    """Scheme and host only, for logs and attempt records (URLs can hold tokens and passwords)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    return f"{scheme}://{host}"


def parse_quiet_hours(text: str | None) -> tuple[str | None, str | None]:
    """``"22:00-07:00"`` -> ("22:00", "07:00"); empty -> no quiet hours."""
    if not text:
        return None, None
    try:
        start, end = text.split("-")
        if time.fromisoformat(start) == time.fromisoformat(end):
            raise ValueError
    except ValueError:
        raise CareCircleError(
            f"quiet hours must look like 22:00-07:00 (start and end differ), not {text!r}"
        ) from None
    return start, end


def add_contact(
    session: Session,
    household: Household,
    name: str,
    role: str,
    channels: Sequence[str],
    min_severity: str = Severity.INFO.value,
    quiet_hours: str | None = None,
    daily_summary: bool = False,
) -> Contact:
    try:
        role, min_severity = Role(role).value, Severity(min_severity).value
    except ValueError as exc:
        raise CareCircleError(str(exc)) from None
    if not channels:
        raise CareCircleError("a contact needs at least one channel")
    quiet_start, quiet_end = parse_quiet_hours(quiet_hours)
    contact = Contact(
        household_id=household.id,
        name=name,
        role=role,
        channels=[check_channel(c) for c in channels],
        min_severity=min_severity,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        daily_summary=daily_summary,
    )
    session.add(contact)
    session.flush()
    return contact


def household_by_hub(session: Session, hub: str) -> Household:
    household = session.scalars(select(Household).where(Household.hub == hub)).one_or_none()
    if household is None:
        raise LookupError(f"no household with hub {hub!r}")
    return household


def contacts_of(session: Session, household_id: int) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact).where(Contact.household_id == household_id).order_by(Contact.id)
        )
    )


def recipients(
    session: Session,
    household_id: int,
    roles: Iterable[str],
    contact_ids: Iterable[int],
    severity: str,
) -> list[Contact]:
    """Contacts named by a step (by role or id) who want alerts of this severity."""
    roles, ids = set(roles), set(contact_ids)
    rank = Severity(severity).rank
    return [
        c
        for c in contacts_of(session, household_id)
        if (c.role in roles or c.id in ids) and Severity(c.min_severity).rank <= rank
    ]


def quiet_until(contact: Contact, tz: str, now: datetime, severity: str) -> datetime:
    """When a notification to ``contact`` may go out: now, or the end of their quiet hours.

    Urgent and critical alerts never wait.

    >>> from datetime import UTC
    >>> c = Contact(quiet_start="22:00", quiet_end="07:00")
    >>> quiet_until(c, "UTC", datetime(2026, 1, 5, 23, 30, tzinfo=UTC), "warning").isoformat()
    '2026-01-06T07:00:00+00:00'
    >>> quiet_until(c, "UTC", datetime(2026, 1, 5, 23, 30, tzinfo=UTC), "critical").hour
    23
    """
    if not (contact.quiet_start and contact.quiet_end) or Severity(severity).rank >= Severity.URGENT.rank:
        return now
    local = now.astimezone(ZoneInfo(tz))
    start, end = time.fromisoformat(contact.quiet_start), time.fromisoformat(contact.quiet_end)
    t = local.time().replace(tzinfo=None)
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return now
    end_day = local.date() + timedelta(days=1) if (start > end and t >= start) else local.date()
    return datetime.combine(end_day, end, tzinfo=local.tzinfo).astimezone(now.tzinfo)
