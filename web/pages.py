"""Server-rendered pages: sign-in, the responders' console, alert and household pages, the feed.

Forms post back here with the session's CSRF token; every page scopes what it shows exactly as the API
does (same ``web.auth`` helpers, same ``web.feed`` composition). Works without JavaScript; the console's
live queue and nothing else uses it.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import select

from alerts import actions
from alerts.lifecycle import TransitionError
from telecare.account_models import AuditEntry
from telecare.accounts import LoginRefused, Role, authenticate, start_session
from telecare.db import session_scope
from telecare.models import Household
from web import activity, charts, feed
from web.auth import (
    COOKIE,
    AlertId,
    Caller,
    Hub,
    PageCaller,
    alert_or_404,
    check_csrf,
    clock_now,
    household_or_404,
)
from web.care_plan import LONGEST_NIGHT_EXIT_AFTER, MOST_NIGHTS_AWAY_KNOWN
from web.stream import open_queue
from web.wording import kind_label, room_label

HERE = Path(__file__).parent
TEMPLATES = Jinja2Templates(directory=str(HERE / "templates"))
TEMPLATES.env.globals.update(kind_label=kind_label, room_label=room_label)
LOGIN_CSRF = "telecare_login_csrf"
router = APIRouter(include_in_schema=False)


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")


def render(request: Request, name: str, caller: Caller | None, status: int = 200, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, name, {"caller": caller, **context}, status_code=status)


def _secure(request: Request) -> bool:
    return request.app.state.settings.environment == "production"


def _home_for(role: Role) -> str:
    return {Role.FAMILY: "/feed", Role.INSTALLER: "/install"}.get(role, "/console")


def _safe_next(target: str | None) -> str | None:
    # Only a path on this site: never an open redirect to somewhere else.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


# ---------------------------------------------------------------------- signing in and out
@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, error=None, csrf=token, next=_safe_next(next) or "")
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict", secure=_secure(request),
                        max_age=3600)
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF, "")
    if not cookie or not secrets.compare_digest(cookie, csrf_token):
        return render(request, "login.html", None, status=403, csrf=cookie, next=_safe_next(next) or "",
                      error="This sign-in form has expired. Please try again.")
    now = clock_now(request)
    address = request.client.host if request.client else "unknown"
    factory = request.app.state.session_factory
    refused: LoginRefused | None = None
    with session_scope(factory) as session:  # committed either way: a failure is counted
        try:
            user = authenticate(session, username, password, address, now)
        except LoginRefused as exc:
            refused = exc
            session.add(AuditEntry(at=now, user_id=None, actor=username.strip().lower()[:120],
                                   action="login_failed", method="POST", path="/login",
                                   status=exc.status, detail=str(exc)))
        else:
            tokens = start_session(session, user, now)
            session.add(AuditEntry(at=now, user_id=user.id, actor=user.username, action="login",
                                   method="POST", path="/login", status=303, detail=""))
            role = Role(user.role)
    if refused is not None:
        return render(request, "login.html", None, status=refused.status, csrf=cookie,
                      next=_safe_next(next) or "", error=str(refused))
    response = RedirectResponse(_safe_next(next) or _home_for(role), status_code=303)
    response.set_cookie(COOKIE, tokens.token, httponly=True, samesite="strict", secure=_secure(request),
                        max_age=12 * 3600)
    response.delete_cookie(LOGIN_CSRF)
    return response


@router.post("/logout")
def logout(request: Request, caller: PageCaller, csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(caller, csrf_token)
    from telecare.account_models import Credential
    from telecare.accounts import hash_token

    with session_scope(request.app.state.session_factory) as session:
        credential = session.scalar(select(Credential).where(
            Credential.token_hash == hash_token(request.cookies.get(COOKIE, ""))))
        if credential is not None:
            credential.revoked_at = clock_now(request)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/")
def home(caller: PageCaller) -> Response:
    return RedirectResponse(_home_for(caller.role), status_code=303)


# ---------------------------------------------------------------------- responders' console
def _responder(caller: Caller) -> None:
    if caller.role not in (Role.ADMIN, Role.RESPONDER):
        raise HTTPException(403, f"the console is for responders; a {caller.role.value} account "
                                 "cannot open it")


@router.get("/console", response_class=HTMLResponse)
def console(request: Request, caller: PageCaller) -> Response:
    _responder(caller)
    with request.app.state.session_factory() as session:
        queue = open_queue(session, caller)
        households = session.execute(select(Household.hub, Household.name)
                                     .where(caller.scope(Household.id)).order_by(Household.name)).all()
    return render(request, "console.html", caller, queue=queue, households=households)


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(alert_id: AlertId, request: Request, caller: PageCaller) -> Response:
    return _alert_view(alert_id, request, caller)


def _alert_view(alert_id: int, request: Request, caller: Caller, error: str | None = None,
                status: int = 200) -> Response:
    """The alert page; after a refused form, with the reason and the form's status code."""
    if caller.role is Role.INSTALLER:
        raise HTTPException(403, "alerts are for responders and family")
    from web.alerts_api import alert_detail
    from web.feed_api import household_page_data

    now = clock_now(request)
    with session_scope(request.app.state.session_factory) as session:
        alert = alert_or_404(session, caller, alert_id, request)
        household = session.get(Household, alert.household_id)
        detail = alert_detail(alert_id, request, session, caller)
        window = activity.activity_around(session, household, alert.opened_at)
        chart = charts.activity_chart("Activity around the alert", window, alert.opened_at,
                                      ZoneInfo(household.timezone))
        from alerts.care_circle import contacts_of

        circle = contacts_of(session, household.id) if caller.role.may_act_on_alerts else []
        told = {n.contact_id for n in detail["notifications"] if n.status == "sent"}
        page = household_page_data(session, household, caller, now)
        return render(request, "alert.html", caller, status=status, alert=alert, detail=detail,
                      household=household, chart=chart, circle=circle, told=told, state=page["state"],
                      error=error, may_act=caller.role.may_act_on_alerts,
                      outcomes=["genuine", "false_alarm", "no_action_needed", "other"])


def _alert_action(request: Request, caller: Caller, alert_id: int, csrf_token: str, fn, **kw) -> Response:
    check_csrf(caller, csrf_token)
    _responder(caller)
    from web.alerts_api import _after_commit, actor_name

    with session_scope(request.app.state.session_factory) as session:
        alert_or_404(session, caller, alert_id, request)
        try:
            fn(session, alert_id, now=clock_now(request), actor=actor_name(caller), **kw)
            session.commit()
        except TransitionError as exc:
            session.rollback()
            return _alert_view(alert_id, request, caller, error=str(exc), status=409)
    _after_commit(request)
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)


Csrf = Annotated[str, Form(max_length=100)]
Note = Annotated[str, Form(max_length=2000)]


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge_form(alert_id: AlertId, request: Request, caller: PageCaller, csrf_token: Csrf = "",
                     note: Note = "") -> Response:
    return _alert_action(request, caller, alert_id, csrf_token, actions.acknowledge, note=note)


@router.post("/alerts/{alert_id}/note")
def note_form(alert_id: AlertId, request: Request, caller: PageCaller, csrf_token: Csrf = "",
              note: Annotated[str, Form(min_length=1, max_length=2000)] = "") -> Response:
    if not note.strip():
        check_csrf(caller, csrf_token)
        return _alert_view(alert_id, request, caller, error="Write the note first.", status=422)
    return _alert_action(request, caller, alert_id, csrf_token, actions.add_note, note=note)


@router.post("/alerts/{alert_id}/resolve")
def resolve_form(alert_id: AlertId, request: Request, caller: PageCaller, csrf_token: Csrf = "",
                 outcome: Annotated[str, Form(max_length=30)] = "", note: Note = "") -> Response:
    if outcome not in ("genuine", "false_alarm", "no_action_needed", "other"):
        check_csrf(caller, csrf_token)
        return _alert_view(alert_id, request, caller, error="Choose what the alert turned out to be.",
                          status=422)
    return _alert_action(request, caller, alert_id, csrf_token, actions.resolve, outcome=outcome, note=note)


@router.post("/alerts/{alert_id}/silence")
def silence_form(alert_id: AlertId, request: Request, caller: PageCaller, csrf_token: Csrf = "",
                 minutes: Annotated[str, Form(max_length=10)] = "",
                 reason: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Silence this alert and the household's new alerts for a while, with a reason."""
    check_csrf(caller, csrf_token)
    _responder(caller)
    if not minutes.isdigit() or not 1 <= int(minutes) <= 60 * 24 * 14 or not reason.strip():
        return _alert_view(alert_id, request, caller, status=422,
                          error="Give how long to silence for (1 minute to 14 days) and why.")
    from web.alerts_api import actor_name

    now = clock_now(request)
    with session_scope(request.app.state.session_factory) as session:
        alert = alert_or_404(session, caller, alert_id, request)
        household = session.get(Household, alert.household_id)
        actions.silence_household(session, household, now + timedelta(minutes=int(minutes)),
                                  reason.strip(), actor_name(caller), now)
        try:
            actions.silence_alert(session, alert_id, now=now, actor=actor_name(caller),
                                  note=f"silenced for {minutes} min: {reason.strip()}")
        except TransitionError:
            pass  # already closed: the household silence still stands
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)


# ---------------------------------------------------------------------- households and the feed
@router.get("/households", response_class=HTMLResponse)
def households_page(request: Request, caller: PageCaller) -> Response:
    from web.queries import list_households

    with request.app.state.session_factory() as session:
        rows = list_households(session, caller.scope(Household.id))
    return render(request, "households.html", caller, households=rows)


@router.get("/households/{hub}", response_class=HTMLResponse)
def household_page(hub: Hub, request: Request, caller: PageCaller) -> Response:
    return _household_view(hub, request, caller)


def _household_view(hub: str, request: Request, caller: Caller, error: str | None = None,
                    status: int = 200) -> Response:
    from web.feed_api import household_page_data

    with request.app.state.session_factory() as session:
        household = household_or_404(session, caller, hub, request)
        data = household_page_data(session, household, caller, clock_now(request))
    return render(request, "household.html", caller, status=status, h=data, error=error)


@router.post("/households/{hub}/night-exit")
def night_exit_form(hub: Hub, request: Request, caller: PageCaller, csrf_token: Csrf = "",
                    after_minutes: Annotated[str, Form(max_length=10)] = "") -> Response:
    """The care plan's night exit delay; empty: the default."""
    return _care_plan_form(hub, request, caller, csrf_token, after_minutes, "night_exit_after_min",
                           range(LONGEST_NIGHT_EXIT_AFTER + 1), "Night exit: a whole number of minutes")


@router.post("/households/{hub}/nights-away")
def nights_away_form(hub: Hub, request: Request, caller: PageCaller, csrf_token: Csrf = "",
                     nights: Annotated[str, Form(max_length=10)] = "") -> Response:
    """The care plan's nights away before a night out is staying away; empty: the default."""
    return _care_plan_form(hub, request, caller, csrf_token, nights, "nights_away_known",
                           range(1, MOST_NIGHTS_AWAY_KNOWN + 1), "Nights away: a whole number")


def _care_plan_form(hub: str, request: Request, caller: Any, csrf_token: str, text: str, field: str,
                    allowed: range, what: str) -> Response:
    """One care-plan field from the household page: a whole number in ``allowed``, or empty for the default."""
    check_csrf(caller, csrf_token)
    if caller.role not in (Role.ADMIN, Role.RESPONDER):
        raise HTTPException(403, "the care plan is set by responders")
    text = text.strip()
    value = int(text) if text.isascii() and text.isdigit() else None
    if text and value not in allowed:
        return _household_view(hub, request, caller, status=422, error=(
            f"{what} from {allowed[0]} to {allowed[-1]}, or empty for the default."))
    with session_scope(request.app.state.session_factory) as session:
        setattr(household_or_404(session, caller, hub, request), field, value)
    return RedirectResponse(f"/households/{hub}", status_code=303)


@router.get("/feed", response_class=HTMLResponse)
def feed_index(request: Request, caller: PageCaller) -> Response:
    with request.app.state.session_factory() as session:
        hubs = session.execute(select(Household.hub, Household.name).where(caller.scope(Household.id))
                               .order_by(Household.name)).all()
    if len(hubs) == 1:
        return RedirectResponse(f"/feed/{hubs[0].hub}", status_code=303)
    return render(request, "feed_index.html", caller, households=hubs)


@router.get("/feed/{hub}", response_class=HTMLResponse)
def feed_page(hub: Hub, request: Request, caller: PageCaller) -> Response:
    return _feed_view(hub, request, caller)


def _feed_view(hub: str, request: Request, caller: Caller, error: str | None = None,
               status: int = 200) -> Response:
    if caller.role is Role.INSTALLER:
        raise HTTPException(403, "the feed is for family and responders")
    now = clock_now(request)
    with request.app.state.session_factory() as session:
        household = household_or_404(session, caller, hub, request)
        data = feed.feed(session, household, now)
        tz = ZoneInfo(household.timezone)
    timeline = charts.day_timeline_chart("Today by room", data["timeline"]["rooms"],
                                         data["timeline"]["typical"], data["timeline"]["now_bin"])
    trend_charts = [(t["title"], _trend_chart(t)) for t in data["trends"]]
    return render(request, "feed.html", caller, status=status, f=data, timeline=timeline,
                  trends=trend_charts, error=error, tomorrow=(now.astimezone(tz) + timedelta(days=1)).date())


def _trend_chart(trend: dict[str, Any]) -> str:
    from datetime import date

    fmt = {"clock": charts.minutes_to_clock, "count": lambda v: f"{v:.0f}",
           "hours": lambda v: f"{v:.1f} h"}[trend["format"]]
    return charts.trend_chart(trend["title"], [date.fromisoformat(d) for d in trend["days"]],
                              trend["values"], trend["normal_band"], fmt, trend["unit"])


@router.post("/feed/{hub}/away")
def away_form(hub: Hub, request: Request, caller: PageCaller, csrf_token: Csrf = "",
              until: Annotated[str, Form(max_length=20)] = "",
              note: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Away until the end of the chosen day (household-local), e.g. "staying with us until Sunday"."""
    check_csrf(caller, csrf_token)
    if caller.role is Role.INSTALLER:
        raise HTTPException(403, "away mode is set by family and responders")
    now = clock_now(request)
    with session_scope(request.app.state.session_factory) as session:
        household = household_or_404(session, caller, hub, request)
        tz = ZoneInfo(household.timezone)
        try:
            day = datetime.strptime(until, "%Y-%m-%d").date()
        except ValueError:
            day = None
        ends = datetime.combine(day, time(23, 59), tzinfo=tz) if day else None
        if ends is None or ends <= now or ends - now > timedelta(days=90):
            session.rollback()
            return _feed_view(hub, request, caller, status=422,
                             error="Choose the day they will be home: from today up to 90 days ahead.")
        household.away_until, household.away_note = ends, note.strip()
    return RedirectResponse(f"/feed/{hub}", status_code=303)


@router.post("/feed/{hub}/home")
def home_again_form(hub: Hub, request: Request, caller: PageCaller, csrf_token: Csrf = "") -> Response:
    check_csrf(caller, csrf_token)
    if caller.role is Role.INSTALLER:
        raise HTTPException(403, "away mode is set by family and responders")
    with session_scope(request.app.state.session_factory) as session:
        household = household_or_404(session, caller, hub, request)
        household.away_until, household.away_note = None, ""
    return RedirectResponse(f"/feed/{hub}", status_code=303)
