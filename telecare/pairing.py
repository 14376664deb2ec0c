"""Commissioning a home: pairing mode, naming new sensors, live tests, the checklist, going live.

An installer creates the household (status ``commissioning``), opens pairing mode for a limited time,
names each sensor that announces itself (type, room, label), tests it live ("open the front door
now": the next event from it marks it tested), and takes the home live once the checklist passes.
Going live starts the learning period; nothing a commissioning home does reaches detection.

Storage functions: they take the session and never commit; the caller owns the transaction. Every
piece of state lives in the households and devices rows, so any worker can serve any step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from detection.device_health import BATTERY_LOW
from telecare.domain import DeviceType, HouseholdStatus, Room
from telecare.households import ID_PATTERN
from telecare.models import Device, Event, Household, RejectedMessage, utcnow

MAX_PAIRING = timedelta(minutes=60)
DEFAULT_PAIRING = timedelta(minutes=10)
BRIDGES = ("telecare", "zigbee2mqtt")
ZIGBEE2MQTT_ROOT = "zigbee2mqtt"  # Zigbee2MQTT's own default base topic; one subtree per hub below it
_TOPIC_LEVEL = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class PairingError(ValueError):
    """A step that cannot be taken as asked; ``code`` is stable, the message says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class PairingState:
    NEW = "new"  # announced, waiting for the installer to name it: its events are refused
    PAIRED = "paired"
    UNPAIRED = "unpaired"  # out of detection; its history stays


# --------------------------------------------------------------------------- creating a home
def default_bridge_topic(hub: str) -> str:
    return f"{ZIGBEE2MQTT_ROOT}/{hub}"


def create_household(
    session: Session, hub: str, name: str, timezone: str, *, bridge: str = "telecare",
    bridge_topic: str | None = None, learning_days: int = 14, reserved_prefix: str = "telecare",
) -> Household:
    if not ID_PATTERN.match(hub):
        raise PairingError("bad_hub", "the hub id must be letters, digits and '_.:-' (at most 64)")
    if not name.strip():
        raise PairingError("bad_name", "the home needs a name")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise PairingError("bad_timezone", f"unknown time zone {timezone!r}") from None
    if not 7 <= learning_days <= 60:
        raise PairingError("bad_learning_days", "learning days must be from 7 to 60")
    if session.scalars(select(Household.id).where(Household.hub == hub)).first() is not None:
        raise PairingError("hub_taken", f"a household with hub {hub!r} already exists")
    if bridge not in BRIDGES:
        raise PairingError("bad_bridge", f"bridge must be one of {', '.join(BRIDGES)}")
    topic = ""
    if bridge == "zigbee2mqtt":
        topic = check_bridge_topic(session, bridge_topic or default_bridge_topic(hub), reserved_prefix)
    household = Household(
        hub=hub, name=name, timezone=timezone, status=HouseholdStatus.COMMISSIONING.value,
        bridge=bridge, bridge_topic=topic, learning_days=learning_days,
    )
    devices_changed(household)  # every ingest worker reads the new home (and subscribes to its bridge)
    session.add(household)
    session.flush()
    return household


def check_bridge_topic(session: Session, topic: str, reserved_prefix: str = "telecare") -> str:
    """A Zigbee2MQTT base topic this service can tell apart from every other home's."""
    levels = topic.split("/")
    if not all(_TOPIC_LEVEL.match(level) for level in levels) or len(topic) > 120:
        raise PairingError("bad_bridge_topic", "the base topic is 1-120 characters of topic levels "
                           "made of letters, digits and '_.:-', separated by '/'")
    if levels[0] == reserved_prefix:
        raise PairingError("bad_bridge_topic", f"the base topic must not be under {reserved_prefix}/, "
                           "which is the hubs' own contract")
    for other in session.scalars(select(Household.bridge_topic).where(Household.bridge_topic != "")):
        if _overlaps(topic, other):
            raise PairingError("bridge_topic_taken", f"the base topic overlaps another home's ({other})")
    return topic


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


# --------------------------------------------------------------------------- pairing mode
def start_pairing(session: Session, household: Household, now: datetime,
                  duration: timedelta = DEFAULT_PAIRING) -> datetime:
    if not timedelta(minutes=1) <= duration <= MAX_PAIRING:
        raise PairingError("bad_duration", "pairing mode lasts from 1 to 60 minutes")
    household.pairing_until = now + duration
    household.bridge_error = ""
    return household.pairing_until


def stop_pairing(household: Household) -> None:
    household.pairing_until = None


def is_pairing(household: Household, now: datetime) -> bool:
    return household.pairing_until is not None and household.pairing_until > now


def accept_announcement(
    session: Session, household: Household, key: str, dtype: DeviceType | None, model: str,
    now: datetime, *, bridge_name: str | None = None,
) -> Device:
    """A sensor announced itself: refused outside pairing mode, else listed as new.

    A device that was unpaired comes back as new (its history is kept); a paired one stays as it is.
    """
    if not is_pairing(household, now):
        raise PairingError("not_pairing", "pairing mode is off for this hub: start pairing first")
    device = device_by_key(session, household.id, key)
    if device is None:
        device = Device(household_id=household.id, key=key, type=(dtype or DeviceType.MOTION).value,
                        room=Room.OTHER.value, label="", active=False, pairing=PairingState.NEW)
        session.add(device)
    elif device.pairing == PairingState.UNPAIRED:
        device.pairing = PairingState.NEW
    if device.pairing == PairingState.NEW and dtype is not None:
        device.type = dtype.value
    device.model = model[:100] or device.model
    device.announced_at = now
    if bridge_name is not None:
        device.bridge_name = bridge_name
    devices_changed(household)
    session.flush()
    return device


def devices_changed(household: Household) -> None:
    """Mark the home's device list as changed, for every ingest worker's directory (wall clock:
    it orders changes between processes, it is not an event time)."""
    household.devices_changed_at = utcnow()


# --------------------------------------------------------------------------- each device
def device_by_key(session: Session, household_id: int, key: str) -> Device | None:
    return session.scalars(
        select(Device).where(Device.household_id == household_id, Device.key == key)
    ).one_or_none()


def find_device(session: Session, household: Household, key: str) -> Device:
    device = device_by_key(session, household.id, key)
    if device is None:
        raise PairingError("unknown_device", f"no device {key!r} in this home")
    return device


def name_device(session: Session, device: Device, dtype: DeviceType, room: Room, label: str) -> None:
    """Name a new (or re-name a paired) device: it becomes part of the home and of detection."""
    if device.pairing == PairingState.UNPAIRED:
        raise PairingError("unpaired", "this device was unpaired: it must announce itself again")
    if (device.type, device.room) != (dtype.value, room.value):
        device.test_started_at = None  # a test in another room or as another type proves nothing
    device.type, device.room, device.label = dtype.value, room.value, label[:200]
    device.pairing = PairingState.PAIRED
    device.active = True
    devices_changed(session.get(Household, device.household_id))


def start_test(device: Device, now: datetime) -> str:
    """Ask for a live test: the next event from the device marks it tested. Returns what to do."""
    if device.pairing != PairingState.PAIRED:
        raise PairingError("not_paired", "name the device (type and room) before testing it")
    device.test_started_at = now
    return live_test_instruction(DeviceType(device.type), Room(device.room))


def unpair(session: Session, device: Device) -> None:
    device.pairing = PairingState.UNPAIRED
    device.active = False
    device.test_started_at = None
    devices_changed(session.get(Household, device.household_id))


_INSTRUCTIONS = {
    DeviceType.MOTION: "Walk into the {room} now",
    DeviceType.BED: "Sit on the bed now",
    DeviceType.CHAIR: "Sit in the chair now",
    DeviceType.FLUSH: "Flush the toilet now",
    DeviceType.APPLIANCE: "Switch the appliance on now",
    DeviceType.POWER: "Switch the appliance on now",
    DeviceType.BUTTON: "Press the help button now",
    DeviceType.FALL: "Press the fall detector's test button now",
    DeviceType.TEMPERATURE: "Wait for a reading, or hold the sensor in your hand",
    DeviceType.WATER_LEAK: "Touch the leak sensor's contacts with a damp cloth now",
    DeviceType.SMOKE: "Press the smoke alarm's test button now",
}


def live_test_instruction(dtype: DeviceType, room: Room) -> str:
    """What the installer does to make the sensor speak.

    >>> live_test_instruction(DeviceType.CONTACT, Room.FRONT_DOOR)
    'Open the front door now'
    >>> live_test_instruction(DeviceType.MOTION, Room.FRONT_DOOR)
    'Walk past the front door now'
    """
    if dtype is DeviceType.CONTACT:
        door = {Room.FRONT_DOOR: "front door", Room.BACK_DOOR: "back door", Room.OTHER: "door"}
        return f"Open the {door.get(room, f'{room.label} door')} now"
    if dtype is DeviceType.MOTION and room in (Room.FRONT_DOOR, Room.BACK_DOOR, Room.OTHER):
        return "Walk past the " + {Room.OTHER: "sensor"}.get(room, room.label) + " now"
    return _INSTRUCTIONS[dtype].format(room=room.label)


# --------------------------------------------------------------------------- status and checklist
@dataclass(frozen=True, slots=True)
class DeviceProgress:
    device: Device
    tested_at: datetime | None  # received time of the first event at or after the test started

    @property
    def tested(self) -> bool:
        return self.tested_at is not None


@dataclass(frozen=True, slots=True)
class CheckItem:
    code: str
    ok: bool
    text: str


@dataclass(slots=True)
class Commissioning:
    household: Household
    devices: list[DeviceProgress] = field(default_factory=list)
    checklist: list[CheckItem] = field(default_factory=list)
    refused: list[RejectedMessage] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return all(item.ok for item in self.checklist)


# A room counts as covered by a sensor that sees the person there (a smoke alarm in the bedroom does
# not), and the front door by a door contact.
_PEOPLE = frozenset({DeviceType.MOTION, DeviceType.CONTACT, DeviceType.BED, DeviceType.CHAIR,
                     DeviceType.FLUSH, DeviceType.APPLIANCE})
REQUIRED_ROOMS = (
    ("bedroom", "Bedroom covered", (Room.BEDROOM,), _PEOPLE),
    ("kitchen", "Kitchen covered", (Room.KITCHEN,), _PEOPLE),
    ("bathroom", "Bathroom or toilet covered", (Room.BATHROOM, Room.TOILET), _PEOPLE),
    ("front_door", "Front door covered", (Room.FRONT_DOOR,), frozenset({DeviceType.CONTACT})),
)


def commissioning(session: Session, household: Household, now: datetime) -> Commissioning:
    devices = sorted(session.scalars(
        select(Device).where(Device.household_id == household.id, Device.pairing != PairingState.UNPAIRED)
    ), key=lambda d: (d.pairing != PairingState.NEW, d.key))  # those waiting for a name first
    tested = _tested_at(session, [d for d in devices if d.test_started_at is not None])
    progress = [DeviceProgress(d, tested.get(d.id)) for d in devices]
    refused = list(session.scalars(
        select(RejectedMessage).where(RejectedMessage.hub == household.hub,
                                      RejectedMessage.received_at >= now - timedelta(hours=2))
        .order_by(RejectedMessage.id.desc()).limit(10)
    ))
    return Commissioning(household, progress, checklist(household, progress), refused)


def _tested_at(session: Session, devices: list[Device]) -> dict[int, datetime]:
    if not devices:
        return {}
    # One query for every device under test (the commissioning page asks every 1.5 s).
    rows = session.execute(
        select(Event.device_id, func.min(Event.received_at))
        .join(Device, Device.id == Event.device_id)
        .where(Event.device_id.in_([d.id for d in devices]), Event.received_at >= Device.test_started_at)
        .group_by(Event.device_id)
    )
    return {device_id: first for device_id, first in rows}


def checklist(household: Household, devices: list[DeviceProgress]) -> list[CheckItem]:
    paired = [p for p in devices if p.device.pairing == PairingState.PAIRED]
    placed = {(Room(p.device.room), DeviceType(p.device.type)) for p in paired}
    items = []
    for code, text, rooms, types in REQUIRED_ROOMS:
        ok = any(room in rooms and dtype in types for room, dtype in placed)
        items.append(CheckItem(code, ok, text if ok else f"{text}: no sensor there yet"))
    new = [p.device.key for p in devices if p.device.pairing == PairingState.NEW]
    items.append(CheckItem("all_named", not new, "Every announced sensor named" if not new
                           else f"Waiting for a name (or to be unpaired): {', '.join(new)}"))
    untested = [p.device.label or p.device.key for p in paired if not p.tested]
    items.append(CheckItem("all_tested", bool(paired) and not untested,
                           "Every sensor tested" if paired and not untested
                           else f"Not tested yet: {', '.join(untested) or 'no sensors'}"))
    low = [p.device.label or p.device.key for p in paired
           if p.device.battery is not None and p.device.battery <= BATTERY_LOW]
    items.append(CheckItem("batteries", not low, "Batteries fine" if not low
                           else f"Battery low: {', '.join(low)}"))
    online = household.hub_online is True
    items.append(CheckItem("hub_online", online, "Hub online" if online
                           else "Hub not online: check its power and network"))
    return items


def go_live(session: Session, household: Household, now: datetime) -> None:
    """The home starts learning its resident's routine. Refused until the checklist passes."""
    if household.status != HouseholdStatus.COMMISSIONING.value:
        raise PairingError("already_live", f"this home is not being commissioned (it is {household.status})")
    status = commissioning(session, household, now)
    if not status.ready:
        missing = "; ".join(i.text for i in status.checklist if not i.ok)
        raise PairingError("checklist_incomplete", f"the checklist is not complete: {missing}")
    household.status = HouseholdStatus.LEARNING.value
    household.live_at = now
    household.pairing_until = None
