"""Write what hubs say about their devices, in the caller's transaction (never commits).

Announcements on our own contract and Zigbee2MQTT's bridge messages change the home's device list
(a new sensor in pairing mode, a rename, a device that left); Zigbee2MQTT state messages become
events when a state **changes**. The last state is stored with the device in the same transaction as
the events it produced, so a message delivered again after a crash is recognised as a repeat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from ingest import zigbee2mqtt
from ingest.decode import (
    DecodedAnnouncement,
    DecodedBridge,
    DecodedEvent,
    DecodedStatus,
    Rejection,
)
from ingest.registry import KnownDevice
from telecare.households import ID_PATTERN
from telecare.models import Device, Household
from telecare.pairing import (
    PairingError,
    PairingState,
    accept_announcement,
    device_by_key,
    unpair,
)


@dataclass(slots=True)
class BridgeOutcome:
    events: list[DecodedEvent] = field(default_factory=list)
    statuses: list[DecodedStatus] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    hubs_changed: set[str] = field(default_factory=set)  # re-read into the registry after commit
    states: dict[int, tuple[KnownDevice, dict]] = field(default_factory=dict)


def write_bridge_items(
    session: Session, items: Sequence[DecodedAnnouncement | DecodedBridge],
    mapping: zigbee2mqtt.StateMapping,
) -> BridgeOutcome:
    out = BridgeOutcome()
    rows: dict[int, dict] = {}  # device id -> the row's new values, written once per batch
    for item in items:
        try:
            if isinstance(item, DecodedAnnouncement):
                household = session.get(Household, item.hub.household_id)
                accept_announcement(session, household, item.device, item.type, item.model,
                                    item.message.received_at)
                out.hubs_changed.add(item.hub.hub)
            else:
                _bridge(session, item, mapping, out, rows)
        except PairingError as refused:
            out.rejected.append(Rejection(item.message, refused.code, str(refused), item.hub.hub))
    for device_id, values in rows.items():
        session.execute(update(Device).where(Device.id == device_id).values(**values))
    return out


def _bridge(session: Session, item: DecodedBridge, mapping: zigbee2mqtt.StateMapping,
            out: BridgeOutcome, rows: dict[int, dict]) -> None:
    bm, hub, at = item.bridge, item.hub, item.message.received_at
    if bm.kind == "state":
        _state(item, mapping, out, rows)
    elif bm.kind == "availability":
        out.statuses.append(DecodedStatus(item.message, hub, bm.device, bool(bm.online), None, None))
    elif bm.kind == "bridge_state":
        out.statuses.append(DecodedStatus(item.message, hub, None, bool(bm.online), None, None))
    elif bm.kind == "permit_join":
        household = session.get(Household, hub.household_id)
        if bm.status == "ok":
            household.permit_join_until = at + timedelta(seconds=bm.seconds) if bm.seconds else None
            household.bridge_error = ""
        else:
            household.bridge_error = f"Zigbee2MQTT refused to open the network: {bm.detail}"[:300]
    elif bm.kind in ("joined", "interview", "inventory"):
        if bm.kind == "interview" and bm.status == "failed":
            name = bm.entries[0].friendly_name
            raise PairingError("interview_failed", f"{name}: Zigbee2MQTT could not interview the device; "
                               "reset it and pair it again")
        if bm.kind == "interview" and bm.status == "started":
            return
        household = session.get(Household, hub.household_id)
        for entry in bm.entries:
            _joined(session, household, entry, at, quiet=bm.kind == "inventory")
        out.hubs_changed.add(hub.hub)
    elif bm.kind == "leave":
        device = device_by_key(session, hub.household_id, bm.ieee)
        if device is not None and device.pairing != PairingState.UNPAIRED:
            unpair(session, device)  # it left the Zigbee network: out of detection, history kept
            out.hubs_changed.add(hub.hub)


def _joined(session: Session, household: Household, entry: zigbee2mqtt.InventoryEntry, at, *,
            quiet: bool) -> None:
    """A device on the hub's Zigbee network: ours already (renamed?), new in pairing mode, or refused.

    The retained inventory lists every device each time: outside pairing mode its strangers are
    passed over quietly (the join itself was refused and logged when it happened)."""
    if not ID_PATTERN.match(entry.ieee):
        raise PairingError("bad_bridge_event", "the ieee address is not a usable device id")
    device = device_by_key(session, household.id, entry.ieee)
    if device is not None and device.pairing == PairingState.PAIRED:
        device.bridge_name = entry.friendly_name  # a rejoin (new battery) or a rename
        device.model = device.model or entry.model
        return
    try:
        accept_announcement(session, household, entry.ieee, entry.suggested, entry.model, at,
                            bridge_name=entry.friendly_name)
    except PairingError:
        if not quiet:
            raise


def _state(item: DecodedBridge, mapping: zigbee2mqtt.StateMapping, out: BridgeOutcome,
           rows: dict[int, dict]) -> None:
    device, fields, at = item.bridge.device, item.bridge.fields or {}, item.message.received_at
    assert device is not None
    before = out.states[device.id][1] if device.id in out.states else (device.bridge_state or {})
    battery = zigbee2mqtt.int_field(fields, "battery", 0, 100)
    if device.paired:  # a new device's messages set its baseline: nothing is an event before naming
        ts = zigbee2mqtt.event_time(fields, at)
        stamp = int(ts.timestamp() * 1000)
        for name, value in zigbee2mqtt.state_events(device.type, before, fields, mapping):
            out.events.append(DecodedEvent(item.message, item.hub, device, ts, value, None, battery,
                                           f"z{stamp}:{name}"))
    state = {**before, **zigbee2mqtt.remembered(fields)}
    out.states[device.id] = (device, state)
    row = rows.setdefault(device.id, {})
    row.update(bridge_state=state, last_seen_at=at, online=True)
    if battery is not None:
        row["battery"] = battery
    if (lq := zigbee2mqtt.int_field(fields, "linkquality", 0, 255)) is not None:
        row["link_quality"] = lq
