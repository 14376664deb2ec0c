"""Accounts over the API: who am I, my API tokens, users and their households (admins), the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from telecare.account_models import AuditEntry, Credential, User
from telecare.accounts import (
    AccountError,
    create_user,
    household_ids_of,
    issue_api_token,
    set_households,
)
from telecare.households import household_ids
from telecare.models import Household
from web import schemas as sc
from web.auth import Admin, CallerDep, ItemId, clock_now
from web.deps import TX, api_router

router = api_router("accounts")


def _hubs(session: Session, ids: frozenset[int] | None) -> list[str]:
    query = select(Household.hub).order_by(Household.hub)
    if ids is not None:
        query = query.where(Household.id.in_(sorted(ids)))
    return list(session.scalars(query))


def _household_ids(session: Session, hubs: list[str]) -> list[int]:
    try:
        return household_ids(session, hubs)
    except LookupError as exc:
        raise HTTPException(422, str(exc)) from None


def _user_out(session: Session, user: User) -> dict[str, Any]:
    ids = None if user.role == "admin" else household_ids_of(session, user.id)
    return {"id": user.id, "username": user.username, "display_name": user.display_name,
            "role": user.role, "active": user.active, "households": _hubs(session, ids),
            "last_login_at": user.last_login_at}


@router.get("/me", response_model=sc.MeOut, summary="Who I am and which households I see")
def me(caller: CallerDep, session: TX) -> Any:
    return {"username": caller.username, "display_name": caller.display_name,
            "role": caller.role.value, "households": _hubs(session, caller.households)}


@router.post("/tokens", response_model=sc.TokenOut, status_code=201,
             summary="Create an API token for myself (shown once)")
def create_token(body: sc.TokenIn, caller: CallerDep, request: Request, session: TX) -> Any:
    if caller.user_id is None:
        raise HTTPException(403, "the operations token cannot create tokens; use a user account")
    user = session.get(User, caller.user_id)
    assert user is not None
    token = issue_api_token(session, user, body.name, now=clock_now(request))
    credential = session.scalar(select(Credential).where(Credential.user_id == user.id)
                                .order_by(Credential.id.desc()))
    session.commit()
    return {"id": credential.id, "name": body.name, "token": token}


@router.get("/tokens", response_model=list[sc.TokenInfoOut], summary="My API tokens (never the secret)")
def list_tokens(caller: CallerDep, session: TX) -> Any:
    return session.scalars(select(Credential).where(Credential.user_id == caller.user_id,
                                                    Credential.kind == "api",
                                                    Credential.revoked_at.is_(None))
                           .order_by(Credential.id)).all()


@router.delete("/tokens/{token_id}", status_code=204, response_class=Response,
               summary="Revoke one of my API tokens")
def revoke_token(token_id: ItemId, caller: CallerDep,
                 request: Request, session: TX) -> Response:
    credential = session.get(Credential, token_id)
    if credential is None or credential.kind != "api" or credential.revoked_at is not None or (
            credential.user_id != caller.user_id and not caller.sees_all):
        raise HTTPException(404, f"no token {token_id}")
    credential.revoked_at = clock_now(request)
    session.commit()
    return Response(status_code=204)


@router.get("/users", response_model=list[sc.UserOut], summary="Every user (administrators)")
def list_users(caller: Admin, session: TX) -> Any:
    return [_user_out(session, u) for u in session.scalars(select(User).order_by(User.username))]


@router.post("/users", response_model=sc.UserOut, status_code=201, summary="Create a user (administrators)")
def add_user(body: sc.UserIn, caller: Admin, session: TX) -> Any:
    try:
        user = create_user(session, body.username, body.password, body.role,
                           display_name=body.display_name,
                           households=_household_ids(session, body.households))
    except AccountError as exc:
        raise HTTPException(422, str(exc)) from None
    session.commit()
    return _user_out(session, user)


@router.patch("/users/{user_id}", response_model=sc.UserOut,
              summary="Change a user's households or disable them (administrators)")
def change_user(user_id: ItemId, body: sc.UserPatch, caller: Admin, session: TX) -> Any:
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(404, f"no user {user_id}")
    if body.households is not None:
        set_households(session, user, _household_ids(session, body.households))
    if body.active is not None:
        user.active = body.active
    session.commit()
    return _user_out(session, user)


@router.get("/audit", response_model=sc.Page[sc.AuditOut], summary="Who viewed or changed what (administrators)")
def audit_log(
    caller: Admin,
    session: TX,
    username: Annotated[str | None, Query(max_length=80)] = None,
    hub: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[sc.Rfc3339 | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Any:
    from web.queries import page

    query = select(AuditEntry)
    if username:
        query = query.where(AuditEntry.actor == username.lower())
    if hub:
        query = query.where(AuditEntry.household_id.in_(select(Household.id).where(Household.hub == hub)))
    if since:
        query = query.where(AuditEntry.at >= since)
    rows, total = page(session, query, [AuditEntry.id.desc()], limit, offset)
    return {"items": [r for (r,) in rows], "total": total, "limit": limit, "offset": offset}
