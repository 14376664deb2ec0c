"""The installers' API: create a home, pair its sensors, test each one live, take the home live,
and device health across every home the caller looks after."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import HTTPException, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from telecare import pairing
from telecare.account_models import UserHousehold
from telecare.accounts import Role
from telecare.domain import DeviceType, Room
from telecare.households import ID_PATTERN
from telecare.models import Device, Household
from web import device_health
from web.auth import Caller, Hub, OpsReader, clock_now
from web.auth import household_or_404 as _household
from web.deps import TX, api_router

router = api_router("installers")

DeviceKey = Annotated[str, Path(min_length=1, max_length=64, description="the device id")]
REFUSAL_STATUS = {"unknown_device": 404, "hub_taken": 409, "bridge_topic_taken": 409, "already_live": 409,
           "checklist_incomplete": 409, "unpaired": 409, "not_paired": 409}


class HouseholdIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"hub": "hub-0042", "name": "Flat 3, Mill Lane", "timezone": "Europe/London",
         "bridge": "zigbee2mqtt"}]})

    hub: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN.pattern)
    name: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")
    timezone: str = Field(default="UTC", min_length=1, max_length=64)
    bridge: Literal["telecare", "zigbee2mqtt"] = Field(
        default="telecare", description="how the hub speaks: our own MQTT contract or Zigbee2MQTT")
    bridge_topic: str | None = Field(default=None, max_length=120,
                                     description="Zigbee2MQTT base topic (default zigbee2mqtt/<hub>)")
    learning_days: int = Field(default=14, ge=7, le=60)


class PairingIn(BaseModel):
    minutes: int = Field(default=10, ge=1, le=60, description="how long sensors may announce themselves")


class DeviceIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"type": "contact", "room": "front_door", "label": "Front door"}]})

    type: DeviceType
    room: Room
    label: str = Field(default="", max_length=200, pattern=r"^[^\x00]*$")


def _ops(request: Request, e: pairing.PairingError) -> HTTPException:
    return HTTPException(REFUSAL_STATUS.get(e.code, 422), str(e))


def _home(session: Session, caller: Caller, hub: str, request: Request) -> Household:
    return _household(session, caller, hub, request)


def commissioning_data(session: Session, household: Household, now: datetime) -> dict[str, Any]:
    status = pairing.commissioning(session, household, now)
    return {
        "hub": household.hub, "name": household.name, "status": household.status,
        "bridge": household.bridge, "bridge_topic": household.bridge_topic or None,
        "pairing": pairing.is_pairing(household, now), "pairing_until": household.pairing_until,
        "permit_join_until": household.permit_join_until, "bridge_error": household.bridge_error or None,
        "hub_online": household.hub_online, "live_at": household.live_at,
        "devices": [_device(p.device, p.tested_at) for p in status.devices],
        "checklist": [{"code": i.code, "ok": i.ok, "text": i.text} for i in status.checklist],
        "ready": status.ready,
        "refused": [{"at": r.received_at, "reason": r.reason, "detail": r.detail} for r in status.refused],
    }


def _committed(session: Session, household: Household, now: datetime) -> dict[str, Any]:
    """Commit before answering: the audit row is written as the response starts, and on SQLite a
    transaction still open here would hold the one write lock it waits for."""
    session.commit()
    return commissioning_data(session, household, now)


def _device(d: Device, tested_at: datetime | None) -> dict[str, Any]:
    return {
        "device": d.key, "type": d.type, "room": d.room, "label": d.label, "model": d.model,
        "pairing": d.pairing, "bridge_name": d.bridge_name, "announced_at": d.announced_at,
        "last_seen_at": d.last_seen_at, "battery": d.battery, "link_quality": d.link_quality,
        "online": d.online, "test_started_at": d.test_started_at, "tested_at": tested_at,
        "instruction": pairing.live_test_instruction(DeviceType(d.type), Room(d.room))
        if d.pairing == pairing.PairingState.PAIRED else None,
    }


@router.post("/households", status_code=201, summary="Create a household to commission (installers)",
             description="The home starts in `commissioning`: nothing reaches detection until it goes live. "
             "An installer who creates it is linked to it.")
def create_household(body: HouseholdIn, request: Request, session: TX, caller: OpsReader) -> Any:
    try:
        household = pairing.create_household(
            session, body.hub, body.name, body.timezone, bridge=body.bridge,
            bridge_topic=body.bridge_topic, learning_days=body.learning_days,
            reserved_prefix=request.app.state.settings.mqtt_topic_prefix)
    except pairing.PairingError as e:
        raise _ops(request, e) from None
    grant_to_creator(session, caller, household)
    return _committed(session, household, clock_now(request))


def grant_to_creator(session: Session, caller: Caller, household: Household) -> None:
    """The installer (or operator) who created a home may see it from now on; an admin sees all."""
    if caller.user_id is not None and caller.role is not Role.ADMIN:
        session.add(UserHousehold(user_id=caller.user_id, household_id=household.id))


@router.get("/households/{hub}/commissioning", summary="Pairing mode, devices, live tests and the checklist")
def get_commissioning(hub: Hub, request: Request, session: TX, caller: OpsReader) -> Any:
    return commissioning_data(session, _home(session, caller, hub, request), clock_now(request))


@router.post("/households/{hub}/pairing", summary="Start pairing mode for the hub (1-60 minutes)")
def start_pairing(hub: Hub, body: PairingIn, request: Request, session: TX, caller: OpsReader) -> Any:
    household, now = _home(session, caller, hub, request), clock_now(request)
    pairing.start_pairing(session, household, now, timedelta(minutes=body.minutes))
    return _committed(session, household, now)


@router.delete("/households/{hub}/pairing", summary="Stop pairing mode now")
def stop_pairing(hub: Hub, request: Request, session: TX, caller: OpsReader) -> Any:
    household = _home(session, caller, hub, request)
    pairing.stop_pairing(household)
    return _committed(session, household, clock_now(request))


@router.put("/households/{hub}/devices/{device}", summary="Name a device: its type, room and label")
def name_device(hub: Hub, device: DeviceKey, body: DeviceIn, request: Request, session: TX,
                caller: OpsReader) -> Any:
    household = _home(session, caller, hub, request)
    try:
        d = pairing.find_device(session, household, device)
        pairing.name_device(session, d, body.type, body.room, body.label.strip())
    except pairing.PairingError as e:
        raise _ops(request, e) from None
    session.commit()
    return _device(d, None)


@router.post("/households/{hub}/devices/{device}/test", summary="Start a live test of a device",
             description="Returns what to do (\"Open the front door now\"); the next event from the "
             "device marks it tested, shown in the commissioning status within seconds.")
def test_device(hub: Hub, device: DeviceKey, request: Request, session: TX, caller: OpsReader) -> Any:
    household, now = _home(session, caller, hub, request), clock_now(request)
    try:
        d = pairing.find_device(session, household, device)
        instruction = pairing.start_test(d, now)
    except pairing.PairingError as e:
        raise _ops(request, e) from None
    session.commit()
    return {"device": d.key, "instruction": instruction, "test_started_at": now}


@router.delete("/households/{hub}/devices/{device}", summary="Unpair a device (its history is kept)")
def unpair_device(hub: Hub, device: DeviceKey, request: Request, session: TX, caller: OpsReader) -> Any:
    household = _home(session, caller, hub, request)
    try:
        d = pairing.find_device(session, household, device)
    except pairing.PairingError as e:
        raise _ops(request, e) from None
    pairing.unpair(session, d)
    session.commit()
    return _device(d, None)


@router.post("/households/{hub}/go-live", summary="Take the home live: it starts learning",
             description="Refused (409) until every checklist item passes.")
def go_live(hub: Hub, request: Request, session: TX, caller: OpsReader) -> Any:
    household, now = _home(session, caller, hub, request), clock_now(request)
    try:
        pairing.go_live(session, household, now)
    except pairing.PairingError as e:
        raise _ops(request, e) from None
    return _committed(session, household, now)


@router.get("/device-health", summary="Device problems across every home the caller looks after",
            description="Hubs offline, sensors silent far longer than usual, low batteries, weak links.")
def all_device_health(request: Request, session: TX, caller: OpsReader) -> Any:
    return device_health.across_homes(session, caller, clock_now(request))

