"""Accounts: users, the households they may see, sign-in with rate limiting, sessions and API tokens.

Storage functions take the session and never commit; the caller owns the transaction.

>>> Role("family").may_act_on_alerts, Role("responder").may_act_on_alerts
(False, True)
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from telecare.account_models import Credential, LoginFailure, User, UserHousehold

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,79}$")
MIN_PASSWORD = 10
SESSION_TTL = timedelta(hours=12)
# Rate limiting: a guessing run against one account, or from one address, is stopped for a while.
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class Role(StrEnum):
    ADMIN = "admin"  # runs the service: every household, users, the audit log
    RESPONDER = "responder"  # handles alerts for their households
    FAMILY = "family"  # the reassurance feed of their households, away mode
    INSTALLER = "installer"  # devices and their health, pairing, rejected messages for their hubs

    @property
    def may_act_on_alerts(self) -> bool:
        return self in (Role.ADMIN, Role.RESPONDER)


class AccountError(ValueError):
    """A request about accounts that cannot be done as asked (the message says why)."""


class LoginRefused(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SessionTokens:
    token: str  # goes in the HttpOnly cookie; only its hash is stored
    csrf: str  # goes in every form and in the X-CSRF-Token header of browser API calls


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_username(username: str) -> str:
    return username.strip().lower()


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    *,
    display_name: str = "",
    households: Iterable[int] = (),
) -> User:
    name = normalise_username(username)
    if not USERNAME.match(name):
        raise AccountError("a username is 2-80 characters: letters, digits, '.', '_', '@' or '-'")
    try:
        role = Role(role)
    except ValueError:
        raise AccountError(f"role must be one of {', '.join(r.value for r in Role)}") from None
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise AccountError(f"there is already a user called {name!r}")
    user = User(username=name, display_name=display_name.strip() or name, role=role.value,
                password_hash=_hasher.hash(password), active=True)
    session.add(user)
    session.flush()
    set_households(session, user, households)
    return user


def set_households(session: Session, user: User, household_ids: Iterable[int]) -> None:
    """Replace the households a user may see."""
    session.execute(delete(UserHousehold).where(UserHousehold.user_id == user.id))
    for household_id in sorted(set(household_ids)):
        session.add(UserHousehold(user_id=user.id, household_id=household_id))
    session.flush()


def household_ids_of(session: Session, user_id: int) -> frozenset[int]:
    return frozenset(
        session.scalars(select(UserHousehold.household_id).where(UserHousehold.user_id == user_id))
    )


def set_password(session: Session, user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    user.password_hash = _hasher.hash(password)
    revoke_all(session, user, kind="session")


# ---------------------------------------------------------------------- signing in
def authenticate(session: Session, username: str, password: str, address: str, now: datetime) -> User:
    """The user with these credentials, or ``LoginRefused`` (wrong, disabled, or rate limited)."""
    name = normalise_username(username)[:80]
    since = now - FAILURE_WINDOW
    by_user = session.scalar(
        select(func.count()).where(LoginFailure.username == name, LoginFailure.at >= since)
    )
    by_address = session.scalar(
        select(func.count()).where(LoginFailure.address == address, LoginFailure.at >= since)
    )
    if (by_user or 0) >= MAX_FAILURES_PER_USER or (by_address or 0) >= MAX_FAILURES_PER_ADDRESS:
        raise LoginRefused(
            f"too many failed sign-ins: try again in {int(FAILURE_WINDOW.total_seconds() // 60)} "
            "minutes, or ask an administrator to reset your password", 429)
    user = session.scalar(select(User).where(User.username == name))
    if not _password_matches(user.password_hash if user else _DUMMY_HASH, password) or user is None:
        session.add(LoginFailure(username=name, address=address[:64], at=now))
        raise LoginRefused("that username and password do not match", 401)
    if not user.active:
        raise LoginRefused("this account is disabled", 403)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.execute(delete(LoginFailure).where(LoginFailure.username == name))
    user.last_login_at = now
    return user


def _password_matches(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def start_session(session: Session, user: User, now: datetime) -> SessionTokens:
    tokens = SessionTokens(secrets.token_urlsafe(32), secrets.token_urlsafe(24))
    session.add(Credential(user_id=user.id, kind="session", name="browser",
                           token_hash=hash_token(tokens.token), csrf_token=tokens.csrf,
                           created_at=now, expires_at=now + SESSION_TTL))
    return tokens


def issue_api_token(session: Session, user: User, name: str = "api",
                    now: datetime | None = None, ttl: timedelta | None = None) -> str:
    """A new bearer token for ``user``. Returned once, in clear; only its hash is kept."""
    token = "tc_" + secrets.token_urlsafe(32)
    session.add(Credential(user_id=user.id, kind="api", name=name[:80], token_hash=hash_token(token),
                           created_at=now, expires_at=(now + ttl) if now and ttl else None))
    session.flush()
    return token


def credential_for(session: Session, token: str, kind: str, now: datetime) -> tuple[User, Credential] | None:
    """The active user and credential behind a presented token, or None."""
    row = session.execute(
        select(User, Credential)
        .join(Credential, Credential.user_id == User.id)
        .where(Credential.token_hash == hash_token(token), Credential.kind == kind)
    ).first()
    if row is None:
        return None
    user, credential = row
    if (not user.active or credential.revoked_at is not None
            or (credential.expires_at is not None and credential.expires_at <= now)):
        return None
    return user, credential


def revoke(session: Session, credential: Credential, now: datetime) -> None:
    credential.revoked_at = now


def revoke_all(session: Session, user: User, kind: str | None = None) -> None:
    query = delete(Credential).where(Credential.user_id == user.id)
    if kind:
        query = query.where(Credential.kind == kind)
    session.execute(query)
