"""Write one batch of decoded messages in the caller's transaction (this module never commits).

Events go in with ``INSERT ... ON CONFLICT DO NOTHING RETURNING``, so a duplicate (the same device and
dedup key, inside the batch or from an earlier one) is stored once, and the rows that come back are
exactly the new events that detection must see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ingest.decode import Decoded, DecodedEvent, DecodedStatus, Rejection
from ingest.registry import KnownDevice
from telecare.domain import SensorEvent
from telecare.models import Device, Event, Household, RejectedMessage

EXCERPT_CHARS = 200


@dataclass(frozen=True, slots=True)
class HubStatusChange:
    hub: str
    household_id: int
    online: bool
    at: datetime


@dataclass(slots=True)
class BatchResult:
    stored: list[SensorEvent] = field(default_factory=list)
    duplicates: int = 0
    late: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    hub_status: list[HubStatusChange] = field(default_factory=list)
    # device -> newest event time, applied to the registry once the batch is committed
    device_times: dict[int, tuple[KnownDevice, datetime]] = field(default_factory=dict)

    def apply_to_registry(self) -> None:
        for known, ts in self.device_times.values():
            if known.last_event_at is None or ts > known.last_event_at:
                known.last_event_at = ts


def write_batch(session: Session, batch: Sequence[Decoded]) -> BatchResult:
    result = BatchResult()
    events: list[DecodedEvent] = []
    statuses: list[DecodedStatus] = []
    for item in batch:
        if isinstance(item, DecodedEvent):
            events.append(item)
        elif isinstance(item, DecodedStatus):
            statuses.append(item)
        else:
            result.rejected.append(item)
    if events:
        _write_events(session, events, result)
    if statuses:
        _write_statuses(session, statuses, result)
    if result.rejected:
        session.execute(
            _insert_for(session, RejectedMessage),
            [_rejection_row(r) for r in result.rejected],
        )
    return result


def _insert_for(session: Session, model: type) -> object:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model))


def _write_events(session: Session, events: list[DecodedEvent], result: BatchResult) -> None:
    rows: list[dict] = []
    seen: set[tuple[int, str]] = set()
    newest: dict[int, datetime | None] = {}
    late_flags: dict[tuple[int, str], bool] = {}
    for e in events:
        key = (e.device.id, e.dedup_key)
        if key in seen:
            continue
        seen.add(key)
        prior = newest.get(e.device.id, e.device.last_event_at)
        late = prior is not None and e.ts < prior
        if not late:
            newest[e.device.id] = e.ts
        late_flags[key] = late
        rows.append(
            {
                "household_id": e.device.household_id,
                "device_id": e.device.id,
                "event_time": e.ts,
                "received_at": e.message.received_at,
                "value": e.value,
                "seq": e.seq,
                "late": late,
                "dedup_key": e.dedup_key,
            }
        )
    stmt = (
        _insert_for(session, Event)
        .on_conflict_do_nothing(index_elements=["device_id", "dedup_key"])
        .returning(Event.id, Event.device_id, Event.dedup_key)
    )
    inserted = {(r.device_id, r.dedup_key): r.id for r in session.execute(stmt, rows)}
    result.duplicates = len(events) - len(inserted)

    device_rows: dict[int, dict] = {}
    for e in events:
        key = (e.device.id, e.dedup_key)
        event_id = inserted.pop(key, None)
        if event_id is None:
            continue  # a duplicate (of an earlier batch, or earlier in this one)
        late = late_flags[key]
        result.late += late
        result.stored.append(
            SensorEvent(
                hub=e.hub.hub,
                device=e.device.key,
                device_type=e.device.type,
                room=e.device.room,
                ts=e.ts,
                value=e.value,
                id=event_id,
                late=late,
            )
        )
        row = device_rows.setdefault(e.device.id, {"id": e.device.id, "last_seen_at": None})
        row["last_seen_at"] = max(filter(None, (row["last_seen_at"], e.message.received_at)))
        if not late:
            result.device_times[e.device.id] = (e.device, e.ts)
        if e.battery is not None:
            row["battery"] = e.battery
    for device_id, (_known, ts) in result.device_times.items():
        device_rows[device_id]["last_event_at"] = ts
    # ORM bulk UPDATE by primary key needs rows of one shape: group by the keys present.
    by_shape: dict[tuple[str, ...], list[dict]] = {}
    for row in device_rows.values():
        by_shape.setdefault(tuple(sorted(row)), []).append(row)
    for rows_of_shape in by_shape.values():
        session.execute(update(Device), rows_of_shape)


def _write_statuses(session: Session, statuses: list[DecodedStatus], result: BatchResult) -> None:
    for s in statuses:
        at = s.message.received_at
        if s.device is None:
            session.execute(
                update(Household)
                .where(Household.id == s.hub.household_id)
                .values(hub_online=s.online, hub_status_at=at)
            )
            result.hub_status.append(HubStatusChange(s.hub.hub, s.hub.household_id, s.online, at))
        else:
            values: dict = {"online": s.online, "last_seen_at": at}
            if s.battery is not None:
                values["battery"] = s.battery
            if s.rssi is not None:
                values["rssi"] = s.rssi
            session.execute(update(Device).where(Device.id == s.device.id).values(**values))


def _rejection_row(r: Rejection) -> dict:
    return {
        "received_at": r.message.received_at,
        "topic": r.message.topic[:300],
        "hub": r.hub[:64] if r.hub else None,
        "reason": r.reason,
        "detail": r.detail[:500],
        "payload_excerpt": r.message.payload[:EXCERPT_CHARS * 4]
        .decode("utf-8", errors="replace")[:EXCERPT_CHARS],
    }
