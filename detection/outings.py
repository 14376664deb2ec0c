"""Whether the resident is out of the door, and how long their outings and nights away usually last.

Out is read from the signs, as a door contact shows it: the last sign was at a door (or a motion
sensor by it within ``LEAVING``, seeing them go). Anything else puts them back in, except one sensor
firing alone once an outing is under way (``Whereabouts.stray``). Outings teach the limit for "not back"
(``Whereabouts.not_back``); outings over a night teach that this person sometimes stays away
(``Whereabouts.staying_away``), when "not back" is no longer the worry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from river.utils import SortedWindow

from detection.quiet import NOT_ALERTED, upper
from detection.versioned import VersionedState
from telecare.domain import DeviceType, SensorEvent

LEAVING = timedelta(minutes=2)  # a motion sensor this soon after the door sees the person leave
OUTING = timedelta(minutes=10)  # out of the door for at least this long: an outing
VISIT_GAP = timedelta(minutes=15)  # motion from a second sensor this soon after another: someone in
OUTINGS_KNOWN = 5  # learned outings from which their longest is a fair guide to "not back"
OUTINGS_FLOOR, FEW_OUTINGS_FLOOR = timedelta(hours=3), timedelta(hours=4)
# Out over this local hour: the night was spent away. Someone who has done that at least
# ``NIGHTS_AWAY_KNOWN`` times in the learned weeks is staying away (a daughter's, a trip) once out
# over a night, not "not back": such stays run from one night to many and have no usual length.
NIGHT_AWAY_HOUR = 3
NIGHTS_AWAY_KNOWN = 2  # the default of ``RoutineConfig.nights_away_known``; a home's care plan may differ
MOST_NIGHTS_AWAY_KNOWN = 28  # as many as the learned weeks hold: a night out is always "not back"


@dataclass(frozen=True, slots=True)
class NotBack:
    """The limit for the outing under way."""

    limit: float  # minutes
    usual: float  # the longest learned outing (or the ``quantile`` asked for), minutes
    count: int  # learned outings at most that long
    outings: int  # learned outings
    few_floor: timedelta | None  # too few outings learned: this floor stands in for them


class Whereabouts(VersionedState):
    """In or out, and the outings of the last ``window_days``.

    Parameters
    ----------
    window_days
        Nights away older than this many days (of ``days`` counted by the caller) are forgotten;
        the last ``8 * window_days`` outings are kept.
    timezone
        IANA zone of the home, for the night an outing takes in.

    Examples
    --------
    Out of the door at 10:00 every day for two hours, then once not back.

    >>> from datetime import datetime, timedelta, UTC
    >>> from telecare.domain import DeviceType, SensorEvent
    >>> w = Whereabouts(28, "UTC")
    >>> def seen(t, device="fridge", device_type=DeviceType.CONTACT):
    ...     return w.see(SensorEvent("h", device, device_type, "x", t, 1.0), at_door=device == "door")
    >>> day0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
    >>> for d in range(10):
    ...     _ = seen(day0 + timedelta(days=d, hours=1), "door", DeviceType.CONTACT)
    ...     _ = seen(day0 + timedelta(days=d, hours=3), "door", DeviceType.CONTACT)
    ...     if seen(day0 + timedelta(days=d, hours=3, minutes=1)):
    ...         _ = w.came_back(day0 + timedelta(days=d, hours=3, minutes=1), alerted_since=None, days=d)
    >>> w.out, len(w.lengths)
    (False, 10)
    >>> _ = seen(day0 + timedelta(days=10, hours=1), "door", DeviceType.CONTACT)
    >>> w.out, w.not_back(1.5).limit   # 2 h 01 min x 1.5 + 1 h, but at least 3 h
    (True, 241.5)
    """

    # 2: a sign from any one sensor alone while out is stray, not only motion (``stray_seen`` says
    # what it was, for the not-back alert's words)
    STATE_VERSION = 2
    # Nights away in the learned weeks after which a night out is staying away: the care plan's, set
    # by the service every half minute (a class default, so older snapshots restore without it).
    nights_known: int = NIGHTS_AWAY_KNOWN

    def __init__(self, window_days: int, timezone: str) -> None:
        self.window_days = window_days
        self.timezone = timezone
        self.out = False  # the last sign of the person was at a door: probably out
        self.last_door: datetime | None = None
        self.out_since: datetime | None = None  # the door event that began the time out
        # The last sign seen alone while out: (device, when, device type, room, turned on).
        self.stray_seen: tuple[str, datetime, str, str, bool] | None = None
        self.lengths = SortedWindow(8 * window_days)  # minutes out, door to the first sign back in
        # Outings over a night: (``days`` when it ended, when the quiet alerted on began, epoch
        # seconds, or ``NOT_ALERTED``).
        self.nights_away: list[tuple[int, float]] = []

    def stray(self, event: SensorEvent, *, at_door: bool = False) -> bool:
        """One sensor firing alone while the resident is out: not them coming home.

        Once an outing is under way (out of the door for ``OUTING``), someone coming home opens the
        door (after it, the first sign inside ends the outing, as always). A sign without it, from
        one sensor, is most often that sensor alone (sun on a motion sensor, the heating, a pet, a
        mercury switch rattling): in house B of the van Kasteren recordings the kitchen motion
        sensor fires during 15 of his 24 annotated outings and the tilt switch on the cutlery drawer
        193 times in them, and on his last recorded day the one on the dresser tilted once, three
        hours into an outing that lasted until the next afternoon, with nothing else after it. Taken
        as the resident, each ended the outing and turned the time out into silence at home (from
        that one tilt, 16 hours of it, alerted as inactivity). A second sensor within ``VISIT_GAP``
        of it is someone in the house (a door contact that missed the return, a carer with a key):
        that still ends the outing. What this gives up: someone who came home unseen by the door,
        used one thing and then collapsed is reported as not back, later than inactivity would have
        been; that alert then says what fired inside (``lone_sign``).
        """
        if at_door or not (self.out and event.ts - self.last_door > OUTING  # out a while: an outing...
                           and self._one_passage()):  # ...the door not opened since
            return False
        stray = self.stray_seen
        self.stray_seen = (event.device, event.ts, str(event.device_type), str(event.room), bool(event.active))
        return stray is None or stray[0] == event.device or event.ts - stray[1] > VISIT_GAP

    def lone_sign(self) -> tuple[datetime, str, str, bool] | None:
        """The last sensor that fired alone during the outing under way: (when, device type, room,
        whether it turned on), or None."""
        seen = self.stray_seen
        if not self.out or seen is None or self.out_since is None or seen[1] < self.out_since:
            return None
        return seen[1], seen[2], seen[3], seen[4]

    def see(self, event: SensorEvent, *, at_door: bool, visitor_leaving: bool = False) -> bool:
        """A sign of the person (not a stray one). Whether it brings them back in from out (then
        ``came_back`` learns the outing).

        With company in the house, the door is the visitor leaving: the resident is still judged at
        home (a false "out" would hide a fall).
        """
        if at_door:
            if not self.out:
                self.out_since = event.ts
            self.last_door = event.ts
            self.stray_seen = None
        was_out = self.out
        # Motion just after the door sees the person leave, when that passage through the door began
        # the time out. After the door opened while they were already out, it is them coming in.
        self.out = (at_door and not visitor_leaving) or (
            self.out and self._one_passage() and event.device_type is DeviceType.MOTION
            and event.ts - self.last_door <= LEAVING)
        return was_out and not self.out

    def _one_passage(self) -> bool:
        """The last door is the passage through it that began the time out (not opened again since)."""
        return self.out_since is not None and self.last_door - self.out_since <= LEAVING

    def came_back(self, back: datetime, *, alerted_since: datetime | None, genuine: bool = False,
                  days: int) -> bool:
        """Learn the time out that ended at ``back`` (shorter than ``OUTING``: only at the door, not
        an outing); ``alerted_since``: the quiet its not-back alert was about, if it had one, and
        ``genuine`` if a responder already found that alert genuine; ``days``: the caller's count of
        days, for forgetting nights away. Whether it was learned as an outing.

        An outing that raised not_returned is not learned as an outing (its length would widen the
        limit for the next one). If it took in a night, it still counts as a night away: the
        resident came home, and someone who spends nights away is reported the first times, not
        every time (house A of the van Kasteren recordings: a weekend away every week or two, each
        one reported again for ever). A responder's genuine verdict on it takes it back
        (``confirm``): a night lost outdoors is never a habit.
        """
        if self.out_since is None or back - self.out_since < OUTING:
            return False
        if self.over_a_night(back) and not genuine:
            began = NOT_ALERTED if alerted_since is None else alerted_since.timestamp()
            self.nights_away = [*self._recent(days), (days, began)]
        if alerted_since is None:
            self.lengths.append((back - self.out_since) / timedelta(minutes=1))
        return alerted_since is None

    def confirm(self, began: datetime) -> bool:
        """A responder found the not-back alert on the quiet that began at ``began`` genuine.
        Whether a night away was taken back."""
        nights = len(self.nights_away)
        self.nights_away = [n for n in self.nights_away if n[1] != began.timestamp()]
        return len(self.nights_away) != nights

    def over_a_night(self, now: datetime) -> bool:
        """Whether the time out since ``out_since`` takes in a night (the local hour ``NIGHT_AWAY_HOUR``)."""
        tz = ZoneInfo(self.timezone)
        left = self.out_since.astimezone(tz)
        night = datetime.combine(left.date(), time(NIGHT_AWAY_HOUR), tz)
        if night <= left:
            night += timedelta(days=1)
        return now >= night

    def _recent(self, days: int) -> list[tuple[int, float]]:
        return [n for n in self.nights_away if days - n[0] < self.window_days]

    def staying_away(self, now: datetime, days: int) -> bool:
        """Out over a night, as this person sometimes is: detected away, not "not back"."""
        return (self.out and self.out_since is not None
                and len(self._recent(days)) >= self.nights_known and self.over_a_night(now))

    def not_back(self, margin: float, quantile: float = 1.0, wider: float = 1.0) -> NotBack:
        """The limit for the outing under way: the ``quantile`` of learned outings times ``margin``,
        plus an hour, at least ``OUTINGS_FLOOR`` (``FEW_OUTINGS_FLOOR`` and the longest with fewer
        than ``OUTINGS_KNOWN`` learned: someone who seldom goes out), all times ``wider``."""
        few = len(self.lengths) < OUTINGS_KNOWN
        usual, count = upper(self.lengths, 1.0 if few else quantile) if self.lengths else (0.0, 0)
        floor = (FEW_OUTINGS_FLOOR if few else OUTINGS_FLOOR) / timedelta(minutes=1)
        limit = wider * max(usual * margin + 60, floor)
        return NotBack(limit, usual, count, len(self.lengths), FEW_OUTINGS_FLOOR if few else None)
