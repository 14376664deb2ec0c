"""Signed, expiring, one-time acknowledgement links sent in notifications.

A token carries the alert id, the contact id, an expiry and a nonce, signed with HMAC-SHA256 under
``settings.secret_key``. Verifying checks the signature first (an altered link is refused), then the
expiry; using it stores the nonce, so a replayed link is refused too.

>>> from datetime import UTC, datetime, timedelta
>>> now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
>>> token = make_token("k" * 20, 7, 3, now + timedelta(hours=1), nonce="n1")
>>> read_token("k" * 20, token, now)
LinkClaims(alert_id=7, contact_id=3, expires=1767607200, nonce='n1')
>>> read_token("x" * 20, token, now)
Traceback (most recent call last):
...
alerts.ack_links.AckLinkError: this acknowledgement link has been altered or is not one of ours
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts import actions
from telecare.models import AckLinkUse, Alert, Contact


class AckLinkError(ValueError):
    """A link that cannot acknowledge; ``code`` and ``status`` go into the API's error body."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.status = code, status


@dataclass(frozen=True, slots=True)
class LinkClaims:
    alert_id: int
    contact_id: int
    expires: int  # unix seconds
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), b"ack:" + payload.encode(), hashlib.sha256).digest())


def make_token(secret: str, alert_id: int, contact_id: int, expires: datetime,
               nonce: str | None = None) -> str:
    payload = _b64(f"{alert_id}:{contact_id}:{int(expires.timestamp())}:{nonce or secrets.token_urlsafe(12)}".encode())
    return f"{payload}.{_sign(secret, payload)}"


def read_token(secret: str, token: str, now: datetime) -> LinkClaims:
    altered = AckLinkError(
        "ack_link_invalid", "this acknowledgement link has been altered or is not one of ours", 400
    )
    payload, _, signature = token.partition(".")
    if not hmac.compare_digest(signature.encode(), _sign(secret, payload).encode()):
        raise altered
    try:
        alert_id, contact_id, expires, nonce = _unb64(payload).decode().split(":", 3)
        claims = LinkClaims(int(alert_id), int(contact_id), int(expires), nonce)
    except ValueError:
        raise altered from None
    if now.timestamp() >= claims.expires:
        raise AckLinkError(
            "ack_link_expired",
            "this acknowledgement link has expired; open the console or call the responder team",
            410,
        )
    return claims


def acknowledge_with_link(session: Session, secret: str, token: str, now: datetime) -> Alert:
    """Acknowledge as the link's contact, once. Raises ``AckLinkError`` with a clear reason."""
    claims = read_token(secret, token, now)
    try:
        with session.begin_nested():
            session.add(AckLinkUse(nonce=claims.nonce, alert_id=claims.alert_id,
                                   contact_id=claims.contact_id, used_at=now))
    except IntegrityError:
        raise AckLinkError(
            "ack_link_used", "this acknowledgement link was already used; it works once", 409
        ) from None
    contact = session.get(Contact, claims.contact_id)
    alert = session.get(Alert, claims.alert_id, with_for_update=True, populate_existing=True)
    if alert is None:
        raise AckLinkError("not_found", "this alert no longer exists", 404)
    if alert.status != "triggered":
        by = f" by {alert.acknowledged_by}" if alert.acknowledged_by else ""
        raise AckLinkError(
            "already_handled", f"this alert is already {alert.status}{by}; nothing to do", 409
        )
    actor = f"{contact.name} (contact {contact.id})" if contact else f"contact {claims.contact_id}"
    return actions.acknowledge(session, alert.id, actor, now, note="acknowledged from the link")
