"""Device health for installers and the maintenance team: per device, and across every home.

Only what the equipment says: hubs offline, sensors offline or never heard from, low batteries, weak
Zigbee links, and the open device alerts the detector raised (``device_offline`` when a sensor is
silent far longer than it usually is). Nothing about the person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.lifecycle import OPEN_STATUSES
from detection.device_health import BATTERY_LOW
from telecare.domain import AlertCategory, AlertKind
from telecare.models import Alert, Device, Household
from web.auth import Caller
from web.wording import ago, room_label

WEAK_LINK = 30  # Zigbee link quality (0-255) below which messages start to go missing
DEVICE_KINDS = [k.value for k in AlertKind if k.category is AlertCategory.DEVICE]


def device_problems(d: Device) -> list[str]:
    problems = []
    if d.active and d.online is False:
        problems.append("offline")
    if d.battery is not None and d.battery <= BATTERY_LOW:
        problems.append(f"battery {d.battery}%")
    if d.active and d.last_seen_at is None:
        problems.append("never reported")
    if d.link_quality is not None and d.link_quality < WEAK_LINK:
        problems.append(f"weak link ({d.link_quality})")
    return problems


def device_row(d: Device, now: datetime) -> dict[str, Any]:
    problems = device_problems(d)
    return {"key": d.key, "label": d.label or d.key, "type": d.type, "room": room_label(d.room),
            "active": d.active, "battery": d.battery, "online": d.online, "rssi": d.rssi,
            "link_quality": d.link_quality, "last_seen_at": d.last_seen_at,
            "last_seen": ago(d.last_seen_at, now) if d.last_seen_at else "never",
            "health": "ok" if not problems else ", ".join(problems)}


def across_homes(session: Session, caller: Caller, now: datetime) -> list[dict[str, Any]]:
    """Every home the caller looks after, those with problems first (three queries in all)."""
    homes = list(session.scalars(select(Household).where(caller.scope(Household.id)).order_by(Household.hub)))
    ids = [h.id for h in homes]
    devices: dict[int, list[Device]] = {i: [] for i in ids}
    for d in session.scalars(select(Device).where(Device.household_id.in_(ids), Device.active.is_(True))
                             .order_by(Device.room, Device.key)):
        devices[d.household_id].append(d)
    alerts: dict[int, list[Alert]] = {i: [] for i in ids}
    for a in session.scalars(select(Alert).where(
            Alert.household_id.in_(ids), Alert.kind.in_(DEVICE_KINDS),
            Alert.status.in_([s.value for s in OPEN_STATUSES])).order_by(Alert.opened_at)):
        alerts[a.household_id].append(a)
    out = []
    for h in homes:
        rows = [device_row(d, now) for d in devices[h.id]]
        troubled = [r for r in rows if r["health"] != "ok"]
        problems = len(troubled) + len(alerts[h.id]) + (h.hub_online is False)
        out.append({
            "hub": h.hub, "name": h.name, "status": h.status, "hub_online": h.hub_online,
            "devices": len(rows), "problems": problems, "troubled_devices": troubled,
            "open_alerts": [{"id": a.id, "kind": a.kind, "summary": a.summary, "opened_at": a.opened_at}
                            for a in alerts[h.id]],
        })
    out.sort(key=lambda r: (-r["problems"], r["hub"]))
    return out
