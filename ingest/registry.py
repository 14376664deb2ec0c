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
from telecare.pairing import PairingState

# New devices are known too (their events are refused with a reason, a bridge learns their names);
# unpaired ones are forgotten.
_LISTED = Device.pairing.in_([PairingState.NEW, PairingState.PAIRED])

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
    paired: bool = True  # False: announced, not yet named by the installer
    bridge_name: str | None = None  # Zigbee2MQTT friendly name
    bridge_state: dict | None = None  # the last Zigbee2MQTT state stored (only changes are events)


@dataclass(slots=True)
class KnownHub:
    household_id: int
    hub: str
    timezone: str
    devices: dict[str, KnownDevice] = field(default_factory=dict)
    bridge_topic: str = ""  # Zigbee2MQTT base topic, when the hub runs Zigbee2MQTT

    def named(self, bridge_name: str) -> KnownDevice | None:
        """The device with this Zigbee2MQTT friendly name (names may contain '/')."""
        for d in self.devices.values():
            if d.bridge_name == bridge_name:
                return d
        return None


class DeviceRegistry:
    def __init__(self) -> None:
        self._hubs: dict[str, KnownHub] = {}
        self._misses: dict[str, float] = {}
        self._bridges: dict[str, str] = {}  # Zigbee2MQTT base topic -> hub id
        self._lock = threading.Lock()

    def load_all(self, session: Session) -> None:
        hubs = {h.id: h for h in session.scalars(select(Household))}
        loaded: dict[str, KnownHub] = {h.hub: _known_hub(h) for h in hubs.values()}
        for d in session.scalars(select(Device).where(_LISTED)):
            hub = loaded[hubs[d.household_id].hub]
            hub.devices[d.key] = _known(d)
        with self._lock:
            self._hubs = loaded
            self._bridges = {h.bridge_topic: h.hub for h in loaded.values() if h.bridge_topic}
            self._misses.clear()

    def refresh_hub(self, session: Session, hub: str) -> KnownHub | None:
        household = session.scalars(select(Household).where(Household.hub == hub)).one_or_none()
        if household is None:
            with self._lock:
                self._hubs.pop(hub, None)
            return None
        known = _known_hub(household)
        for d in session.scalars(select(Device).where(Device.household_id == household.id, _LISTED)):
            known.devices[d.key] = _known(d)
        with self._lock:
            self._hubs[hub] = known
            self._bridges = {t: h for t, h in self._bridges.items() if h != hub}
            if known.bridge_topic:
                self._bridges[known.bridge_topic] = hub
            self._misses.pop(hub, None)
        return known

    def get(self, hub: str) -> KnownHub | None:
        return self._hubs.get(hub)

    def should_look_up(self, hub: str, every_s: float = MISS_RETRY_S) -> bool:
        """True when a miss for this hub (or another key) may go to the database again."""
        now = time.monotonic()
        with self._lock:
            last = self._misses.get(hub)
            if last is not None and now - last < every_s:
                return False
            self._misses[hub] = now
            return True

    def hubs(self) -> list[KnownHub]:
        return list(self._hubs.values())

    def bridge_of(self, topic: str) -> tuple[KnownHub, str] | None:
        """The hub whose Zigbee2MQTT base topic starts ``topic``, and the rest of the topic.

        Base topics never overlap (``telecare.pairing.check_bridge_topic``), so at most one matches;
        looking up each leading run of levels keeps this independent of the number of homes.
        """
        levels = topic.split("/")
        for i in range(1, len(levels)):
            hub_id = self._bridges.get("/".join(levels[:i]))
            if hub_id is not None and (hub := self._hubs.get(hub_id)) is not None:
                return hub, "/".join(levels[i:])
        return None

    def bridge_topics(self) -> list[str]:
        return list(self._bridges)


def _known_hub(h: Household) -> KnownHub:
    return KnownHub(h.id, h.hub, h.timezone, bridge_topic=h.bridge_topic or "")


def _known(d: Device) -> KnownDevice:
    return KnownDevice(
        d.id, d.household_id, d.key, DeviceType(d.type), Room(d.room), d.last_event_at,
        d.battery, d.last_seen_at, paired=d.pairing == PairingState.PAIRED,
        bridge_name=d.bridge_name, bridge_state=d.bridge_state,
    )
