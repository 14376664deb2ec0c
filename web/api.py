"""The JSON API: households, alerts, rejected messages. Every route needs a caller, scoped (``web.auth``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from sqlalchemy import select

from alerts.lifecycle import AlertStatus
from telecare.domain import AlertKind, Severity
from telecare.models import Alert, Household, RejectedMessage
from web import queries
from web.auth import AlertReader, CallerDep, OpsReader
from web.deps import TX, api_router
from web.schemas import AlertOut, HouseholdOut, Page, RejectedOut, Rfc3339

router = api_router("alerts", errors=(401, 403, 422))
DB = TX
Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get("/households", response_model=list[HouseholdOut], summary="Households and their state")
def households(session: DB, caller: CallerDep) -> list[dict]:
    return queries.list_households(session, caller.scope(Household.id))


@router.get(
    "/alerts",
    response_model=Page[AlertOut],
    summary="Alerts, newest first, with filters",
    description="Filters combine with AND; a repeated filter (`?status=triggered&status=acknowledged`) "
    "matches any of its values.",
)
def alerts(
    session: DB,
    caller: AlertReader,
    status: Annotated[list[AlertStatus] | None, Query()] = None,
    kind: Annotated[list[AlertKind] | None, Query()] = None,
    severity: Annotated[list[Severity] | None, Query()] = None,
    hub: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[Rfc3339 | None, Query(description="created at or after (RFC 3339)")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    query = queries.alerts_query(
        status=[s.value for s in status or []],
        kind=[k.value for k in kind or []],
        severity=[s.value for s in severity or []],
        hub=hub,
        since=since,
    ).where(caller.scope(Alert.household_id))
    rows, total = queries.page(session, query, [Alert.created_at.desc(), Alert.id.desc()], limit, offset)
    return {
        "items": [queries.alert_dict(a, h) for a, h in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get(
    "/rejected-messages",
    response_model=Page[RejectedOut],
    summary="Messages the ingester refused, with the reason",
)
def rejected(
    session: DB,
    caller: OpsReader,
    reason: Annotated[str | None, Query(max_length=40)] = None,
    hub: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    query = queries.rejected_query(reason, hub)
    if not caller.sees_all:  # an installer sees what their own hubs sent, nothing else
        query = query.where(RejectedMessage.hub.in_(
            select(Household.hub).where(caller.scope(Household.id))))
    rows, total = queries.page(
        session, query, [RejectedMessage.received_at.desc(), RejectedMessage.id.desc()], limit, offset
    )
    return {"items": [r for (r,) in rows], "total": total, "limit": limit, "offset": offset}
