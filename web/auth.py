"""Who is calling, what they may see, and what they may do.

A caller is a signed-in user: a browser carries an HttpOnly session cookie (and sends the session's CSRF
token with every change), a program sends ``Authorization: Bearer <API token>``. The operations token
from the environment (``TELECARE_API_TOKEN``) acts as an administrator for automation and bootstrapping.

Scoping rule, applied by every route: a household the caller may not see does not exist for them (404,
never listed); a household they may see but an action their role may not take is 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request, status
from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from telecare.accounts import Role, credential_for, household_ids_of
from telecare.clock import WallClock
from telecare.config import Settings
from telecare.models import Alert, Household

COOKIE = "telecare_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
OPERATIONS = "operations-token"


@dataclass(frozen=True)
class Caller:
    user_id: int | None  # None for the operations token
    username: str
    display_name: str
    role: Role
    households: frozenset[int] | None  # None: every household (admins)
    via: str  # session | token
    csrf: str = ""

    @property
    def sees_all(self) -> bool:
        return self.households is None

    def can_see(self, household_id: int | None) -> bool:
        return self.sees_all or household_id in (self.households or ())

    def scope(self, column: Any) -> ColumnElement[bool]:
        """A WHERE clause limiting ``column`` (a household id) to what the caller may see."""
        return true() if self.households is None else column.in_(sorted(self.households))

    def may(self, *roles: Role) -> bool:
        return self.role in roles


class LoginRequired(Exception):
    """A page needs a signed-in user: the handler sends the browser to /login."""


def clock_now(request: Request):
    return (getattr(request.app.state, "clock", None) or WallClock()).now()


def _session(request: Request) -> Session:
    return request.app.state.session_factory()


def identify(request: Request) -> Caller | None:
    """The caller behind this request, or None. Looked up once per request."""
    if hasattr(request.state, "caller"):
        return request.state.caller
    settings: Settings = request.app.state.settings
    caller: Caller | None = None
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        token = header[7:].strip()
        if hmac.compare_digest(token.encode(), settings.api_token.get_secret_value().encode()):
            caller = Caller(None, OPERATIONS, "Operations token", Role.ADMIN, None, "token")
        else:
            caller = _lookup(request, token, "api")
    elif cookie := request.cookies.get(COOKIE):
        caller = _lookup(request, cookie, "session")
    request.state.caller = caller
    return caller


def _lookup(request: Request, token: str, kind: str) -> Caller | None:
    if not token or len(token) > 200:
        return None
    with _session(request) as session:
        found = credential_for(session, token, kind, clock_now(request))
        if found is None:
            return None
        user, credential = found
        role = Role(user.role)
        households = None if role is Role.ADMIN else household_ids_of(session, user.id)
        return Caller(user.id, user.username, user.display_name, role, households,
                      "session" if kind == "session" else "token", credential.csrf_token)


def check_csrf(caller: Caller, presented: str | None) -> None:
    if caller.via != "session":
        return  # a bearer token is never sent by a browser on its own: nothing to forge
    if not presented or not hmac.compare_digest(presented.encode(), caller.csrf.encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "missing or wrong CSRF token: reload the page")


def api_caller(request: Request) -> Caller:
    """Dependency for JSON routes: 401 without a caller; CSRF header for browser changes."""
    caller = identify(request)
    if caller is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "sign in: send 'Authorization: Bearer <token>' or sign in at /login",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if request.method not in SAFE_METHODS:
        check_csrf(caller, request.headers.get(CSRF_HEADER))
    return caller


def page_caller(request: Request) -> Caller:
    """Dependency for pages: the browser is sent to /login when nobody is signed in.

    Forms check their own CSRF field (``check_csrf``), since it arrives in the body."""
    caller = identify(request)
    if caller is None:
        raise LoginRequired()
    return caller


CallerDep = Annotated[Caller, Depends(api_caller)]
PageCaller = Annotated[Caller, Depends(page_caller)]


def require(*roles: Role) -> Callable[..., Caller]:
    """Dependency: the caller, if their role is one of ``roles`` (otherwise 403)."""

    def dependency(caller: CallerDep) -> Caller:
        if caller.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"a {caller.role.value} account cannot do this")
        return caller

    return dependency


def forbid_unless(caller: Caller, *roles: Role) -> None:
    if caller.role not in roles:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"a {caller.role.value} account cannot do this")


def household_or_404(session: Session, caller: Caller, hub: str, request: Request | None = None) -> Household:
    household = session.scalar(select(Household).where(Household.hub == hub))
    if household is None or not caller.can_see(household.id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no household {hub!r}")
    if request is not None:
        request.state.audit_household = household.id
    return household


def alert_or_404(session: Session, caller: Caller, alert_id: int, request: Request | None = None) -> Alert:
    alert = session.get(Alert, alert_id, populate_existing=True)
    if alert is None or not caller.can_see(alert.household_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id}")
    if request is not None:
        request.state.audit_household = alert.household_id
    return alert


# Path ids: bounded, so an absurd number is a 422, not a database overflow.
AlertId = Annotated[int, Path(ge=1, le=2**53, description="alert id")]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Hub = Annotated[str, Path(min_length=1, max_length=64, description="the household's hub id")]

# Who may do what, by role (scoping to households comes on top of this).
AlertReader = Annotated[Caller, Depends(require(Role.ADMIN, Role.RESPONDER, Role.FAMILY))]
AlertActor = Annotated[Caller, Depends(require(Role.ADMIN, Role.RESPONDER))]
CareCircleManager = Annotated[Caller, Depends(require(Role.ADMIN, Role.RESPONDER))]
CarePlanManager = Annotated[Caller, Depends(require(Role.ADMIN, Role.RESPONDER))]
DeviceReader = Annotated[Caller, Depends(require(Role.ADMIN, Role.RESPONDER, Role.INSTALLER))]
FeedReader = Annotated[Caller, Depends(require(Role.ADMIN, Role.RESPONDER, Role.FAMILY))]
Admin = Annotated[Caller, Depends(require(Role.ADMIN))]
OpsReader = Annotated[Caller, Depends(require(Role.ADMIN, Role.INSTALLER))]
