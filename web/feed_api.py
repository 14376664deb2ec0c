"""Households as people see them: the household page, the families' feed, away mode, alert context."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from fastapi import HTTPException, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt
from sqlalchemy.orm import Session

from telecare.accounts import Role
from telecare.models import Household
from web import activity, feed
from web.auth import (
    AlertId,
    AlertReader,
    CallerDep,
    CarePlanManager,
    FeedReader,
    Hub,
    alert_or_404,
    clock_now,
)
from web.auth import household_or_404 as _household
from web.care_plan import LONGEST_NIGHT_EXIT_AFTER, MOST_NIGHTS_AWAY_KNOWN, night_exit, nights_away
from web.deps import TX, api_router

router = api_router("households")

MAX_AWAY = timedelta(days=90)


class AwayIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"until": "2026-11-29T18:00:00+00:00", "note": "Staying with us until Sunday"}]})

    until: AwareDatetime = Field(description="when the person is expected home (with a UTC offset)")
    note: str = Field(default="", max_length=200)


class NightExitIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"after_minutes": 0}]})

    after_minutes: StrictInt = Field(ge=0, le=LONGEST_NIGHT_EXIT_AFTER,
                               description="minutes with nobody seen inside after a door opened at night")


class NightsAwayIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"nights": 1}]})

    nights: StrictInt = Field(ge=1, le=MOST_NIGHTS_AWAY_KNOWN,
                              description="nights away in the learned weeks after which a night out is "
                                          "staying away, not reported as not back")


def household_page_data(session: Session, household: Household, caller: Any, now: datetime) -> dict:
    hstate = feed.state(session, household, now)
    data: dict[str, Any] = {
        "hub": household.hub, "name": household.name, "timezone": household.timezone,
        "state": {"code": hstate.code, "label": hstate.label, "detail": hstate.detail,
                  "learning_progress": hstate.learning_progress},
        "hub_online": household.hub_online,
    }
    if caller.role in (Role.ADMIN, Role.RESPONDER, Role.INSTALLER):
        data["devices"] = feed.devices(session, household, now)
    if caller.role in (Role.ADMIN, Role.RESPONDER):
        data["night_exit"] = night_exit(household)
        data["nights_away"] = nights_away(household)
    if caller.role in (Role.ADMIN, Role.RESPONDER, Role.FAMILY):
        data["recent_alerts"] = [
            {"id": a.id, "kind": a.kind, "severity": a.severity, "status": a.status,
             "summary": a.summary, "opened_at": a.opened_at, "outcome": a.outcome}
            for a in feed.recent_alerts(session, household.id)]
    return data


@router.get("/households/{hub}", summary="One household: state, devices and their health, recent alerts",
            description="Devices are shown to responders, installers and administrators; recent alerts "
            "to responders, family and administrators.")
def household_detail(hub: Hub, request: Request, session: TX, caller: CallerDep) -> Any:
    household = _household(session, caller, hub, request)
    return household_page_data(session, household, caller, clock_now(request))


@router.get("/households/{hub}/feed", summary="The families' reassurance feed for one household",
            description="Status at a glance, last activity, today's summary, today's activity by room "
            "beside a typical day, and four weeks of daily trends with the usual range.")
def household_feed(hub: Hub, request: Request, session: TX, caller: FeedReader) -> Any:
    household = _household(session, caller, hub, request)
    return feed.feed(session, household, clock_now(request))


@router.put("/households/{hub}/away", summary="Set away mode (no absence alerts until then)")
def set_away(hub: Hub, body: AwayIn, request: Request, session: TX, caller: FeedReader) -> Any:
    household = _household(session, caller, hub, request)
    now = clock_now(request)
    if body.until <= now:
        raise HTTPException(422, "until: must be in the future")
    if body.until - now > MAX_AWAY:
        raise HTTPException(422, f"until: away mode lasts at most {MAX_AWAY.days} days")
    household.away_until, household.away_note = body.until, body.note.strip()
    session.commit()
    return {"hub": hub, "away_until": household.away_until, "note": household.away_note}


@router.delete("/households/{hub}/away", summary="End away mode now (home again)")
def end_away(hub: Hub, request: Request, session: TX, caller: FeedReader) -> Any:
    household = _household(session, caller, hub, request)
    household.away_until, household.away_note = None, ""
    session.commit()
    return {"hub": hub, "away_until": None, "note": ""}


@router.put("/households/{hub}/night-exit", summary="Care plan: how soon a night exit is reported",
            description="A door opened at night (23:00-05:00) with nobody seen inside for this many "
            "minutes after it is reported as night wandering. 0 reports it at the first tick after "
            "the door (a resident known to wander); the default is 5.")
def set_night_exit(hub: Hub, body: NightExitIn, request: Request, session: TX, caller: CarePlanManager) -> Any:
    return _set_care_plan(session, caller, hub, request, "night_exit_after_min", body.after_minutes, night_exit)


@router.delete("/households/{hub}/night-exit", summary="Care plan: report night exits after the default delay")
def reset_night_exit(hub: Hub, request: Request, session: TX, caller: CarePlanManager) -> Any:
    return _set_care_plan(session, caller, hub, request, "night_exit_after_min", None, night_exit)


@router.put("/households/{hub}/nights-away", summary="Care plan: nights away before a night out is staying away",
            description="After this many nights away in the last four weeks, a night out is taken as "
            "staying away (a daughter's, a trip) and not reported as not back. The default is 2: the first "
            "two are reported. 1 for a resident away most weekends; 28 reports every night out.")
def set_nights_away(hub: Hub, body: NightsAwayIn, request: Request, session: TX, caller: CarePlanManager) -> Any:
    return _set_care_plan(session, caller, hub, request, "nights_away_known", body.nights, nights_away)


@router.delete("/households/{hub}/nights-away", summary="Care plan: the default nights away before staying away")
def reset_nights_away(hub: Hub, request: Request, session: TX, caller: CarePlanManager) -> Any:
    return _set_care_plan(session, caller, hub, request, "nights_away_known", None, nights_away)


def _set_care_plan(session: Session, caller: Any, hub: str, request: Request, field: str, value: int | None,
                   shown: Callable[[Household], dict]) -> dict:
    """Set one of the home's care-plan fields (None: back to the default); how it now reads."""
    household = _household(session, caller, hub, request)
    setattr(household, field, value)
    session.commit()
    return {"hub": hub, **shown(household)}


@router.get("/alerts/{alert_id}/activity",
            summary="Activity around an alert against the household's usual pattern")
def alert_activity(alert_id: AlertId, request: Request, session: TX, caller: AlertReader) -> Any:
    alert = alert_or_404(session, caller, alert_id, request)
    household = session.get(Household, alert.household_id)
    window = activity.activity_around(session, household, alert.opened_at)
    return {"alert_id": alert.id, "at": alert.opened_at, **asdict(window)}
