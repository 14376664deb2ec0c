"""Domain vocabulary shared by every package: device types, rooms, alert kinds, messages.

These names are part of the public contract (MQTT payloads, household files, the API), so they are
plain lowercase strings and never renamed. Messages crossing a boundary are frozen dataclasses.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class DeviceType(enum.StrEnum):
    MOTION = "motion"
    CONTACT = "contact"
    BED = "bed"
    CHAIR = "chair"
    FLUSH = "flush"
    APPLIANCE = "appliance"
    POWER = "power"
    BUTTON = "button"
    FALL = "fall"
    TEMPERATURE = "temperature"
    WATER_LEAK = "water_leak"
    SMOKE = "smoke"

    @property
    def is_binary(self) -> bool:
        return self not in MEASUREMENT_TYPES

    @property
    def shows_presence(self) -> bool:
        """Whether an activation of this device means a person is moving about at home.

        Temperature, power readings and hazard detectors say nothing about the person, so they never
        reset an inactivity timer.
        """
        return self in PRESENCE_TYPES


MEASUREMENT_TYPES = frozenset({DeviceType.TEMPERATURE, DeviceType.POWER})
PRESENCE_TYPES = frozenset(
    {
        DeviceType.MOTION,
        DeviceType.CONTACT,
        DeviceType.BED,
        DeviceType.CHAIR,
        DeviceType.FLUSH,
        DeviceType.APPLIANCE,
        DeviceType.BUTTON,
    }
)


class Room(enum.StrEnum):
    BEDROOM = "bedroom"
    BATHROOM = "bathroom"
    TOILET = "toilet"
    KITCHEN = "kitchen"
    LIVING_ROOM = "living_room"
    DINING_ROOM = "dining_room"
    HALLWAY = "hallway"
    FRONT_DOOR = "front_door"
    BACK_DOOR = "back_door"
    GARDEN = "garden"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Severity(enum.StrEnum):
    """How quickly a person must look. Ordered: ``Severity.rank`` compares them."""

    INFO = "info"
    WARNING = "warning"
    URGENT = "urgent"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class AlertCategory(enum.StrEnum):
    SAFETY = "safety"  # fires from the first day, no learning needed
    ACUTE = "acute"  # a deviation from the learned routine, today
    TREND = "trend"  # a change over days
    DEVICE = "device"  # the equipment, not the person


class AlertKind(enum.StrEnum):
    """The alert vocabulary. Public API: these strings appear in the API, pages and notifications."""

    HELP_REQUEST = "help_request"
    FALL = "fall"
    SMOKE = "smoke"
    WATER_LEAK = "water_leak"
    COLD_HOME = "cold_home"
    INACTIVITY = "inactivity"
    NOT_UP = "not_up"
    NIGHT_WANDERING = "night_wandering"
    NOT_RETURNED = "not_returned"
    LONG_BATHROOM = "long_bathroom"
    NIGHT_TOILET_INCREASE = "night_toilet_increase"
    KITCHEN_DECLINE = "kitchen_decline"
    ACTIVITY_DECLINE = "activity_decline"
    SLEEP_CHANGE = "sleep_change"
    OUTINGS_DECLINE = "outings_decline"
    DEVICE_OFFLINE = "device_offline"
    BATTERY_LOW = "battery_low"
    HUB_OFFLINE = "hub_offline"

    @property
    def category(self) -> AlertCategory:
        return _KIND_INFO[self][0]

    @property
    def default_severity(self) -> Severity:
        return _KIND_INFO[self][1]


_KIND_INFO: dict[AlertKind, tuple[AlertCategory, Severity]] = {
    AlertKind.HELP_REQUEST: (AlertCategory.SAFETY, Severity.CRITICAL),
    AlertKind.FALL: (AlertCategory.SAFETY, Severity.CRITICAL),
    AlertKind.SMOKE: (AlertCategory.SAFETY, Severity.CRITICAL),
    AlertKind.WATER_LEAK: (AlertCategory.SAFETY, Severity.URGENT),
    AlertKind.COLD_HOME: (AlertCategory.SAFETY, Severity.URGENT),
    AlertKind.INACTIVITY: (AlertCategory.SAFETY, Severity.URGENT),
    AlertKind.NOT_UP: (AlertCategory.ACUTE, Severity.URGENT),
    AlertKind.NIGHT_WANDERING: (AlertCategory.ACUTE, Severity.URGENT),
    AlertKind.NOT_RETURNED: (AlertCategory.ACUTE, Severity.URGENT),
    AlertKind.LONG_BATHROOM: (AlertCategory.ACUTE, Severity.URGENT),
    AlertKind.NIGHT_TOILET_INCREASE: (AlertCategory.TREND, Severity.WARNING),
    AlertKind.KITCHEN_DECLINE: (AlertCategory.TREND, Severity.WARNING),
    AlertKind.ACTIVITY_DECLINE: (AlertCategory.TREND, Severity.WARNING),
    AlertKind.SLEEP_CHANGE: (AlertCategory.TREND, Severity.WARNING),
    AlertKind.OUTINGS_DECLINE: (AlertCategory.TREND, Severity.WARNING),
    AlertKind.DEVICE_OFFLINE: (AlertCategory.DEVICE, Severity.WARNING),
    AlertKind.BATTERY_LOW: (AlertCategory.DEVICE, Severity.INFO),
    AlertKind.HUB_OFFLINE: (AlertCategory.DEVICE, Severity.URGENT),
}


class HouseholdStatus(enum.StrEnum):
    COMMISSIONING = "commissioning"
    LEARNING = "learning"
    MONITORING = "monitoring"
    AWAY = "away"
    SUSPENDED = "suspended"


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    id: str
    type: DeviceType
    room: Room
    label: str = ""


@dataclass(frozen=True, slots=True)
class HouseholdSpec:
    """A home as described by a household file (what ``telecare household import`` loads)."""

    hub: str
    name: str
    timezone: str
    devices: tuple[DeviceSpec, ...]


@dataclass(frozen=True, slots=True)
class SensorEvent:
    """One accepted sensor reading, in event time. What detection consumes."""

    hub: str
    device: str
    device_type: DeviceType
    room: Room
    ts: datetime  # timezone-aware, event time
    value: float  # 1.0 / 0.0 for binary types
    id: int | None = None  # storage id once committed
    late: bool = False
    battery: int | None = None  # percent, when the device sent it with the event

    @property
    def active(self) -> bool:
        return self.value != 0.0


@dataclass(frozen=True, slots=True)
class AlertSignal:
    """What a detector says should be raised. The alert service turns it into an alert.

    ``key`` identifies the episode (for example the time the quiet period began), so raising the same
    signal twice, as a replay after a crash does, updates one alert instead of creating two.
    """

    hub: str
    kind: AlertKind
    ts: datetime  # event time the condition was detected
    summary: str
    key: str
    severity: Severity | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def effective_severity(self) -> Severity:
        return self.severity or self.kind.default_severity


@dataclass(frozen=True, slots=True)
class ClearSignal:
    """The condition behind an open alert went away by itself (movement resumed, hub back online)."""

    hub: str
    kind: AlertKind
    ts: datetime
    summary: str
