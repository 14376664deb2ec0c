"""Read-side queries for the API and pages. They take the session and never write."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.orm import Session

from alerts.lifecycle import OPEN_STATUSES
from telecare.models import Alert, Device, Household, RejectedMessage


def list_households(session: Session, where: ColumnElement[bool] | None = None) -> list[dict]:
    devices = (
        select(Device.household_id, func.count().label("n"))
        .where(Device.active.is_(True))
        .group_by(Device.household_id)
        .subquery()
    )
    open_alerts = (
        select(Alert.household_id, func.count().label("n"))
        .where(Alert.status.in_([s.value for s in OPEN_STATUSES]))
        .group_by(Alert.household_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Household,
            func.coalesce(devices.c.n, 0),
            func.coalesce(open_alerts.c.n, 0),
        )
        .outerjoin(devices, devices.c.household_id == Household.id)
        .outerjoin(open_alerts, open_alerts.c.household_id == Household.id)
        .where(where if where is not None else true())
        .order_by(Household.hub)
    ).all()
    return [
        {
            "id": h.id,
            "hub": h.hub,
            "name": h.name,
            "timezone": h.timezone,
            "status": h.status,
            "hub_online": h.hub_online,
            "devices": n_devices,
            "open_alerts": n_open,
        }
        for h, n_devices, n_open in rows
    ]


def alerts_query(
    *,
    status: list[str] | None = None,
    kind: list[str] | None = None,
    severity: list[str] | None = None,
    hub: str | None = None,
    since: datetime | None = None,
) -> Select:
    q = select(Alert, Household.hub).join(Household, Household.id == Alert.household_id)
    if status:
        q = q.where(Alert.status.in_(status))
    if kind:
        q = q.where(Alert.kind.in_(kind))
    if severity:
        q = q.where(Alert.severity.in_(severity))
    if hub:
        q = q.where(Household.hub == hub)
    if since:
        q = q.where(Alert.created_at >= since)
    return q


def page(session: Session, query: Select, order_by: list, limit: int, offset: int) -> tuple[list, int]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.execute(query.order_by(*order_by).limit(limit).offset(offset)).all()
    return rows, total


def alert_dict(alert: Alert, hub: str) -> dict:
    return {
        **{c: getattr(alert, c) for c in (
            "id", "household_id", "kind", "severity", "status", "summary", "evidence", "count",
            "opened_at", "last_seen_at", "closed_at", "created_at", "updated_at",
        )},
        "hub": hub,
    }


def rejected_query(reason: str | None = None, hub: str | None = None) -> Select:
    q = select(RejectedMessage)
    if reason:
        q = q.where(RejectedMessage.reason == reason)
    if hub:
        q = q.where(RejectedMessage.hub == hub)
    return q
