"""Household files (the home's description) and the storage functions for homes and devices.

Storage functions take the session and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from telecare.domain import DeviceSpec, DeviceType, HouseholdSpec, Room
from telecare.models import Device, Household

# Hub and device ids appear in MQTT topics: no wildcards, no separators, nothing that needs escaping.
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


class HouseholdFileError(ValueError):
    """A household file that cannot be loaded; the message says where and why."""


def parse_household(data: Any) -> HouseholdSpec:
    if not isinstance(data, dict):
        raise HouseholdFileError("a household file is a JSON object")
    hub = data.get("hub")
    if not isinstance(hub, str) or not ID_PATTERN.match(hub):
        raise HouseholdFileError(f"'hub' must be an id of letters, digits, '_.:-' (got {hub!r})")
    name = data.get("name") or hub
    if not isinstance(name, str) or len(name) > 200:
        raise HouseholdFileError("'name' must be a string of at most 200 characters")
    tz = data.get("timezone", "UTC")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise HouseholdFileError(f"unknown timezone {tz!r}") from exc
    raw_devices = data.get("devices")
    if not isinstance(raw_devices, list):
        raise HouseholdFileError("'devices' must be a list")
    devices: list[DeviceSpec] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_devices):
        where = f"devices[{i}]"
        if not isinstance(raw, dict):
            raise HouseholdFileError(f"{where} must be an object")
        dev_id = raw.get("id")
        if not isinstance(dev_id, str) or not ID_PATTERN.match(dev_id):
            raise HouseholdFileError(f"{where}.id must be an id of letters, digits, '_.:-'")
        if dev_id in seen:
            raise HouseholdFileError(f"{where}.id {dev_id!r} appears twice")
        seen.add(dev_id)
        try:
            dtype = DeviceType(raw.get("type"))
        except ValueError as exc:
            raise HouseholdFileError(
                f"{where}.type {raw.get('type')!r} is not one of {', '.join(DeviceType)}"
            ) from exc
        try:
            room = Room(raw.get("room", "other"))
        except ValueError as exc:
            raise HouseholdFileError(
                f"{where}.room {raw.get('room')!r} is not one of {', '.join(Room)}"
            ) from exc
        label = raw.get("label", "")
        if not isinstance(label, str):
            raise HouseholdFileError(f"{where}.label must be a string")
        devices.append(DeviceSpec(dev_id, dtype, room, label[:200]))
    return HouseholdSpec(hub=hub, name=name, timezone=tz, devices=tuple(devices))


def load_household_file(path: str | Path) -> HouseholdSpec:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise HouseholdFileError(f"{path}: not valid JSON ({exc})") from exc
    try:
        return parse_household(data)
    except HouseholdFileError as exc:
        raise HouseholdFileError(f"{path}: {exc}") from exc


def household_to_dict(spec: HouseholdSpec) -> dict[str, Any]:
    return {
        "hub": spec.hub,
        "name": spec.name,
        "timezone": spec.timezone,
        "devices": [
            {"id": d.id, "type": str(d.type), "room": str(d.room), "label": d.label}
            for d in spec.devices
        ],
    }


def upsert_household(session: Session, spec: HouseholdSpec) -> tuple[Household, bool]:
    """Create the household or bring its name, timezone and devices in line with the file.

    Devices missing from the file are deactivated, not deleted: their history stays.
    Returns the household and whether it was created.
    """
    household = session.scalars(select(Household).where(Household.hub == spec.hub)).one_or_none()
    created = household is None
    if household is None:
        household = Household(hub=spec.hub, name=spec.name, timezone=spec.timezone, status="learning")
        session.add(household)
        session.flush()
    else:
        household.name = spec.name
        household.timezone = spec.timezone
    existing = {
        d.key: d
        for d in session.scalars(select(Device).where(Device.household_id == household.id))
    }
    for dspec in spec.devices:
        device = existing.pop(dspec.id, None)
        if device is None:
            session.add(
                Device(
                    household_id=household.id,
                    key=dspec.id,
                    type=str(dspec.type),
                    room=str(dspec.room),
                    label=dspec.label,
                )
            )
        else:
            device.type, device.room, device.label, device.active = (
                str(dspec.type),
                str(dspec.room),
                dspec.label,
                True,
            )
    for leftover in existing.values():
        leftover.active = False
    session.flush()
    return household, created


def get_household_by_hub(session: Session, hub: str) -> Household | None:
    return session.scalars(select(Household).where(Household.hub == hub)).one_or_none()


def household_ids(session: Session, hubs: Iterable[str]) -> list[int]:
    """The ids of the households with these hubs; ``LookupError`` naming any that do not exist."""
    wanted = set(hubs)
    found = dict(session.execute(select(Household.hub, Household.id).where(Household.hub.in_(wanted))).all())
    missing = sorted(wanted - set(found))
    if missing:
        raise LookupError(f"no such households: {', '.join(missing)}")
    return list(found.values())
