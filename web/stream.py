"""The live alert queue as server-sent events.

Each connection compares the caller's open alerts with what it already sent, once a second, and sends the
differences: ``alert`` for a new or changed open alert, ``closed`` when one leaves the queue. Diffing
state rather than following a clock means nothing is missed whoever wrote the change (any worker, any
clock), and the browser's EventSource reconnects by itself when the stream ends or breaks.
"""

from __future__ import annotations

import asyncio
import json
import time
from types import SimpleNamespace
from typing import Any

from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts.lifecycle import OPEN_STATUSES
from telecare.models import Alert, Household
from web.auth import AlertReader, Caller
from web.deps import api_router
from web.wording import kind_label

router = api_router("alerts", errors=(401, 403, 422))

SEVERITY_RANK = {"critical": 0, "urgent": 1, "warning": 2, "info": 3}
STREAM_LIFETIME_S = 300.0  # then the browser reconnects: no connection lives for ever


def open_queue(session: Session, caller: Caller, limit: int = 500) -> list[dict[str, Any]]:
    """The caller's open alerts, most severe first, then oldest first (waiting longest)."""
    # The columns ``queue_item`` shows, not whole alerts: loading hundreds of ORM objects (with their
    # JSON evidence) cost more than the query.
    rows = session.execute(
        select(Alert.id, Alert.kind, Alert.severity, Alert.status, Alert.summary, Alert.count,
               Alert.opened_at, Alert.acknowledged_by, Household.hub, Household.name)
        .join(Household, Household.id == Alert.household_id)
        .where(Alert.status.in_([s.value for s in OPEN_STATUSES]), caller.scope(Alert.household_id))
        .order_by(Alert.opened_at)
        .limit(limit)
    ).all()
    items = [queue_item(SimpleNamespace(**r._mapping), r.hub, r.name) for r in rows]
    items.sort(key=lambda i: (SEVERITY_RANK.get(i["severity"], 9), i["opened_at"]))
    return items


def queue_item(alert: Alert, hub: str, household_name: str) -> dict[str, Any]:
    return {
        "id": alert.id, "hub": hub, "household": household_name, "kind": alert.kind,
        "kind_label": kind_label(alert.kind), "severity": alert.severity, "status": alert.status,
        "summary": alert.summary, "count": alert.count,
        "opened_at": alert.opened_at.isoformat(), "acknowledged_by": alert.acknowledged_by,
        "url": f"/alerts/{alert.id}",
    }


def _snapshot(factory: sessionmaker[Session], caller: Caller) -> list[dict[str, Any]]:
    with factory() as session:
        return open_queue(session, caller)


def _frame(event: str, data: dict[str, Any]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@router.get(
    "/alerts/stream",
    summary="Live queue: server-sent events for open alerts",
    description="`event: alert` carries a new or changed open alert (upsert by `id`); `event: closed` "
    "carries `{\"id\"}` of an alert that left the queue. The stream starts with every open alert and "
    "ends after a few minutes; EventSource reconnects by itself.",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def alert_stream(
    request: Request,
    caller: AlertReader,
    poll_s: float = Query(default=1.0, ge=0.2, le=30, description="how often to look for changes"),
) -> StreamingResponse:
    factory = request.app.state.session_factory

    async def frames():
        sent: dict[int, dict[str, Any]] = {}
        ends = time.monotonic() + getattr(request.app.state, "stream_lifetime_s", STREAM_LIFETIME_S)
        yield "retry: 2000\n\n"
        while time.monotonic() < ends and not await request.is_disconnected():
            current = {i["id"]: i for i in await run_in_threadpool(_snapshot, factory, caller)}
            for alert_id, item in current.items():
                if sent.get(alert_id) != item:
                    yield _frame("alert", item)
            for alert_id in sent.keys() - current.keys():
                yield _frame("closed", {"id": alert_id})
            sent = current
            yield ": keep-alive\n\n"
            await asyncio.sleep(max(0.0, min(poll_s, ends - time.monotonic())))

    return StreamingResponse(frames(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
