"""The routine model's settings, and what it gathers about the routine day in progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from detection.outings import NIGHTS_AWAY_KNOWN
from telecare.domain import DeviceType, Room

UP_FOLLOWED, UP_SETTLED = 0.5, 0.75  # hours: see ``RoutineDay.note_up``
DAY_START_HOUR = 15  # a routine day runs from 15:00 to 15:00 local: a night and its morning
# The night, for sleep: 20:00 to 11:00 at the latest, as offsets into a routine day (from 15:00).
NIGHT_FROM, NIGHT_UNTIL = timedelta(hours=5), timedelta(hours=20)
REST_STRETCH = timedelta(hours=1)  # quiet shorter than this is not rest (up and about, or dozing)
WAKE_FROM = (4 - DAY_START_HOUR) % 24  # getting up counts from 04:00, in hours into the day
EVENING = (20 - DAY_START_HOUR) % 24  # 20:00, in hours into the day
WASH = frozenset({Room.BATHROOM, Room.TOILET})
LIVING = frozenset({Room.KITCHEN, Room.LIVING_ROOM, Room.DINING_ROOM, Room.FRONT_DOOR, Room.BACK_DOOR})
DOORS = frozenset({Room.FRONT_DOOR, Room.BACK_DOOR})
# Device types whose closing (or letting go) is a sign of the person too, not only their opening.
BOTH_EDGES = frozenset({DeviceType.CONTACT, DeviceType.BED, DeviceType.CHAIR, DeviceType.APPLIANCE})
# A care plan's night exit delay (``RoutineConfig.exit_after``) is at most this many minutes: longer,
# and someone gone out into the night is no longer news in time.
LONGEST_NIGHT_EXIT_AFTER = 60
UP_FOR = timedelta(minutes=45)  # out of bed this long is up; events further apart are separate visits
NIGHT_REST = timedelta(hours=3)  # quiet at home this long in the evening is the night's rest...
BEDTIME_FROM = 3.0  # ...when it began from 18:00 (hours into the routine day): ``detection.bedtimes``


@dataclass(frozen=True, slots=True)
class RoutineConfig:
    """How the routine model learns and how far from normal counts as trouble.

    Parameters
    ----------
    learning_days
        Days observed before the model scores anything (the safety rules fire meanwhile).
    window_days
        How many learned days make "normal" (older days are forgotten).
    wake_quantile
        Which quantile of the learned getting-up times is "usual".
    quiet_margin, quiet_extra, quiet_floor
        Inactivity limit = max(``quiet_floor``, longest * ``quiet_margin`` + ``quiet_extra``), where
        longest is the longest learned quiet spell that began within an hour of this one.
    inactivity_cap
        The safety rules' absolute limit: the learned limit never exceeds it, except at the times
        when the house usually stays quiet even longer (asleep with no bed sensor; by day, 09:00 to
        19:00, only for quiet that began in the bedroom), and it is the limit where too little is
        learned.
    wake_margin
        Not up: this long after the usual latest getting-up time.
    bathroom_floor, bathroom_margin
        Long bathroom stay: longer than both the floor and the longest usual stay times the margin.
    night_hours
        Local hours in which a door opening can be a night exit.
    outing_quantile
        Not returned: out longer than this quantile of learned outings (the longest, by default)
        times ``quiet_margin``, plus an hour, and at least 3 h.
    sign_margin, sign_extra, sign_min_days
        Quiet after a daytime sign (a cupboard closed, the toilet flushed) is also judged by that
        sign: longer than max(``quiet_floor``, the longest quiet after it * ``sign_margin`` +
        ``sign_extra``), once it was seen on ``sign_min_days`` learned days (``detection.next_sign``).
        Wider than the time of day's margins: a sign has fewer days behind it, and one day's long
        quiet after it is not yet in them.
    opened_min_days
        Quiet since a door or cupboard was opened (not a front or back door, nor in the bedroom),
        with nothing since, not even its closing, is also judged by that door: longer than
        max(``quiet_floor``, the longest quiet after it opened * ``sign_margin`` + ``sign_extra``),
        at any hour and without the evening's floor, once it was opened on this many learned days.
        Fewer days than a sign by day needs: after an opening its closing follows within seconds,
        and a long quiet after it means the door was left open while the person sat still.
    evening_floor
        In a home without a bed mat that shows lying, quiet that began from 20:00 and is not taken as
        sleep (before this person's usual bedtime, or in the kitchen or living areas when the night
        never begins there: ``detection.bedtimes``) is judged by the time of day's limit, but never
        sooner than this: an evening in front of the television in a room without a sensor looks
        the same, and two weeks' learning seldom holds one.
    still_night
        With bed mats that only pulse when the person moves on them, sleep shows on the mat, and
        quiet from 20:00 until the usual getting-up time with not even a pulse is judged, never
        sooner than this (someone sound asleep lies still for hours).
    door_rare_fraction
        A night exit is unusual if one was seen in the same hour on at most this fraction of learned
        days. A door opening while the person seems out (the last sign was the door) is a return,
        not an exit.
    exit_after
        Such a door opening is an exit once nothing inside has been seen for this long after it:
        someone who opens the door to look out, or comes home while the sensors had them in, is
        seen inside again within it.
    nights_away_known
        After this many nights away in the learned weeks, a night out is staying away, not "not
        back" (``Whereabouts.staying_away``); a home's care plan may set its own, 1 to 28.
    up_at_night
        Up and about in a night hour: signs in the kitchen or living areas, none more than 15
        minutes apart, for this long, at an hour in which such signs were seen on at most
        ``door_rare_fraction`` of learned days (a drink of water is over sooner).
    """

    learning_days: int = 14
    window_days: int = 28
    wake_quantile: float = 0.9
    quiet_margin: float = 1.5
    quiet_extra: timedelta = timedelta(minutes=20)
    quiet_floor: timedelta = timedelta(minutes=45)
    inactivity_cap: timedelta = timedelta(hours=6)
    wake_margin: timedelta = timedelta(minutes=60)
    bathroom_floor: timedelta = timedelta(minutes=45)
    bathroom_margin: float = 1.3
    night_hours: tuple[int, ...] = (23, 0, 1, 2, 3, 4)
    door_rare_fraction: float = 0.1
    exit_after: timedelta = timedelta(minutes=5)
    up_at_night: timedelta = timedelta(minutes=20)
    outing_quantile: float = 1.0
    sign_margin: float = 2.5
    sign_extra: timedelta = timedelta(minutes=30)
    sign_min_days: int = 12
    opened_min_days: int = 5
    evening_floor: timedelta = timedelta(hours=3)
    still_night: timedelta = timedelta(hours=5)
    nights_away_known: int = NIGHTS_AWAY_KNOWN


@dataclass(slots=True)
class RoutineDay:
    """What is gathered about the routine day in progress."""

    start: datetime
    end: datetime
    weekend: bool  # the morning is a Saturday or Sunday
    spells: dict[int, float] = field(default_factory=dict)  # half hour begun -> longest quiet, minutes
    wake: float | None = None  # hours after the day's start
    up: float | None = None  # getting up as learned (``note_up``), hours after the day's start
    up_from: tuple[float, str, bool] | None = None  # (hours, device, followed): a sign that may be it
    back_to_bed: bool = False  # the first such sign was followed by the bed, and none since: not up
    stays: list[float] = field(default_factory=list)  # bathroom stays, minutes
    night_toilet: int = 0
    kitchen: int = 0
    activity: int = 0
    visits: int = 0  # visits to rooms but the toilet, bathroom and doors (``RoutineModel``)
    away: float = 0.0  # minutes out of the house
    unseen: float = 0.0  # minutes of quiet at home that raised an absence alert: whereabouts unknown
    gap: bool = False  # the hub was offline, or another monitor alerted: the day's counts say little
    flagged: bool = False  # something was alerted: do not learn this day
    not_up_since: datetime | None = None  # not up was alerted, about the quiet since then
    # The night's rest began: hours after the day's start, and in which room (``detection.bedtimes``)
    bedtime: tuple[float, str] | None = None
    home_at_start: bool = True  # the resident was not out when the day began
    night_rest: float = 0.0  # minutes quiet at home in long stretches, 20:00 until getting up
    night_out: bool = False  # out at some time between 20:00 and getting up
    outings: int = 0  # times out of the house for 10 minutes or more, ended this day
    kitchen_at: int = 0  # bit mask of the day's hours (from its start) in which a kitchen visit began
    home_at: int = 0  # bit mask of the day's hours that began with the resident at home...
    hours_noted: int = 0  # ...noted for this many hours so far

    def note_up(self, hours: float, device: str, bed: bool, living: bool) -> None:
        """Getting up, as the routine learns it: the first sign in the kitchen or living areas (not
        the door) that something else follows within ``UP_FOLLOWED`` and no bed press follows within
        ``UP_SETTLED`` (``bed``: this sign is a bed mat pressed). A drink at 04:06 and back to bed is
        not the morning: learned as one, it makes the usual getting-up time too early to mean
        anything (house B of the van Kasteren recordings: half his "mornings" were at 04:00-05:20),
        and until another sign in the kitchen the person is not up (``back_to_bed``).

        >>> from datetime import UTC, datetime
        >>> day = RoutineDay(datetime(2026, 1, 1, 15, tzinfo=UTC), datetime(2026, 1, 2, 15, tzinfo=UTC), False)
        >>> day.note_up(13.1, "kitchen", False, True)   # 04:06, a drink
        >>> day.note_up(13.3, "bed", True, False)       # back to bed
        >>> day.back_to_bed
        True
        >>> day.note_up(17.0, "kitchen", False, True)   # 08:00
        >>> day.note_up(17.2, "fridge", False, True)
        >>> day.up is None, day.note_up(18.0, "kitchen", False, True), day.up
        (True, None, 17.0)
        """
        if self.up is not None:
            return
        if self.up_from is not None:
            began, first, followed = self.up_from
            if hours - began >= UP_SETTLED:
                self.up_from = None
                if followed:
                    self.up = began
                    return
            elif bed:
                self.up_from, self.back_to_bed = None, True
            elif not followed and device != first and hours - began <= UP_FOLLOWED:
                self.up_from = (began, first, True)
        if self.up_from is None and living and not bed:
            self.up_from, self.back_to_bed = (hours, device, False), False

    def note_home(self, hours: float, home: bool) -> None:
        """The resident has been at home (or not) since the last call, up to ``hours`` into the day:
        note it for every hour of the day that began meanwhile (24: to the day's end).

        >>> from datetime import UTC
        >>> day = RoutineDay(datetime(2026, 1, 1, 15, tzinfo=UTC), datetime(2026, 1, 2, 15, tzinfo=UTC), False)
        >>> day.note_home(2.5, True)  # home at 15:00, 16:00, 17:00
        >>> day.note_home(5.1, False)  # out at 18:00, 19:00, 20:00
        >>> day.note_home(6.0, True)  # back by 21:00
        >>> f"{day.home_at:b}", day.hours_noted
        ('1000111', 7)
        """
        began = min(24, int(hours) + 1)  # hours of the day begun by then
        if home and began > self.hours_noted:
            self.home_at |= ((1 << began) - 1) & ~((1 << self.hours_noted) - 1)
        self.hours_noted = max(self.hours_noted, began)

    def note_rest(self, since: datetime, minutes: float, room: str) -> None:
        """Quiet at home, awake as far as anyone can tell, from ``since`` for ``minutes`` after a
        sign in ``room``: the first such quiet of ``NIGHT_REST`` or more that began from 18:00, and
        before getting up counts, is the night's rest, and its start this day's bedtime."""
        began = (since - self.start) / timedelta(hours=1)
        if self.bedtime is None and minutes >= NIGHT_REST / timedelta(minutes=1) and BEDTIME_FROM <= began < WAKE_FROM:
            self.bedtime = (began, room)

    def note_quiet(self, since: datetime, until: datetime, out: bool) -> None:
        """No sign of the person (bed mats aside) from ``since`` to ``until``: rest, if at home at
        night before getting up, in a stretch of an hour or more."""
        if self.wake is not None:
            return
        low = max(since, self.start + NIGHT_FROM)
        high = min(until, self.start + NIGHT_UNTIL)
        if high <= low:
            return
        if out:
            self.night_out = True
        elif until - since >= REST_STRETCH:
            self.night_rest += (high - low) / timedelta(minutes=1)

    @property
    def rest_hours(self) -> float | None:
        """Hours of rest last night; ``None`` when this day says nothing about sleep (out at some
        time that night, or never seen up). Out when the day began (at work at 15:00) is no matter."""
        if self.wake is None or self.night_out:
            return None
        return round(self.night_rest / 60, 2)
