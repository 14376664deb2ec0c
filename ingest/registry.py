"""An in-memory directory of known hubs and devices, read from storage.

Validation runs for every message, so it must not query the database each time. The directory is a
cache: an unknown hub is looked up again (at most once every few seconds per hub, so a flood of junk
cannot hammer the database), which is how a household imported by another process becomes known.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from telecare.domain import DeviceType, Room
from telecare.models import Device, Household

MISS_RETRY_S = 5.0


@dataclass(slots=True)
class KnownDevice:
    id: int
    household_id: int
    key: str
    type: DeviceType
    room: Room
    last_event_at: datetime | None = None
    battery: int | None = None
    # When this process last wrote the device's row: "last seen" is kept to DEVICE_ROW_EVERY.
    row_written_at: datetime | None = None


@dataclass(slots=True)
class KnownHub:
    household_id: int
    hub: str
    timezone: str
    devices: dict[str, KnownDevice] = field(default_factory=dict)


class DeviceRegistry:
    def __init__(self) -> None:
        self._hubs: dict[str, KnownHub] = {}
        self._misses: dict[str, float] = {}
        self._lock = threading.Lock()

    def load_all(self, session: Session) -> None:
        hubs = {h.id: h for h in session.scalars(select(Household))}
        loaded: dict[str, KnownHub] = {
            h.hub: KnownHub(h.id, h.hub, h.timezone) for h in hubs.values()
        }
        for d in session.scalars(select(Device).where(Device.active.is_(True))):
            hub = loaded[hubs[d.household_id].hub]
            hub.devices[d.key] = _known(d)
        with self._lock:
            self._hubs = loaded
            self._misses.clear()

    def refresh_hub(self, session: Session, hub: str) -> KnownHub | None:
        household = session.scalars(select(Household).where(Household.hub == hub)).one_or_none()
        if household is None:
            with self._lock:
                self._hubs.pop(hub, None)
            return None
        known = KnownHub(household.id, household.hub, household.timezone)
        for d in session.scalars(
            select(Device).where(Device.household_id == household.id, Device.active.is_(True))
        ):
            known.devices[d.key] = _known(d)
        with self._lock:
            self._hubs[hub] = known
            self._misses.pop(hub, None)
        return known

    def get(self, hub: str) -> KnownHub | None:
        return self._hubs.get(hub)

    def should_look_up(self, hub: str) -> bool:
        """True when a miss for this hub may go to the database again."""
        now = time.monotonic()
        with self._lock:
            last = self._misses.get(hub)
            if last is not None and now - last < MISS_RETRY_S:
                return False
            self._misses[hub] = now
            return True

    def hubs(self) -> list[KnownHub]:
        return list(self._hubs.values())


def _known(d: Device) -> KnownDevice:
    return KnownDevice(
        d.id, d.household_id, d.key, DeviceType(d.type), Room(d.room), d.last_event_at,
        d.battery, d.last_seen_at,
    )
