"""Company in the house: a visitor or a carer, seen as activity in two rooms at once.

One person cannot set off motion (or sit on a chair) in two separate rooms within a few seconds. Two
rooms that are often one open space (kitchen, living and dining room) and the hallway, doors and
garden, which a person passes on the way between rooms, do not count; nor do bed mats (a bag left on
the bed is not a second person).

What it changes (``detection.routine``): while company was seen in the last half hour, the front
door is someone leaving *the resident* at home, not the resident going out, so a fall after a carer
leaves is still judged as a silence at home; and a door at night is a visitor leaving late, not
night wandering.

>>> from datetime import UTC, datetime, timedelta
>>> from telecare.domain import DeviceType, Room
>>> c = Company()
>>> t = datetime(2026, 1, 5, 10, tzinfo=UTC)
>>> c.note(Room.KITCHEN, DeviceType.MOTION, t)
>>> c.note(Room.LIVING_ROOM, DeviceType.MOTION, t + timedelta(seconds=2))  # open plan: one person
>>> c.present(t + timedelta(seconds=3))
False
>>> c.note(Room.BEDROOM, DeviceType.MOTION, t + timedelta(seconds=4))  # and the bedroom at once
>>> c.present(t + timedelta(minutes=20)), c.present(t + timedelta(minutes=40))
(True, False)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from detection.versioned import VersionedState
from telecare.domain import DeviceType, Room

AT_ONCE = timedelta(seconds=5)
STAYS = timedelta(minutes=30)  # company seen this recently is taken to be still there
_ONE_SPACE = frozenset({Room.KITCHEN, Room.LIVING_ROOM, Room.DINING_ROOM})
_PASSING = frozenset({Room.HALLWAY, Room.FRONT_DOOR, Room.BACK_DOOR, Room.GARDEN, Room.OTHER})
_SEES_A_PERSON = frozenset({DeviceType.MOTION, DeviceType.CHAIR})


class Company(VersionedState):
    """Remembers the last room someone was seen in, and when two rooms were busy at once."""

    STATE_VERSION = 1

    def __init__(self) -> None:
        self.last: tuple[Room, datetime] | None = None
        self.seen_at: datetime | None = None

    def note(self, room: Room, device_type: DeviceType, ts: datetime) -> None:
        """An activation that shows a person (motion, or a chair pressed) in ``room`` at ``ts``."""
        if device_type not in _SEES_A_PERSON or room in _PASSING:
            return
        if self.last is not None:
            other, at = self.last
            apart = other != room and not (other in _ONE_SPACE and room in _ONE_SPACE)
            if apart and ts - at <= AT_ONCE:
                self.seen_at = ts
        self.last = (room, ts)

    def present(self, ts: datetime) -> bool:
        return self.seen_at is not None and ts - self.seen_at <= STAYS
