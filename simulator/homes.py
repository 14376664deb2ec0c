"""Simulated homes: the standard household file, and which device plays which part in daily life.

``standard_home`` writes a household file in the service's contract. ``SensorLayout`` reads any
household file (the standard one, or a real home such as Kasteren house B) and picks the device that
senses each thing the resident does, so daily life can be played out in homes with fewer or
different sensors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telecare.domain import DeviceType, Room

# (id, type, room, label). Ids are short because they appear in every MQTT topic and events-file
# line.
STANDARD_DEVICES: tuple[tuple[str, DeviceType, Room, str], ...] = (
    ("m-bedroom", DeviceType.MOTION, Room.BEDROOM, "Bedroom ceiling"),
    ("m-bathroom", DeviceType.MOTION, Room.BATHROOM, "Bathroom ceiling"),
    ("m-kitchen", DeviceType.MOTION, Room.KITCHEN, "Kitchen ceiling"),
    ("m-living", DeviceType.MOTION, Room.LIVING_ROOM, "Living room corner"),
    ("m-hallway", DeviceType.MOTION, Room.HALLWAY, "Hallway"),
    ("bed", DeviceType.BED, Room.BEDROOM, "Bed occupancy mat"),
    ("chair", DeviceType.CHAIR, Room.LIVING_ROOM, "Armchair pressure mat"),
    ("door-front", DeviceType.CONTACT, Room.FRONT_DOOR, "Front door"),
    ("fridge", DeviceType.CONTACT, Room.KITCHEN, "Fridge door"),
    ("kettle", DeviceType.APPLIANCE, Room.KITCHEN, "Kettle"),
    ("flush", DeviceType.FLUSH, Room.BATHROOM, "Toilet flush"),
    ("tv", DeviceType.POWER, Room.LIVING_ROOM, "Television plug (watts)"),
    ("btn-help", DeviceType.BUTTON, Room.BEDROOM, "Bedside help button"),
    ("fall", DeviceType.FALL, Room.OTHER, "Fall detector pendant"),
    ("temp-living", DeviceType.TEMPERATURE, Room.LIVING_ROOM, "Living room thermometer"),
    ("leak-bathroom", DeviceType.WATER_LEAK, Room.BATHROOM, "Bathroom floor leak sensor"),
    ("smoke-kitchen", DeviceType.SMOKE, Room.KITCHEN, "Kitchen smoke alarm"),
)

# Mains-powered devices report no battery level.
MAINS_POWERED = frozenset({DeviceType.APPLIANCE, DeviceType.POWER})


def standard_home(hub: str, name: str, timezone: str = "Europe/London") -> dict[str, Any]:
    """A household file for a one-bedroom home with the usual telecare sensor kit.

    Parameters
    ----------
    hub : str
        Hub id, also the MQTT topic level (``telecare/<hub>/...``).
    name : str
        Name shown to responders.
    timezone : str
        IANA zone the resident's routine follows.

    Returns
    -------
    dict
        ``{"hub", "name", "timezone", "devices": [{"id", "type", "room", "label"}, ...]}``.
    """
    return {
        "hub": hub,
        "name": name,
        "timezone": timezone,
        "devices": [
            {"id": dev_id, "type": str(dtype), "room": str(room), "label": label}
            for dev_id, dtype, room, label in STANDARD_DEVICES
        ],
    }


def device_types(household: dict[str, Any]) -> dict[str, DeviceType]:
    """Device id to type, from a household file."""
    return {d["id"]: DeviceType(d["type"]) for d in household["devices"]}


@dataclass(frozen=True, slots=True)
class SensorLayout:
    """Which device senses what. ``None`` means the home has no such sensor and that part is silent.

    ``motion`` maps a room name to the motion sensor there; the bathroom falls back to a toilet
    sensor.
    """

    motion: dict[str, str]
    bed: str | None
    chair: str | None
    front_door: str | None
    fridge: str | None
    kettle: str | None
    flush: str | None
    tv: str | None
    temperature: str | None
    button: str | None
    fall: str | None

    @classmethod
    def from_household(cls, household: dict[str, Any]) -> SensorLayout:
        devices = household["devices"]

        def first(dtype: DeviceType, rooms: tuple[Room, ...] = (), word: str = "") -> str | None:
            candidates = [
                d
                for d in devices
                if d["type"] == dtype and (not rooms or d.get("room", "other") in rooms)
            ]
            # Prefer a device whose label names it ("fridge"), else the first of the right kind.
            named = [d for d in candidates if word and word in d.get("label", "").lower()]
            chosen = (named or candidates)[:1]
            return chosen[0]["id"] if chosen else None

        motion: dict[str, str] = {}
        for d in devices:
            if d["type"] == DeviceType.MOTION:
                motion.setdefault(d.get("room", "other"), d["id"])
        if Room.BATHROOM not in motion and Room.TOILET in motion:
            motion[Room.BATHROOM] = motion[Room.TOILET]
        return cls(
            motion=motion,
            bed=first(DeviceType.BED),
            chair=first(DeviceType.CHAIR),
            front_door=first(DeviceType.CONTACT, (Room.FRONT_DOOR,)),
            fridge=first(DeviceType.CONTACT, (Room.KITCHEN,), "fridge"),
            kettle=first(DeviceType.APPLIANCE, (Room.KITCHEN,), "kettle"),
            flush=first(DeviceType.FLUSH),
            tv=first(DeviceType.POWER, (Room.LIVING_ROOM,)),
            temperature=first(DeviceType.TEMPERATURE),
            button=first(DeviceType.BUTTON),
            fall=first(DeviceType.FALL),
        )
