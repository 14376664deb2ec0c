"""Write one batch of decoded messages in the caller's transaction (this module never commits).

Events go in with ``INSERT ... ON CONFLICT DO NOTHING RETURNING``, so a duplicate (the same device and
dedup key, inside the batch or from an earlier one) is stored once, and the rows that come back are
exactly the new events that detection must see. On PostgreSQL the batch travels as one array per
column (``unnest``): a multi-row VALUES list of 500 rows costs more to parse than to insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from ingest.bridge_writer import write_bridge_items
from ingest.decode import (
    Decoded,
    DecodedAnnouncement,
    DecodedBridge,
    DecodedEvent,
    DecodedStatus,
    Rejection,
)
from ingest.registry import KnownDevice
from ingest.zigbee2mqtt import StateMapping
from telecare.domain import SensorEvent
from telecare.models import Device, Event, Household, RejectedMessage

EXCERPT_CHARS = 200
# A device's row (last seen, last event time) is rewritten at most this often, or when its battery
# level changes: at thousands of events a second, rewriting it for every event would cost more than
# storing the events themselves.
DEVICE_ROW_EVERY = timedelta(seconds=30)

_PG_INSERT_EVENTS = text(
    """
    INSERT INTO events (household_id, device_id, event_time, received_at, value, seq, late, dedup_key)
    SELECT * FROM unnest(
        CAST(:household_id AS integer[]), CAST(:device_id AS integer[]),
        CAST(:event_time AS timestamptz[]), CAST(:received_at AS timestamptz[]),
        CAST(:value AS float8[]), CAST(:seq AS bigint[]), CAST(:late AS boolean[]),
        CAST(:dedup_key AS text[]))
    ON CONFLICT (device_id, dedup_key) DO NOTHING
    RETURNING id, device_id, dedup_key
    """
)
_COLUMNS = ("household_id", "device_id", "event_time", "received_at", "value", "seq", "late", "dedup_key")


@dataclass(frozen=True, slots=True)
class HubStatusChange:
    hub: str
    household_id: int
    online: bool
    at: datetime


@dataclass(slots=True)
class DeviceUpdate:
    known: KnownDevice
    seen_at: datetime
    event_at: datetime | None = None
    battery: int | None = None


@dataclass(slots=True)
class BatchResult:
    stored: list[SensorEvent] = field(default_factory=list)
    duplicates: int = 0
    late: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    hub_status: list[HubStatusChange] = field(default_factory=list)
    devices: dict[int, DeviceUpdate] = field(default_factory=dict)
    device_rows_written: set[int] = field(default_factory=set)
    hubs_changed: set[str] = field(default_factory=set)  # device lists changed: re-read them
    bridge_states: dict[int, tuple[KnownDevice, dict]] = field(default_factory=dict)

    def apply_to_registry(self) -> None:
        """After the commit: what was stored becomes what the next batch compares against."""
        for known, state in self.bridge_states.values():
            known.bridge_state = state
        for u in self.devices.values():
            known = u.known
            if u.event_at is not None and (known.last_event_at is None or u.event_at > known.last_event_at):
                known.last_event_at = u.event_at
            if u.battery is not None:
                known.battery = u.battery
            if known.id in self.device_rows_written:
                known.row_written_at = u.seen_at

    def merge(self, other: BatchResult) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.late += other.late
        self.rejected += other.rejected
        self.hub_status += other.hub_status
        self.devices.update(other.devices)
        self.device_rows_written |= other.device_rows_written
        self.hubs_changed |= other.hubs_changed
        self.bridge_states.update(other.bridge_states)


def write_batch(
    session: Session, batch: Sequence[Decoded], mapping: StateMapping
) -> BatchResult:
    """``mapping``: how Zigbee2MQTT states become events (from the settings)."""
    result = BatchResult()
    events: list[DecodedEvent] = []
    statuses: list[DecodedStatus] = []
    devices_said: list[DecodedAnnouncement | DecodedBridge] = []
    for item in batch:
        if isinstance(item, DecodedEvent):
            events.append(item)
        elif isinstance(item, DecodedStatus):
            statuses.append(item)
        elif isinstance(item, DecodedAnnouncement | DecodedBridge):
            devices_said.append(item)
        else:
            result.rejected.append(item)
    if devices_said:
        said = write_bridge_items(session, devices_said, mapping)
        events += said.events
        statuses += said.statuses
        result.rejected += said.rejected
        result.hubs_changed = said.hubs_changed
        result.bridge_states = said.states
    if events:
        _write_events(session, events, result)
        _write_device_rows(session, result)
    if statuses:
        _write_statuses(session, statuses, result)
    if result.rejected:
        session.execute(sqlite_or_pg_insert(session, RejectedMessage), [_rejection_row(r) for r in result.rejected])
    return result


def sqlite_or_pg_insert(session: Session, model: type):
    from sqlalchemy.dialects import postgresql

    is_pg = session.get_bind().dialect.name == "postgresql"
    return postgresql.insert(model) if is_pg else sqlite.insert(model)


def _write_events(session: Session, events: list[DecodedEvent], result: BatchResult) -> None:
    rows: list[tuple] = []
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
        rows.append((e.device.household_id, e.device.id, e.ts, e.message.received_at, e.value,
                     e.seq, late, e.dedup_key))
    inserted = {(device_id, dedup): event_id for event_id, device_id, dedup in _insert_events(session, rows)}
    result.duplicates = len(events) - len(inserted)

    for e in events:
        key = (e.device.id, e.dedup_key)
        event_id = inserted.pop(key, None)
        if event_id is None:
            continue  # a duplicate (of an earlier batch, or earlier in this one)
        late = late_flags[key]
        result.late += late
        result.stored.append(
            SensorEvent(hub=e.hub.hub, device=e.device.key, device_type=e.device.type,
                        room=e.device.room, ts=e.ts, value=e.value, id=event_id, late=late,
                        battery=e.battery)
        )
        u = result.devices.get(e.device.id)
        if u is None:
            u = result.devices[e.device.id] = DeviceUpdate(e.device, e.message.received_at)
        u.seen_at = max(u.seen_at, e.message.received_at)
        if not late and (u.event_at is None or e.ts > u.event_at):
            u.event_at = e.ts
        if e.battery is not None:
            u.battery = e.battery


def _insert_events(session: Session, rows: list[tuple]) -> list[tuple[int, int, str]]:
    if session.get_bind().dialect.name == "postgresql":
        columns = {name: [row[i] for row in rows] for i, name in enumerate(_COLUMNS)}
        return [tuple(r) for r in session.execute(_PG_INSERT_EVENTS, columns)]
    stmt = (
        sqlite.insert(Event)
        .on_conflict_do_nothing(index_elements=["device_id", "dedup_key"])
        .returning(Event.id, Event.device_id, Event.dedup_key)
    )
    return [tuple(r) for r in session.execute(stmt, [dict(zip(_COLUMNS, row, strict=True)) for row in rows])]


def _write_device_rows(session: Session, result: BatchResult) -> None:
    by_shape: dict[tuple[str, ...], list[dict]] = {}
    for u in result.devices.values():
        k = u.known
        battery_changed = u.battery is not None and u.battery != k.battery
        due = k.row_written_at is None or u.seen_at - k.row_written_at >= DEVICE_ROW_EVERY
        if not (due or battery_changed):
            continue
        row: dict = {"id": k.id, "last_seen_at": u.seen_at}
        if u.event_at is not None and (k.last_event_at is None or u.event_at > k.last_event_at):
            row["last_event_at"] = u.event_at
        if u.battery is not None:
            row["battery"] = u.battery
        result.device_rows_written.add(k.id)
        # ORM bulk UPDATE by primary key needs rows of one shape: group by the keys present.
        by_shape.setdefault(tuple(sorted(row)), []).append(row)
    for rows in by_shape.values():
        session.execute(update(Device), rows)


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
        "payload_excerpt": r.message.payload[: EXCERPT_CHARS * 4]
        .decode("utf-8", errors="replace")[:EXCERPT_CHARS],
    }
