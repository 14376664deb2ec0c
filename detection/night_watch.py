"""Night wandering: out of the door at night, or up and about at home at an hour this person never is.

Two signs, one alert a night (``RoutineModel`` raises it):

- **a night exit**: the front or back door opened at night with the person in, and nobody seen inside
  for ``exit_after`` since. Not the door alone: in house B of the van Kasteren recordings the
  resident came home at 02:44 while the sensors had him in (a drawer switch rattling for an hour),
  and was in the bedroom within a minute; someone who opens the door to look out is seen again as
  soon. Neither is learned as a habit of leaving at that hour: coming home at 02:44 four nights in
  three weeks is not that;
- **up at night**: out of bed at a night hour (a mat that shows lying released; without one, an
  hour or more of quiet that began in the bedroom), a run of signs
  (none ``VISIT_GAP`` apart) with the kitchen or living areas in it that goes on for
  ``up_at_night``. Not coming home, nor sitting up late: in house A, with no sensor in the
  armchair, an hour of quiet from 22:00 and then the kitchen from 23:03 is an evening.

Each is judged against the nights learned: at an hour when this person went out, or was up, on more
than ``rare_fraction`` of the learned days, it is their routine.

A night with an alert is not learned, so an unusual hour stays unusual however often it comes back:
house B of the van Kasteren recordings left at 04:27 for the day once in his 15 recorded days, and
the resampled streams alerted on it every time it came round (88 times in 48 clean streams). A
responder who answers such an alert as a false alarm says this is the person's routine (an early
bus, a dog to walk): that hour is then theirs, for the exit or for being up, as long as a learned
day is remembered (``dismiss``). Every night like it that follows without an alert is learned as
usual, so a habit keeps itself; an hour it never comes back to is forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from detection.outings import VISIT_GAP
from detection.routine_day import DOORS
from detection.versioned import VersionedState
from telecare.domain import Room, SensorEvent

UP_ROOMS = frozenset({Room.KITCHEN, Room.LIVING_ROOM, Room.DINING_ROOM})  # up and about, not in bed or washing
RESTED = timedelta(hours=1)  # quiet in the bedroom this long at night, then up: getting up in the night
KEPT = 8  # night alerts remembered for a responder's verdict (one a night; verdicts come within days)


@dataclass(frozen=True, slots=True)
class Unusual:
    """What is unusual about tonight, for the alert's words."""

    since: datetime  # the door opened, or the person got up
    hour: int  # local hour it happened in
    seen: int  # learned days with the same in that hour
    days: int  # learned days
    what: str = "door"  # "door": out of the door; "up": up and about


class NightWatch(VersionedState):
    """Night exits and being up at night, and the hours this person usually does either.

    Parameters
    ----------
    timezone
        IANA zone of the home (the hour someone got up in).
    window_days
        Learned days kept.
    rare_fraction
        An hour with the same on at most this fraction of learned days is unusual.
    exit_after, up_at_night
        See above.

    Examples
    --------
    Twenty nights asleep from 22:30; then up at 02:10 and in the kitchen for 20 minutes.

    >>> from datetime import UTC
    >>> w = NightWatch("UTC", 28, 0.1, timedelta(minutes=5), timedelta(minutes=20))
    >>> for d in range(20):
    ...     w.learn_day()
    >>> bed, up = datetime(2026, 1, 5, 22, 30, tzinfo=UTC), datetime(2026, 1, 6, 2, 10, tzinfo=UTC)
    >>> w.sign(up, Room.BEDROOM, rested=up - bed >= RESTED, last=bed)
    >>> w.up(up + timedelta(minutes=5), Room.KITCHEN, 2) is None   # a drink, so far
    True
    >>> u = w.up(up + timedelta(minutes=20), Room.KITCHEN, 2)
    >>> u
    Unusual(since=datetime.datetime(2026, 1, 6, 2, 10, tzinfo=datetime.timezone.utc), hour=2, seen=0, days=20, what='up')
    >>> w.up_rooms
    ['kitchen']

    Alerted on; a responder answers that she makes tea at that hour. From then on it is her hour.

    >>> w.rare(u), w.alerted(u), w.dismiss(up), w.rare(u)
    (True, None, True, False)
    """

    # 2: night alerts remembered, and hours a responder found a false alarm (``alerted``, ``dismiss``)
    STATE_VERSION = 2

    def __init__(self, timezone: str, window_days: int, rare_fraction: float, exit_after: timedelta,
                 up_at_night: timedelta) -> None:
        self.timezone = timezone
        self.window_days, self.rare_fraction = window_days, rare_fraction
        self.exit_after, self.up_at_night = exit_after, up_at_night
        self.door_days: list[int] = []  # per learned day, newest last: bit mask of night hours with an exit...
        self.up_days: list[int] = []  # ...and with signs in the kitchen or living areas
        self.door_hours = self.up_hours = 0  # the same for the day in progress
        self.exit_pending: tuple[SensorEvent, Unusual] | None = None  # the door, waiting for a sign inside
        self.up_since: datetime | None = None  # up after rest in the bedroom; None: not so
        self.up_rooms: list[str] = []  # the kitchen or living areas seen since
        self.days = 0  # days ended, learned or not: the clock for ``forgiven``
        self.alerted_nights: list[Unusual] = []  # the last night alerts raised, for a verdict to find
        self.forgiven: list[tuple[int, str, int]] = []  # (``days`` then, what, hour): false alarms

    def _unusual(self, masks: list[int], since: datetime, hour: int, what: str) -> Unusual:
        days = masks[-self.window_days:]
        return Unusual(since, hour, sum(1 for mask in days if mask >> hour & 1), len(days), what)

    def rare(self, u: Unusual) -> bool:
        """Unusual for this person: seldom learned at that hour, and not an hour a responder
        found a false alarm within the learned days."""
        forgiven = any(what == u.what and hour == u.hour and self.days - at < self.window_days
                       for at, what, hour in self.forgiven)
        return u.seen <= self.rare_fraction * u.days and not forgiven

    def alerted(self, u: Unusual) -> None:
        """``u`` was alerted on: remembered (the last ``KEPT``) for a responder's verdict."""
        self.alerted_nights = [*self.alerted_nights, u][-KEPT:]

    def dismiss(self, since: datetime) -> bool:
        """A responder found the night alert about what began at ``since`` a false alarm: its hour
        (for an exit, or for being up) is this person's. Whether anything changed."""
        found = [u for u in self.alerted_nights if u.since == since]
        if not found:
            return False
        self.alerted_nights = [u for u in self.alerted_nights if u.since != since]
        self.forgiven = [(at, what, hour) for at, what, hour in self.forgiven if self.days - at < self.window_days]
        self.forgiven += [(self.days, u.what, u.hour) for u in found]
        return True

    # ------------------------------------------------------------------ the door
    def door(self, event: SensorEvent, hour: int) -> None:
        """The door opened at a night hour with the person in."""
        if self.exit_pending is None:
            self.exit_pending = (event, self._unusual(self.door_days, event.ts, hour, "door"))

    def seen_inside(self) -> None:
        """A sign of the person inside: whatever the door was, it was not an exit."""
        self.exit_pending = None

    def gone_out(self, now: datetime) -> tuple[SensorEvent, Unusual] | None:
        """The door and its hour, once nobody has been seen inside for ``exit_after`` after it (once)."""
        pending = self.exit_pending
        if pending is None or now - pending[0].ts < self.exit_after:
            return None
        self.exit_pending = None
        self.door_hours |= 1 << pending[1].hour
        return pending

    # ------------------------------------------------------------------ up at night
    def sign(self, ts: datetime, room: Room, rested: bool, last: datetime | None = None) -> None:
        """A sign of the person (not a bed mat; ``last``: the one before). A new run of signs after
        ``VISIT_GAP`` is getting up at night if ``rested``: out of bed at home in a night hour."""
        if last is not None and ts - last <= VISIT_GAP:
            return  # the run goes on
        self.up_since, self.up_rooms = (ts if rested and room not in DOORS else None), []

    def up(self, ts: datetime, room: Room, hour: int) -> Unusual | None:
        """A sign in the kitchen or living areas at night hour ``hour``: the run since getting up, once
        it has gone on for ``up_at_night`` (whether or not the hour is unusual: ``rare``)."""
        self.up_hours |= 1 << hour
        if self.up_since is None:
            return None
        if room not in self.up_rooms:
            self.up_rooms = [*self.up_rooms, str(room)]
        if ts - self.up_since < self.up_at_night:
            return None
        return self._unusual(self.up_days, self.up_since, self.up_since.astimezone(ZoneInfo(self.timezone)).hour, "up")

    def learn_day(self) -> None:
        """A normal day ended: learn the night hours noted in it, and start a new one."""
        self.door_days = [*self.door_days, self.door_hours][-self.window_days:]
        self.up_days = [*self.up_days, self.up_hours][-self.window_days:]
        self.door_hours = self.up_hours = 0
        self.days += 1

    def skip_day(self) -> None:
        """A day with an alert ended: not learned."""
        self.door_hours = self.up_hours = 0
        self.days += 1
