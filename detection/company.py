"""Company in the house: a visitor or a carer, seen as activity in two rooms at once.

One person cannot set off motion (or sit on a chair) in two separate rooms within a few seconds. Two
rooms that are often one open space (kitchen, living and dining room) and the hallway, doors and
garden, which a person passes on the way between rooms, do not count; nor do bed mats (a bag left on
the bed is not a second person).

Two motion sensors that see into each other's rooms (a kitchen sensor that sees the bathroom door
across a small hallway) set each other off with one person: house B of the van Kasteren recordings
has its kitchen and bathroom sensors fire within seconds of each other on 11 of 16 days, alone. The
resident is alone at night, so two rooms busy at once in the night (00:00-05:00) on ``OVERLAP_NIGHTS``
nights is such a pair: it never counts as company again. A carer who comes by day is still company.

The night is not the only proof. When the door is read as a visitor leaving and the next sign, ten
minutes or more later, is the door again with someone seen inside within five minutes of it, the
resident had gone out and come home: the two rooms busy at once before were one person. Such a
return counts like a night: on ``OVERLAP_NIGHTS`` of them (or nights, together) the pair is one
person. (House B again: bathroom and kitchen together, then the door at 13:01, then nothing until
he comes in at 20:50; read as a visitor, his outing was a six-hour silence at home.) A carer who
leaves while the resident stays in is followed by signs of the resident inside, not by the door.

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

Bathroom and living room at once at 12:50, the door at 13:00, nothing until the door at 18:00 and
the kitchen a minute later, twice: they overlap.

>>> for d in (4, 5):
...     at = t + timedelta(days=d, hours=2, minutes=50)
...     c.note(Room.BATHROOM, DeviceType.MOTION, at)
...     c.note(Room.LIVING_ROOM, DeviceType.MOTION, at + timedelta(seconds=2))
...     for sign, door in ((10, True), (480, True), (481, False)):
...         c.sign(at + timedelta(minutes=sign), at_door=door)
...         if door and c.present(at + timedelta(minutes=sign)):
...             c.visitor_left(at + timedelta(minutes=sign))
>>> c.at_night[frozenset({Room.BATHROOM, Room.LIVING_ROOM})][1]
2

The bathroom and kitchen sensors fire together at 03:00 on two nights: they overlap.

>>> for night in (1, 2):
...     at = t + timedelta(days=night, hours=-7)
...     c.note(Room.BATHROOM, DeviceType.MOTION, at, night=True)
...     c.note(Room.KITCHEN, DeviceType.MOTION, at + timedelta(seconds=2), night=True)
>>> c.note(Room.BATHROOM, DeviceType.MOTION, t + timedelta(days=3))
>>> c.note(Room.KITCHEN, DeviceType.MOTION, t + timedelta(days=3, seconds=2))
>>> c.present(t + timedelta(days=3, minutes=1))
False
"""

from __future__ import annotations

from datetime import datetime, timedelta

from detection.outings import OUTING
from detection.versioned import VersionedState
from telecare.domain import DeviceType, Room

AT_ONCE = timedelta(seconds=5)
BACK_IN = timedelta(minutes=5)  # seen inside this soon after the door: came in
STAYS = timedelta(minutes=30)  # company seen this recently is taken to be still there
_ONE_SPACE = frozenset({Room.KITCHEN, Room.LIVING_ROOM, Room.DINING_ROOM})
_PASSING = frozenset({Room.HALLWAY, Room.FRONT_DOOR, Room.BACK_DOOR, Room.GARDEN, Room.OTHER})
_SEES_A_PERSON = frozenset({DeviceType.MOTION, DeviceType.CHAIR})
OVERLAP_NIGHTS = 2  # nights two rooms were busy at once before their sensors are taken to overlap


class Company(VersionedState):
    """Remembers the last room someone was seen in, and when two rooms were busy at once."""

    STATE_VERSION = 3  # 2: overlapping pairs learned at night; 3: and from returns through the door

    def __init__(self) -> None:
        self.last: tuple[Room, datetime] | None = None
        self.seen_at: datetime | None = None
        self.pair: frozenset[Room] | None = None  # the rooms busy at once at ``seen_at``
        # Pairs of rooms busy at once when the resident was alone (at night, or before going out):
        # the last time, how many nights or returns so far.
        self.at_night: dict[frozenset[Room], tuple[datetime, int]] = {}
        # The door read as a visitor leaving: (when, the pair seen before it, whether the door has
        # since opened again after a quiet while, and when).
        self.left: tuple[datetime, frozenset[Room] | None, bool] | None = None

    def note(self, room: Room, device_type: DeviceType, ts: datetime, night: bool = False) -> None:
        """An activation that shows a person (motion, or a chair pressed) in ``room`` at ``ts``;
        ``night``: in the local hours when the resident is alone (00:00-05:00)."""
        if device_type not in _SEES_A_PERSON or room in _PASSING:
            return
        if self.last is not None:
            other, at = self.last
            apart = other != room and not (other in _ONE_SPACE and room in _ONE_SPACE)
            if apart and ts - at <= AT_ONCE:
                pair = frozenset({room, other})
                last, nights = self.at_night.get(pair, (None, 0))
                if night and (last is None or ts - last > timedelta(hours=12)):  # a new night
                    nights += 1
                    self.at_night[pair] = (ts, nights)
                if nights < OVERLAP_NIGHTS:
                    self.seen_at, self.pair = ts, pair
        self.last = (room, ts)

    def visitor_left(self, ts: datetime) -> None:
        """The door, read as a visitor leaving (``present``), at ``ts``."""
        self.left = (ts, self.pair, False)

    def sign(self, ts: datetime, at_door: bool) -> None:
        """A sign of the person at ``ts`` (``at_door``: the front or back door), before it is judged:
        after a visitor left, is this the resident coming home (see the module's docstring)?"""
        if self.left is None:
            return
        since, pair, returned = self.left
        if not returned:
            if at_door and ts - since < OUTING:
                return  # the same passage through the door (it closes)
            self.left = (ts, pair, True) if at_door else None
            return
        if at_door and ts - since <= BACK_IN:
            return  # closing behind them
        if not at_door and ts - since <= BACK_IN and pair is not None:
            _, count = self.at_night.get(pair, (ts, 0))
            self.at_night[pair] = (ts, count + 1)
        self.left = None

    def present(self, ts: datetime) -> bool:
        return self.seen_at is not None and ts - self.seen_at <= STAYS
