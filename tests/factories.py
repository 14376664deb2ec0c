"""Test data factories: households, event payloads, a routine model on a ticking clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import count

from detection.routine import RoutineConfig, RoutineModel
from telecare.domain import AlertSignal, DeviceSpec, DeviceType, HouseholdSpec, Room, SensorEvent

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


ROUTINE_DAY0 = datetime(2026, 1, 5, tzinfo=UTC)


class TickedRoutine:
    """A household's routine model (14 days' learning) fed events in order and checked every
    ``tick`` of event time in between, as the service's clock does; ``alerts``: (when, alert)."""

    def __init__(self, tick: timedelta = timedelta(minutes=5)) -> None:
        self.model = RoutineModel("h-1", "UTC", RoutineConfig(learning_days=14))
        self.tick = tick
        self.alerts: list[tuple[datetime, AlertSignal]] = []
        self.now = ROUTINE_DAY0

    def until(self, when: datetime) -> None:
        while self.now + self.tick <= when:
            self.now += self.tick
            self.alerts += [(self.now, s) for s in self.model.check(self.now) if isinstance(s, AlertSignal)]

    def event(self, at: datetime, device: str, device_type: DeviceType, room: Room, value: float = 1.0) -> None:
        self.until(at)
        signals = self.model.learn_one(SensorEvent("h-1", device, device_type, room, at, value))
        self.alerts += [(at, s) for s in signals if isinstance(s, AlertSignal)]


DOOR = ("door", DeviceType.CONTACT, Room.FRONT_DOOR)
KITCHEN = ("pir-kitchen", DeviceType.MOTION, Room.KITCHEN)
BEDROOM = ("pir-bedroom", DeviceType.MOTION, Room.BEDROOM)
FRIDGE = ("fridge", DeviceType.CONTACT, Room.KITCHEN)


class SettledResident(TickedRoutine):
    """Up at 07:00, in the kitchen every half hour until 22:00, out 09:00-13:00; ticked every minute."""

    def __init__(self) -> None:
        super().__init__(tick=timedelta(minutes=1))

    def at(self, when: datetime, device: tuple[str, DeviceType, Room]) -> None:
        self.event(when, *device)

    def ordinary_day(self, d: int, evening_until: float = 22) -> None:
        hours = [(7 + k / 2, KITCHEN) for k in range(int((evening_until - 7) * 2) + 1) if not 9 <= 7 + k / 2 <= 13]
        for hour, device in sorted([*hours, (9, DOOR), (13, DOOR)]):
            self.at(ROUTINE_DAY0 + timedelta(days=d, hours=hour), device)

    def settled(self, days: int = 16) -> SettledResident:
        for d in range(days):
            self.ordinary_day(d)
        return self


class KitchenContactsHome:
    """Door, cupboard and appliance contacts, no motion sensors (like van Kasteren house A)."""

    def __init__(self) -> None:
        self.model = RoutineModel("h-1", "UTC", RoutineConfig(learning_days=14))
        self.alerts: list[tuple[datetime, AlertSignal]] = []
        self.clock = ROUTINE_DAY0

    def sign(self, at: datetime, device: str, room: Room, value: float,
             kind: DeviceType = DeviceType.CONTACT) -> None:
        while self.clock + timedelta(minutes=1) <= at:
            self.clock += timedelta(minutes=1)
            self.alerts += [(self.clock, s) for s in self.model.check(self.clock) if isinstance(s, AlertSignal)]
        self.model.learn_one(SensorEvent("h-1", device, kind, room, at, value))

    def used(self, at: datetime, device: str, room: Room = Room.KITCHEN) -> None:
        """Opened, and closed a minute later."""
        self.sign(at, device, room, 1.0)
        self.sign(at + timedelta(minutes=1), device, room, 0.0)

    def morning(self, day: datetime) -> None:
        """Up at 07:00, busy in the kitchen every 20 minutes until 13:40."""
        self.used(day + timedelta(hours=7), "bedroom-door", Room.BEDROOM)
        for k in range(20):
            self.used(day + timedelta(hours=7, minutes=20 + 20 * k), "pans")

    def lunch(self, day: datetime) -> None:
        """The fridge at 14:00, the microwave four minutes after it closes."""
        self.used(day + timedelta(hours=14), "fridge")
        self.sign(day + timedelta(hours=14, minutes=5), "microwave", Room.KITCHEN, 1.0, DeviceType.APPLIANCE)

    def afternoon(self, day: datetime, sits_until: timedelta = timedelta(hours=16, minutes=10), tea: bool = True) -> None:
        """Tea at 14:10, then two hours in the armchair (no sensor there), busy again until bed."""
        if tea:
            self.used(day + timedelta(hours=14, minutes=10), "cups")
        for k in range(17):
            self.used(day + sits_until + timedelta(minutes=20 * k), "pans")
        self.used(day + timedelta(hours=22, minutes=30), "bedroom-door", Room.BEDROOM)

    def ordinary_day(self, d: int, after_lunch=None, **afternoon) -> datetime:
        """Day ``d``: the morning, lunch, ``after_lunch(day)`` if given, then the afternoon
        (``afternoon``'s arguments); returns the day's start."""
        day = ROUTINE_DAY0 + timedelta(days=d)
        self.morning(day)
        self.lunch(day)
        if after_lunch is not None:
            after_lunch(day)
        self.afternoon(day, **afternoon)
        return day

    def ordinary_days(self, days: int) -> None:
        for d in range(days):
            self.ordinary_day(d)
