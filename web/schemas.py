"""Shapes of what the API returns (documented in OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict


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
