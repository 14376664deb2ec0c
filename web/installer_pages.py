"""The installers' pages: create a home, pair and name its sensors, test each one live, take it live.

Built on the same storage steps as the installers' JSON API (``telecare.pairing``) and the same status
(``web.installer_api.commissioning_data``). Forms post back here with the session's CSRF token, as in
``web.pages``; the pages work without JavaScript, and ``/static/install.js`` only refreshes the live
part of the commissioning page (devices, tests, checklist) while the installer walks round the home.
Administrators and installers only; a home the caller does not look after does not exist (404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from telecare import pairing
from telecare.accounts import Role
from telecare.db import session_scope
from telecare.domain import DeviceType, Room
from telecare.models import Household
from web import device_health
from web.auth import Caller, Hub, PageCaller, check_csrf, clock_now, household_or_404
from web.installer_api import REFUSAL_STATUS, DeviceKey, commissioning_data, grant_to_creator
from web.pages import render
from web.wording import HOUSEHOLD_STATES, room_label

router = APIRouter(include_in_schema=False)

Csrf = Annotated[str, Form(max_length=100)]
Short = Annotated[str, Form(max_length=64)]
BRIDGES = {"telecare": "Our hub (telecare MQTT)", "zigbee2mqtt": "Zigbee2MQTT"}
TYPE_NAMES = {
    "motion": "Motion", "contact": "Door contact", "bed": "Bed pad", "chair": "Chair pad",
    "flush": "Toilet flush", "appliance": "Appliance (on/off)", "power": "Power meter",
    "button": "Help button", "fall": "Fall detector", "temperature": "Thermometer",
    "water_leak": "Leak sensor", "smoke": "Smoke alarm",
}
NEW_HOME = {"hub": "", "name": "", "timezone": "Europe/London", "bridge": "telecare", "bridge_topic": ""}


def _ops(caller: Caller) -> None:
    if caller.role not in (Role.ADMIN, Role.INSTALLER):
        raise HTTPException(403, f"installations are for installers; a {caller.role.value} account "
                                 "cannot open them")


def _refused(e: pairing.PairingError) -> int:
    return REFUSAL_STATUS.get(e.code, 422)  # the same status code as the API gives for the same refusal


def _text(value: str) -> str:
    """Free text as stored: trimmed, without the NUL characters PostgreSQL refuses."""
    return value.replace("\x00", "").strip()


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


# ---------------------------------------------------------------------- the installers' start page
@router.get("/install", response_class=HTMLResponse)
def install_home(request: Request, caller: PageCaller) -> Response:
    _ops(caller)
    return _home_view(request, caller)


def _home_view(request: Request, caller: Caller, form: dict[str, str] | None = None,
               error: str | None = None, status: int = 200) -> Response:
    with request.app.state.session_factory() as session:
        health = device_health.across_homes(session, caller, clock_now(request))
    return render(request, "install_home.html", caller, status=status, health=health, error=error,
                  form=form or NEW_HOME, bridges=BRIDGES, states=HOUSEHOLD_STATES)


@router.post("/install")
def create_home(
    request: Request, caller: PageCaller, csrf_token: Csrf = "", hub: Short = "",
    name: Annotated[str, Form(max_length=200)] = "", timezone: Short = "UTC",
    bridge: Annotated[str, Form(max_length=20)] = "telecare",
    bridge_topic: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    """Create a household to commission; an installer who creates it looks after it from now on."""
    check_csrf(caller, csrf_token)
    _ops(caller)
    form = {"hub": hub.strip(), "name": _text(name), "timezone": timezone.strip() or "UTC",
            "bridge": bridge, "bridge_topic": bridge_topic.strip()}
    problem = _check_new_home(form)
    if problem:
        return _home_view(request, caller, form, problem, 422)
    with session_scope(request.app.state.session_factory) as session:
        try:
            household = pairing.create_household(
                session, form["hub"], form["name"], form["timezone"], bridge=form["bridge"],
                bridge_topic=form["bridge_topic"] or None,
                reserved_prefix=request.app.state.settings.mqtt_topic_prefix)
        except pairing.PairingError as e:
            session.rollback()
            error, status = str(e), _refused(e)
        else:
            grant_to_creator(session, caller, household)
            return RedirectResponse(f"/install/{household.hub}", status_code=303)
    return _home_view(request, caller, form, _sentence(error), status)


def _check_new_home(form: dict[str, str]) -> str | None:
    if not form["hub"]:
        return "Give the hub id printed on the hub."
    if not form["name"]:
        return "Give the household a name, e.g. its address."
    if form["bridge"] not in BRIDGES:
        return "Choose how the hub talks to us."
    if form["bridge"] == "telecare":
        form["bridge_topic"] = ""  # only Zigbee2MQTT homes have one
    return None


# ---------------------------------------------------------------------- commissioning one home
@router.get("/install/{hub}", response_class=HTMLResponse)
def commissioning_page(hub: Hub, request: Request, caller: PageCaller) -> Response:
    _ops(caller)
    return _view(hub, request, caller)


def _view(hub: str, request: Request, caller: Caller, error: str | None = None,
          status: int = 200) -> Response:
    now = clock_now(request)
    with request.app.state.session_factory() as session:
        household = household_or_404(session, caller, hub, request)
        data = commissioning_data(session, household, now)
        tz = ZoneInfo(household.timezone)
    for d in data["devices"]:
        d["testing"] = d["test_started_at"] is not None and d["tested_at"] is None
    return render(
        request, "install.html", caller, status=status, c=data, error=error, now=now,
        state=HOUSEHOLD_STATES.get(data["status"], data["status"]),
        pairing_left=_left(data["pairing_until"], now) if data["pairing"] else None,
        permit_join_left=_left(data["permit_join_until"], now),
        paired=[d for d in data["devices"] if d["pairing"] == pairing.PairingState.PAIRED],
        new=[d for d in data["devices"] if d["pairing"] == pairing.PairingState.NEW],
        clock=lambda t: t.astimezone(tz).strftime("%H:%M:%S"),
        types=TYPE_NAMES, rooms=[(r.value, room_label(r.value)) for r in Room],
        type_name=lambda t: TYPE_NAMES.get(t, t), room_label=room_label,
    )


def _left(until: datetime | None, now: datetime) -> str | None:
    if until is None or until <= now:
        return None
    seconds = int((until - now).total_seconds())
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _step(hub: str, request: Request, caller: Caller, csrf_token: str, step, anchor: str = "") -> Response:
    """Run one commissioning step on the home; a refused step is shown on the page with its status."""
    check_csrf(caller, csrf_token)
    _ops(caller)
    now = clock_now(request)
    with session_scope(request.app.state.session_factory) as session:
        household = household_or_404(session, caller, hub, request)
        try:
            step(session, household, now)
        except pairing.PairingError as e:
            session.rollback()
            error, status = str(e), _refused(e)
        else:
            return RedirectResponse(f"/install/{household.hub}{anchor}", status_code=303)
    return _view(hub, request, caller, error=_sentence(error), status=status)


@router.post("/install/{hub}/pairing")
def pairing_form(hub: Hub, request: Request, caller: PageCaller, csrf_token: Csrf = "",
                 action: Annotated[str, Form(max_length=10)] = "") -> Response:
    def step(session: Any, household: Household, now: datetime) -> None:
        if action == "start":
            pairing.start_pairing(session, household, now, pairing.DEFAULT_PAIRING)
        elif action == "stop":
            pairing.stop_pairing(household)
        else:
            raise pairing.PairingError("bad_action", "choose to start or to stop pairing mode")

    return _step(hub, request, caller, csrf_token, step, "#pairing")


@router.post("/install/{hub}/devices/{device}")
def name_form(hub: Hub, device: DeviceKey, request: Request, caller: PageCaller, csrf_token: Csrf = "",
              type: Annotated[str, Form(max_length=20)] = "",
              room: Annotated[str, Form(max_length=20)] = "",
              label: Annotated[str, Form(max_length=200)] = "") -> Response:
    def step(session: Any, household: Household, now: datetime) -> None:
        try:
            dtype, place = DeviceType(type), Room(room)
        except ValueError:
            raise pairing.PairingError("bad_name", "choose the sensor's type and its room") from None
        pairing.name_device(session, pairing.find_device(session, household, device), dtype, place,
                            _text(label))

    return _step(hub, request, caller, csrf_token, step, f"#dev-{device}")


@router.post("/install/{hub}/devices/{device}/test")
def live_test_form(hub: Hub, device: DeviceKey, request: Request, caller: PageCaller,
                   csrf_token: Csrf = "") -> Response:
    def step(session: Any, household: Household, now: datetime) -> None:
        pairing.start_test(pairing.find_device(session, household, device), now)

    return _step(hub, request, caller, csrf_token, step, f"#dev-{device}")


@router.post("/install/{hub}/devices/{device}/unpair")
def unpair_form(hub: Hub, device: DeviceKey, request: Request, caller: PageCaller,
                csrf_token: Csrf = "") -> Response:
    def step(session: Any, household: Household, now: datetime) -> None:
        pairing.unpair(session, pairing.find_device(session, household, device))

    return _step(hub, request, caller, csrf_token, step, "#devices")


@router.post("/install/{hub}/go-live")
def go_live_form(hub: Hub, request: Request, caller: PageCaller, csrf_token: Csrf = "") -> Response:
    return _step(hub, request, caller, csrf_token, pairing.go_live)

