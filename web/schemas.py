"""Shapes of what the API returns (documented in OpenAPI)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
)

_DATE_START = re.compile(r"\s*\d{4}-")


def _rfc3339(value: Any) -> Any:
    # pydantic would also read "0.5" or "1700000000" as seconds since 1970: not what a caller means
    if isinstance(value, str | int | float) and not (isinstance(value, str) and _DATE_START.match(value)):
        raise ValueError("expected an RFC 3339 date-time, e.g. 2026-01-05T09:00:00Z")
    return value


Rfc3339 = Annotated[datetime, BeforeValidator(_rfc3339)]


class HouseholdOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    hub: str
    name: str
    timezone: str
    status: str
    hub_online: bool | None
    devices: int
    open_alerts: int


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    household_id: int
    hub: str
    kind: str
    severity: str
    status: str
    summary: str
    evidence: dict[str, Any]
    count: int
    opened_at: datetime
    last_seen_at: datetime
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class RejectedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    received_at: datetime
    topic: str
    hub: str | None
    reason: str
    detail: str
    payload_excerpt: str


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    error: ErrorBody


# --------------------------------------------------------------------------- alert actions, care circle
class ActionIn(BaseModel):
    by: str = Field(default="", max_length=120, description="who is acting (defaults to the caller)")
    note: str = Field(default="", max_length=2000)


class ResolveIn(ActionIn):
    outcome: Literal["genuine", "false_alarm", "no_action_needed", "other"]


class NoteIn(ActionIn):
    note: str = Field(min_length=1, max_length=2000)


class TimelineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    note: str


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    alert_id: int | None
    contact_id: int | None
    purpose: str
    step: int | None
    status: str
    channel_index: int
    attempts: int
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str


class AlertDetailOut(BaseModel):
    id: int
    status: str
    kind: str
    severity: str
    summary: str
    outcome: str | None
    acknowledged_by: str | None
    next_step_at: datetime | None
    policy: dict[str, Any] | None
    timeline: list[TimelineOut]
    notifications: list[NotificationOut]


class ContactIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: Literal["responder", "carer", "family", "maintenance"]
    channels: list[str] = Field(min_length=1, max_length=10, description="Apprise URLs, primary first")
    min_severity: Literal["info", "warning", "urgent", "critical"] = "info"
    quiet_hours: str | None = Field(default=None, description="local, e.g. 22:00-07:00")
    daily_summary: bool = False


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    household_id: int
    name: str
    role: str
    channels: list[str]
    min_severity: str
    quiet_start: str | None
    quiet_end: str | None
    daily_summary: bool


class SilenceIn(BaseModel):
    minutes: int = Field(ge=1, le=60 * 24 * 60)
    reason: str = Field(min_length=1, max_length=500)
    author: str = Field(default="", max_length=120, description="defaults to the signed-in user")


class SilenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    household_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str
    author: str


class StepIn(BaseModel):
    roles: list[Literal["responder", "carer", "family", "maintenance"]] = []
    contacts: list[StrictInt] = []
    wait_min: float = Field(default=5, ge=0, le=24 * 60)


class PolicyIn(BaseModel):
    steps: list[StepIn] = Field(min_length=1, max_length=20)
    repeat: int = Field(default=0, ge=0, le=20)
    reminder_min: int = Field(default=30, ge=0, le=24 * 60)


# --------------------------------------------------------------------------- accounts
Username = Field(min_length=2, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")


class MeOut(BaseModel):
    username: str
    display_name: str
    role: Literal["admin", "responder", "family", "installer"]
    households: list[str] = Field(description="hubs of the households this account sees")


class TokenIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "night-shift tablet"}]})

    name: str = Field(min_length=1, max_length=80)


class TokenOut(BaseModel):
    id: int
    name: str
    token: str = Field(description="send as 'Authorization: Bearer <token>'; shown only once")


class TokenInfoOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    created_at: datetime | None
    expires_at: datetime | None


class UserIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "username": "sam.responder", "password": "correct horse battery", "role": "responder",
        "display_name": "Sam (night shift)", "households": ["hub-0001", "hub-0002"]}]})

    username: str = Username
    password: str = Field(min_length=10, max_length=200)
    role: Literal["admin", "responder", "family", "installer"]
    display_name: str = Field(default="", max_length=200)
    households: list[str] = Field(default_factory=list, max_length=10_000)


class UserPatch(BaseModel):
    households: list[str] | None = Field(default=None, max_length=10_000)
    active: StrictBool | None = None


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    households: list[str]
    last_login_at: datetime | None


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    action: str
    method: str
    path: str
    status: int
    household_id: int | None
