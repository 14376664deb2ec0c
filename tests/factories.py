"""Test data factories: households, event payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import count

from telecare.domain import DeviceSpec, DeviceType, HouseholdSpec, Room

_hub_numbers = count(1)

STANDARD_DEVICES = (
    DeviceSpec("m-kitchen", DeviceType.MOTION, Room.KITCHEN, "Kitchen ceiling"),
    DeviceSpec("m-bedroom", DeviceType.MOTION, Room.BEDROOM, "Bedroom"),
    DeviceSpec("bed", DeviceType.BED, Room.BEDROOM, "Bed mat"),
    DeviceSpec("door-front", DeviceType.CONTACT, Room.FRONT_DOOR, "Front door"),
    DeviceSpec("btn-help", DeviceType.BUTTON, Room.BEDROOM, "Help button"),
    DeviceSpec("fall", DeviceType.FALL, Room.OTHER, "Fall pendant"),
    DeviceSpec("smoke", DeviceType.SMOKE, Room.KITCHEN, "Smoke alarm"),
    DeviceSpec("leak", DeviceType.WATER_LEAK, Room.BATHROOM, "Leak sensor"),
    DeviceSpec("temp", DeviceType.TEMPERATURE, Room.LIVING_ROOM, "Thermometer"),
)


def household(hub: str | None = None, devices=STANDARD_DEVICES, timezone: str = "UTC") -> HouseholdSpec:
    hub = hub or f"hub-{next(_hub_numbers):03d}"
    return HouseholdSpec(hub=hub, name=f"Test home {hub}", timezone=timezone, devices=tuple(devices))


def payload(ts: datetime, value, seq: int | None = None, **extra) -> bytes:
    body = {"ts": ts.isoformat(), "value": value, **extra}
    if seq is not None:
        body["seq"] = seq
    return json.dumps(body).encode()


def recent(minutes_ago: float = 0) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes_ago)


PASSWORD = "a-long-test-password"


def user(session, username: str, role: str, households=(), display_name: str = ""):
    """A user who may see ``households`` (Household rows or ids); password ``PASSWORD``."""
    from telecare.accounts import create_user

    ids = [h if isinstance(h, int) else h.id for h in households]
    return create_user(session, username, PASSWORD, role, display_name=display_name, households=ids)
