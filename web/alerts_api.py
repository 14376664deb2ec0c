"""Alert actions, care circles, silences, escalation policies, the outbox, and one-click links.

``router`` is part of the authenticated API. ``ack_router`` serves the links sent in notifications:
it needs no sign-in because the link itself is the signed, expiring, single-use credential. Its GET
only shows a button (link-preview bots fetch GETs); the POST acknowledges.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import actions, escalation
from alerts.ack_links import AckLinkError, acknowledge_with_link, read_token
from alerts.care_circle import CareCircleError, add_contact, contacts_of
from alerts.lifecycle import TransitionError
from alerts.outbox import enqueue
from telecare.clock import Clock, WallClock
from telecare.db import session_scope
from telecare.models import AlertTimelineEntry, Contact, Notification
from web import schemas as sc
from web.auth import (
    Admin,
    AlertActor,
    AlertId,
    AlertReader,
    Caller,
    CareCircleManager,
    Hub,
    ItemId,
    alert_or_404,
    household_or_404,
)
from web.deps import TX, api_router

router = api_router("alerts")
ack_router = APIRouter(include_in_schema=False)


def problem(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def clock(request: Request) -> Clock:
    return getattr(request.app.state, "clock", None) or WallClock()


def _after_commit(request: Request) -> None:
    wake: Callable[[], None] | None = getattr(request.app.state, "wake_delivery", None)
    if wake:
        wake()




def actor_name(caller: Caller, claimed: str = "") -> str:
    """Who acted, for the timeline: the signed-in user; a name given only by the operations token."""
    return caller.display_name if caller.user_id is not None else (claimed or caller.display_name)


def _act(request: Request, session: Session, caller: Caller, fn: Callable[..., Any], alert_id: int,
         **kw: Any):
    alert_or_404(session, caller, alert_id, request)
    try:
        fn(session, alert_id, now=clock(request).now(), **kw)
    except actions.AlertNotFound as exc:
        return problem(404, "not_found", str(exc))
    except TransitionError as exc:
        session.rollback()
        return problem(409, "invalid_transition", str(exc))
    session.commit()
    _after_commit(request)
    return alert_detail(alert_id, request, session, caller)


@router.get("/alerts/{alert_id}", response_model=sc.AlertDetailOut, summary="One alert with its timeline")
def alert_detail(alert_id: AlertId, request: Request, session: TX, caller: AlertReader) -> Any:
    alert = alert_or_404(session, caller, alert_id, request)
    timeline = session.scalars(select(AlertTimelineEntry).where(AlertTimelineEntry.alert_id == alert_id)
                               .order_by(AlertTimelineEntry.id)).all()
    notes = session.scalars(select(Notification).where(Notification.alert_id == alert_id)
                            .order_by(Notification.id)).all()
    return {**{k: getattr(alert, k) for k in ("id", "status", "kind", "severity", "summary", "outcome",
                                               "acknowledged_by", "next_step_at", "policy")},
            "timeline": timeline, "notifications": notes}


@router.post("/alerts/{alert_id}/acknowledge", response_model=sc.AlertDetailOut,
             summary="I'm on it: stops the escalation")
def acknowledge(alert_id: AlertId, body: sc.ActionIn, request: Request, session: TX,
                caller: AlertActor) -> Any:
    return _act(request, session, caller, actions.acknowledge, alert_id,
                actor=actor_name(caller, body.by), note=body.note)


@router.post("/alerts/{alert_id}/resolve", response_model=sc.AlertDetailOut,
             summary="Close the alert with an outcome")
def resolve(alert_id: AlertId, body: sc.ResolveIn, request: Request, session: TX,
            caller: AlertActor) -> Any:
    return _act(request, session, caller, actions.resolve, alert_id,
                actor=actor_name(caller, body.by), outcome=body.outcome, note=body.note)


@router.post("/alerts/{alert_id}/notes", response_model=sc.AlertDetailOut, summary="Add a note")
def note(alert_id: AlertId, body: sc.NoteIn, request: Request, session: TX, caller: AlertActor) -> Any:
    return _act(request, session, caller, actions.add_note, alert_id,
                actor=actor_name(caller, body.by), note=body.note)


@router.post("/alerts/{alert_id}/silence", response_model=sc.AlertDetailOut,
             summary="Stop notifying about this alert (kept, as silenced)")
def silence(alert_id: AlertId, body: sc.ActionIn, request: Request, session: TX,
            caller: AlertActor) -> Any:
    return _act(request, session, caller, actions.silence_alert, alert_id,
                actor=actor_name(caller, body.by), note=body.note)


@router.get("/notifications", response_model=list[sc.NotificationOut],
            summary="The outbox: filter by status (failed ones are problems to look at)")
def notifications(session: TX, caller: AlertActor,
                  status: Annotated[str | None, Query(max_length=20)] = None,
                  alert_id: Annotated[int | None, Query(ge=1, le=2**62)] = None) -> Any:
    q = (select(Notification).where(caller.scope(Notification.household_id))
         .order_by(Notification.id.desc()).limit(500))
    if status:
        q = q.where(Notification.status == status)
    if alert_id is not None:
        q = q.where(Notification.alert_id == alert_id)
    return session.scalars(q).all()


# ---------------------------------------------------------------- care circle, silences, policies
@router.get("/households/{hub}/contacts", response_model=list[sc.ContactOut])
def list_contacts(hub: Hub, request: Request, session: TX, caller: CareCircleManager) -> Any:
    return contacts_of(session, household_or_404(session, caller, hub, request).id)


@router.post("/households/{hub}/contacts", response_model=sc.ContactOut, status_code=201)
def create_contact(hub: Hub, body: sc.ContactIn, request: Request, session: TX,
                   caller: CareCircleManager) -> Any:
    household = household_or_404(session, caller, hub, request)
    try:
        contact = add_contact(session, household, body.name, body.role,
                              body.channels, body.min_severity, body.quiet_hours, body.daily_summary)
        session.commit()  # visible before the response is sent
        return contact
    except CareCircleError as exc:
        return problem(422, "invalid_contact", str(exc))


@router.delete("/contacts/{contact_id}", status_code=204, response_class=Response)
def remove_contact(contact_id: ItemId, session: TX, caller: CareCircleManager) -> Response:
    contact = _contact_or_404(session, caller, contact_id)
    session.delete(contact)
    session.commit()
    return Response(status_code=204)


@router.post("/contacts/{contact_id}/test", response_model=sc.NotificationOut, status_code=202,
             summary="Send a test message through the contact's channels (via the outbox)")
def test_contact(contact_id: ItemId, request: Request, session: TX, caller: CareCircleManager) -> Any:
    import uuid

    contact = _contact_or_404(session, caller, contact_id)
    row = enqueue(session, key=f"test-{uuid.uuid4().hex}", contact=contact, purpose="test",
                  title="Telecare test message", now=clock(request).now(),
                  body=f"Hello {contact.name}, this is a test: alerts will reach you here.")
    session.commit()
    _after_commit(request)
    return row


@router.post("/households/{hub}/silences", response_model=sc.SilenceOut, status_code=201,
             summary="Silence a household for a while (alerts recorded, not notified)")
def create_silence(hub: Hub, body: sc.SilenceIn, request: Request, session: TX,
                   caller: AlertActor) -> Any:
    now = clock(request).now()
    household = household_or_404(session, caller, hub, request)
    silence = actions.silence_household(session, household, now + timedelta(minutes=body.minutes),
                                        body.reason, actor_name(caller, body.author), now)
    session.commit()
    return silence


@router.put("/households/{hub}/escalation-policy", summary="Override the escalation policy")
def put_household_policy(hub: Hub, body: sc.PolicyIn, request: Request, session: TX,
                         caller: CareCircleManager) -> Any:
    household = household_or_404(session, caller, hub, request)
    return _put_policy(session, household.id, body)


@router.put("/escalation-policy", summary="Set the default escalation policy")
def put_default_policy(body: sc.PolicyIn, session: TX, caller: Admin) -> Any:
    return _put_policy(session, None, body)


def _put_policy(session: Session, household_id: int | None, body: sc.PolicyIn) -> Any:
    try:
        policy = escalation.validate_policy([s.model_dump() for s in body.steps], body.repeat,
                                            body.reminder_min)
    except ValueError as exc:
        return problem(422, "invalid_policy", str(exc))
    escalation.set_policy(session, household_id, policy)
    session.commit()
    return policy


def _contact_or_404(session: Session, caller: Caller, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or not caller.can_see(contact.household_id):
        raise HTTPException(404, f"no contact {contact_id}")
    return contact


# ---------------------------------------------------------------- one-click links
def _page(title: str, message: str, status: int, button: bool = False) -> HTMLResponse:
    form = ('<form method="post"><button type="submit">Acknowledge: I\'m on it</button></form>'
            if button else "")
    return HTMLResponse(f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}"
                        f"</h1><p>{html.escape(message)}</p>{form}", status_code=status)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@ack_router.get("/ack/{token}")
def ack_page(token: str, request: Request) -> Any:
    secret = request.app.state.settings.secret_key.get_secret_value()
    try:
        claims = read_token(secret, token, clock(request).now())
    except AckLinkError as exc:
        return _page("Link refused", str(exc), exc.status)
    return _page(f"Alert {claims.alert_id}", "Press the button to tell the others you are on it.", 200,
                 button=True)


@ack_router.post("/ack/{token}")
def ack_with_link(token: str, request: Request) -> Any:
    secret = request.app.state.settings.secret_key.get_secret_value()
    try:
        with session_scope(request.app.state.session_factory) as session:
            alert = acknowledge_with_link(session, secret, token, clock(request).now())
            alert_id, by = alert.id, alert.acknowledged_by
    except AckLinkError as exc:
        if _wants_json(request):
            return problem(exc.status, exc.code, str(exc))
        return _page("Link refused", str(exc), exc.status)
    if _wants_json(request):
        return {"alert_id": alert_id, "status": "acknowledged", "acknowledged_by": by}
    return _page("Acknowledged", f"Thank you, {by}: the others know you are on it.", 200)
