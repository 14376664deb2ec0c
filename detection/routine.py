"""The routine model: what is normal for *this* household, learned online from its own sensors.

One ``RoutineModel`` per household, in river's style: ``learn_one(event)`` takes each sensor event in
event time, ``check(now)`` scores the present moment on clock ticks (``detection.routine_alerts``),
and each finished day is learned as a whole (``detection.routine_days``). Both return signals.
Nothing is learned from wall-clock time, so the live service, ``telecare replay`` and the tests
agree.

What is learned, per *routine day* (15:00 to 15:00 local, so a night and the morning after it belong
to the same day):

- how long the house stays quiet once it falls quiet while the resident is at home, by the half hour
  the quiet began in and, without a bed mat, whether it began in the bedroom (inactivity,
  ``detection.quiet``);
- the time of getting up: the first activity in the kitchen or living areas after 04:00 that
  something else follows within half an hour and no bed mat within 45 minutes (a drink in the
  night and back to bed is not the morning: ``RoutineDay.note_up``); on the day itself, with a
  bed mat, leaving the bed after 04:00 for 45 minutes or more is up too;
- in which night hours the person went out of the door (night exits), and in which they were up
  in the kitchen or living areas (night wandering at home);
- how long bathroom and toilet stays last;
- how long outings last, and whether the resident sometimes stays away overnight (not returned,
  ``detection.outings``);
- daily counts for trends (night toilet visits, kitchen visits, all activity, visits to the other
  rooms): see
  ``detection.trends``.

A finished day is learned only if nothing was alerted in it, so a bad day never becomes normal. Its
quiet spells, and any quiet that was alerted on, are held back instead: one that comes back on three
days (a new routine, or outings a dead door sensor does not see) is learned then, so the model does
not alert on the same normal quiet every day for ever (``QuietSpells.hold_day``).
During the first ``learning_days`` days nothing is scored: only the safety rules fire.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from types import MappingProxyType

from river.utils import SortedWindow

from detection import routine_words as words
from detection.bed_mats import BedMats
from detection.bedtimes import Bedtimes
from detection.company import Company
from detection.mornings import Mornings
from detection.next_sign import NextSign
from detection.night_watch import RESTED, UP_ROOMS, NightWatch
from detection.outings import VISIT_GAP, Whereabouts
from detection.quiet import ANYWHERE, BEDROOM, ELSEWHERE, QuietSpells
from detection.routine_alerts import RoutineAlerts, Signal
from detection.routine_day import (
    BOTH_EDGES,
    DAY_START_HOUR,
    DOORS,
    LIVING,
    UP_FOR,
    WAKE_FROM,
    WASH,
    RoutineConfig,
    RoutineDay,
)
from detection.routine_days import RoutineDays
from detection.trends import TrendDetector
from detection.versioned import VersionedState
from telecare.domain import AlertKind, DeviceType, Room, SensorEvent

# 2: quiet spells by the time they began (detection.quiet); 3: time away per day; 4: company;
# 5: quiet spells in the bedroom and elsewhere apart; 6: night rest and outings per day (trends);
# 7: outings over a night counted (staying away); 8: alerted quiet spells held (QuietSpells state 4);
# 9: kitchen visits learned with the hours at home (a rate per hour, ``TrendDetector.exposure``)
# 10: held quiet spells remember when they began, and responders' genuine verdicts (QuietSpells 5)
# 11: usual meal times (``TrendDetector.meals``), from each day's kitchen and at-home hours
# 12: the quiet after each daytime sign (``next_sign``, ``detection.next_sign``)
# 13: motion seen alone while out is not the resident coming home (``stray``); company learns
#     overlapping motion sensors at night (Company state 2); bed mats that only pulse are not
#     occupancy mats (``detection.bed_mats``)
# 14: nights away remember whether they were alerted on, and a night out that raised not_returned
#     counts once the resident is back
# 15: in or out, outings and nights away in their own part (``detection.outings.Whereabouts``)
# 16: getting up learned only when the first morning sign is not followed by the bed
#     (``RoutineDay.note_up``)
# 17: a door opened at night waits for a sign inside before it is an exit (``exit_pending``)
# 18: the bed mats in their own part (``detection.bed_mats.BedMats``)
# 19: quiet a responder found a false alarm is learned at once (QuietSpells state 6, ``alerted_signs``)
# 20: up and about in the living areas at an unusual hour of the night (``up_days``, ``up_since``)
# 21: night exits and being up at night in their own part (``detection.night_watch.NightWatch``)
# 22: mornings alerted on are held, and learned once a responder finds not_up a false alarm (Mornings 2)
# 23: company learns overlapping motion sensors from the resident coming home too (Company state 3)
# 24: bedtimes (``detection.bedtimes``): evening quiet is taken as sleep only from this person's own bedtime
# 25: the quiet after each door or cupboard opened (``after_opening``): opened, then nothing
# 26: any one sensor firing alone while out is not the resident coming home (Whereabouts state 2)
# 27: night alerts remembered, and hours of the night a responder found a false alarm (NightWatch state 2)
# 28: moving less is judged on visits to the rooms of daily living too, not only on sensor activations
STATE_VERSION = 28

# Local hours: quiet after a sign then, outside the bedroom, is learned and judged by the sign.
_DAYTIME_SIGNS = (8, 20)
_NOT_LEFT_OPEN = DOORS | {Room.BEDROOM}  # doors and cupboards whose opening is not judged by it
_SIGNS_KEPT = 16  # alerted quiet spells after a sign remembered for a responder's verdict


class RoutineModel(RoutineAlerts, RoutineDays, VersionedState):
    """One household's learned routine and the acute and trend detectors built on it.

    Parameters
    ----------
    hub
        The household's hub id.
    timezone
        IANA zone of the home: slots and summaries use its local clock.
    config
        Learning period and margins.

    Examples
    --------
    Two weeks of a very regular resident: up at 07:00, busy every 30 minutes until 22:00.

    >>> from datetime import datetime, timedelta, UTC
    >>> from telecare.domain import SensorEvent, DeviceType, Room
    >>> m = RoutineModel("h-1", "UTC", RoutineConfig(learning_days=14))
    >>> def ev(t, room=Room.KITCHEN):
    ...     return SensorEvent("h-1", "m-" + room, DeviceType.MOTION, room, t, 1.0)
    >>> day0 = datetime(2026, 1, 5, tzinfo=UTC)
    >>> for d in range(16):
    ...     for k in range(31):
    ...         _ = m.learn_one(ev(day0 + timedelta(days=d, hours=7, minutes=30 * k)))
    ...     _ = m.check(day0 + timedelta(days=d, hours=23))
    >>> m.monitoring
    True

    Day 17: last seen at 10:42, then nothing.

    >>> t = day0 + timedelta(days=16, hours=7)
    >>> for k in range(8):
    ...     _ = m.learn_one(ev(t + timedelta(minutes=30 * k)))
    >>> _ = m.learn_one(ev(day0 + timedelta(days=16, hours=10, minutes=42)))
    >>> m.check(day0 + timedelta(days=16, hours=11, minutes=40))
    []
    >>> [s.summary for s in m.check(day0 + timedelta(days=16, hours=11, minutes=50))]
    ['No movement since 10:42 (1 h 08 min). When the house fell quiet around this time of day (80 times in recent weeks), it stayed quiet for at most 30 min. Last seen in the kitchen.']
    """

    STATE_VERSION = STATE_VERSION  # pickled with the state (``VersionedState``)
    # This morning's getting-up limit (day start, (window, usual, count) or None): the learned
    # mornings change only when a day ends, and a tick asks every minute until the person is up.
    CACHES = ("tolerance",)
    # How much wider than learned each kind's limit is, from responders' verdicts
    # (``detection.feedback``): kind -> factor. Read from the alerts, so not part of the state.
    tolerance: MappingProxyType[str, float] | dict[str, float] = MappingProxyType({})

    def __init__(self, hub: str, timezone: str, config: RoutineConfig | None = None) -> None:
        self.hub = hub
        self.timezone = timezone
        self.config = config or RoutineConfig()
        self.days_seen = 0
        self.day: RoutineDay | None = None
        self.last_presence: datetime | None = None
        self.last_room: str | None = None
        self.where = Whereabouts(self.config.window_days, timezone)  # in or out, outings, nights away
        self.where.nights_known = self.config.nights_away_known
        self.bed = BedMats()  # in bed, where long quiet is sleep; and whether the mats can tell
        self.room_since: datetime | None = None
        self.rest_from: datetime | None = None  # the last sign of the person other than a bed mat
        self.last_kitchen: datetime | None = None
        self.last_in_room: dict[str, datetime] = {}  # each room's last sign, for counting visits
        self.last_wash: datetime | None = None
        w = self.config.window_days
        c = self.config
        self.quiet = QuietSpells(
            w, timezone, margin=c.quiet_margin, extra=c.quiet_extra / timedelta(minutes=1),
            floor=c.quiet_floor / timedelta(minutes=1), cap=c.inactivity_cap / timedelta(minutes=1))
        self.spell_counts = False  # the quiet since the last sign is at home and awake: learn it
        self.next_sign = NextSign(w, margin=c.sign_margin, extra=c.sign_extra / timedelta(minutes=1),
                                  floor=c.quiet_floor / timedelta(minutes=1), min_days=c.sign_min_days)
        self.last_sign = ""  # "device:1" opened (or seen), "device:0" closed; "" outside the daytime
        self.last_sign_type: DeviceType | None = None  # its device type, for the summary's words
        # The quiet after a door or cupboard inside opened, at any hour, by the door: nothing
        # follows, not even its closing (``RoutineConfig.opened_min_days``).
        self.after_opening = NextSign(w, margin=c.sign_margin, extra=c.sign_extra / timedelta(minutes=1),
                                      floor=c.quiet_floor / timedelta(minutes=1), min_days=c.opened_min_days)
        self.last_opened = ""  # the last sign was this door or cupboard opening: it is open still
        # Alerted quiet spells that began after a sign and have ended (began, epoch seconds; the
        # sign; the door opened; minutes), newest last: a responder's later false-alarm verdict
        # teaches the sign and the door too.
        self.alerted_signs: list[tuple[float, str, str, float]] = []
        self.mornings = Mornings(w)
        self.bedtimes = Bedtimes(w)
        self.night = NightWatch(timezone, w, c.door_rare_fraction, c.exit_after, c.up_at_night)  # night wandering
        self.stays = SortedWindow(8 * w)
        self.trends = TrendDetector(w, self.config.learning_days)
        self.open: dict[str, str] = {}  # kind -> key of the open episode
        self.resumed_at: datetime | None = None  # the hub came back online
        self.silence_alerted: datetime | None = None  # the quiet since then has had its absence alert
        self.company = Company()  # a visitor or carer in the house (activity in two rooms at once)

    # ------------------------------------------------------------------ learning side
    @property
    def monitoring(self) -> bool:
        return self.days_seen >= self.config.learning_days

    def learn_one(self, event: SensorEvent) -> list[Signal]:
        """Take one event (event time); returns signals it causes at once (door at night, clears)."""
        if not event.device_type.shows_presence or not (
            event.active or event.device_type in BOTH_EDGES
        ):
            return []
        ts = event.ts
        if self.last_presence is not None and ts <= self.last_presence:
            return []  # late: time never moves backwards
        if event.device_type is DeviceType.BED:
            self.bed.note(event)
        signals = self._roll(ts)
        day = self.day
        assert day is not None
        hours = (ts - day.start).total_seconds() / 3600
        day.note_home(hours, self._home)
        self._count_unseen(day, ts)
        if self.where.stray(event, at_door=event.room in DOORS):
            return signals
        room = event.room
        if event.device_type is not DeviceType.BED:  # turning over in bed is still rest
            # Rested at night: out of a bed whose mat shows lying just now, or (no such mat) an hour
            # or more of quiet that began in the bedroom.
            out_of_bed = self.has_bed and self.bed.up_since is not None and ts - self.bed.up_since <= VISIT_GAP
            quiet = self.rest_from is not None and ts - self.rest_from >= RESTED
            rested = ((out_of_bed or quiet) and self.last_room == Room.BEDROOM and not self.where.out
                      and int((DAY_START_HOUR + hours) % 24) in self.config.night_hours)
            self.night.sign(ts, room, rested, self.rest_from)
            if self.rest_from is not None:
                day.note_quiet(self.rest_from, ts, self.where.out)
            self.rest_from = ts
        if (  # with a bed mat, getting up is leaving the bed for 45 minutes or more
            day.wake is None and self.has_bed and (up_since := self.bed.up_since) is not None
            and ts - up_since >= UP_FOR and up_since >= day.start + timedelta(hours=WAKE_FROM)
        ):
            day.wake = (up_since - day.start).total_seconds() / 3600
            signals += self._clear(AlertKind.NOT_UP, ts, "Up and about")
        # Quiet that ends now and had an absence alert is held back, whichever day it ends in: learned
        # only if quiet like it comes back on other days (``QuietSpells.hold_day``).
        if self.spell_counts:
            minutes = (ts - self.last_presence) / timedelta(minutes=1)
            if self._alerted_quiet:
                self.quiet.hold(self.last_presence, minutes, self._quiet_place)
                if self.last_sign or self.last_opened:
                    self.alerted_signs = [*self.alerted_signs, (self.last_presence.timestamp(), self.last_sign,
                                                                self.last_opened, minutes)][-_SIGNS_KEPT:]
            else:
                self.quiet.note(day.spells, self.last_presence, minutes, self._quiet_place)
                day.note_rest(self.last_presence, minutes, self.last_room)
            # Learned whether or not the quiet was alerted on, as long as the time of day's limit
            # would not have alerted: a sign's first long quiet (groceries put away, then an hour
            # with a book) alerts once, not every time; alerted quiet is learned at once, the rest
            # at the day's end. Quiet past that limit is never learned here.
            signs = self._signs
            if signs and (minutes <= self.quiet.floor  # never past the limit: skip working it out
                          or minutes <= self.quiet.limit(self.last_presence, self._quiet_judged_by).limit):
                for learned, sign in signs:
                    learned.learn_one(sign, minutes, now=self._alerted_quiet)
        day.activity += 1
        local_hour = (DAY_START_HOUR + hours) % 24
        if hours >= WAKE_FROM and (event.active or event.device_type is not DeviceType.BED):
            back_to_bed = day.back_to_bed
            day.note_up(hours, event.device, event.device_type is DeviceType.BED and event.active,
                        room in LIVING and room not in DOORS)
            if back_to_bed and not day.back_to_bed:
                signals += self._clear(AlertKind.NOT_UP, ts, "Activity in the morning")
        if room in LIVING and day.wake is None and hours >= WAKE_FROM:
            day.wake = hours
            signals += self._clear(AlertKind.NOT_UP, ts, "Activity in the morning")
        if room != self.last_room:
            if self.last_room in WASH and self.room_since is not None:
                if self.silence_alerted is None or self.silence_alerted < self.room_since:
                    day.stays.append((ts - self.room_since).total_seconds() / 60)
                signals += self._clear(AlertKind.LONG_BATHROOM, ts, "Left the bathroom")
            self.room_since = ts
        if room in WASH:
            # A night toilet visit: the first bathroom or toilet event in 15 minutes, 00:00-06:00.
            if local_hour < 6 and (self.last_wash is None or ts - self.last_wash > VISIT_GAP):
                day.night_toilet += 1
            self.last_wash = ts
        if event.active and room not in WASH and room not in DOORS and event.device_type is not DeviceType.BED:
            # Moving about the home: a visit to a room is its first sign in 15 minutes. Not the
            # toilet and the bathroom (the night toilet trend's), the doors (outings'), nor turning
            # over on a bed mat.
            last = self.last_in_room.get(str(room))
            if last is None or ts - last > VISIT_GAP:
                day.visits += 1
            self.last_in_room[str(room)] = ts
        if room == Room.KITCHEN:
            if self.last_kitchen is None or ts - self.last_kitchen > VISIT_GAP:
                day.kitchen += 1
                day.kitchen_at |= 1 << min(23, int(hours))
            self.last_kitchen = ts
        if event.active:
            self.company.note(room, event.device_type, ts, night=local_hour < 5)
        self.company.sign(ts, at_door=room in DOORS)
        visitor_leaving = room in DOORS and self.company.present(ts)
        if visitor_leaving:
            self.company.visitor_left(ts)
        if (room in DOORS and event.active and not self.where.out and not visitor_leaving
                and int(local_hour) in self.config.night_hours):
            self.night.door(event, int(local_hour))
        if "inactivity" in self.open:
            signals += self._clear(AlertKind.INACTIVITY, ts, "Movement resumed" + words.where(room))
        if room in UP_ROOMS and int(local_hour) in self.config.night_hours:
            up = self.night.up(ts, room, int(local_hour))
            signals += self._night_wandering(up, ts, partial(words.up_at_night, self.night.up_rooms))
        self.last_presence = ts
        self.last_room = str(room)
        self.last_sign = ""
        # Not the bedroom's: rest may begin after any sign there, a door left open with it.
        opened = event.device_type is DeviceType.CONTACT and event.active and room not in _NOT_LEFT_OPEN
        self.last_opened = event.device if opened else ""
        if _DAYTIME_SIGNS[0] <= local_hour < _DAYTIME_SIGNS[1] and room != Room.BEDROOM:
            self.last_sign = f"{event.device}:{event.active:d}"
            self.last_sign_type = event.device_type
        if self.where.out and room not in DOORS and self.where.out_since is not None:
            signals += self._clear(AlertKind.NOT_RETURNED, ts, "Back home")
        # Out: the last sign was at the door (``detection.outings``). A day's outings are counted
        # once, when the person is surely in (a motion sensor by the door may see them come in and
        # still be read as leaving).
        if self.where.see(event, at_door=room in DOORS, visitor_leaving=visitor_leaving):
            self._count_away(day, ts)
            since = self.silence_alerted
            alerted = since if since is not None and since >= self.where.out_since else None
            genuine = alerted is not None and alerted.timestamp() in self.quiet.confirmed
            day.outings += self.where.came_back(ts, alerted_since=alerted, genuine=genuine, days=self.days_seen)
        if not self.where.out:
            self.night.seen_inside()  # after the door: looking out, or coming home
        self.spell_counts = not self.where.out and not self.in_bed
        return signals

    def hub_status(self, online: bool, at: datetime) -> None:
        """The hub went offline or came back: a day with a gap is not learned, and quiet restarts."""
        if self.day is not None:
            self.day.flagged = self.day.gap = True
        if online:
            self.resumed_at = at

    def note_alert(self, ts: datetime) -> None:
        """Another monitor alerted about the person at ``ts``: do not learn that day as normal."""
        if self.day is not None and self.day.start <= ts < self.day.end:
            self.day.flagged = self.day.gap = True

    # ------------------------------------------------------------------ where the person is
    @property
    def in_bed(self) -> bool:
        """A bed mat is pressed and nothing outside the bedroom has been seen since.

        A mat that stays on while the person is seen in the kitchen is a bag on the bed, not sleep.
        """
        return self.has_bed and self.bed.pressed_now and self.last_room == Room.BEDROOM

    @property
    def has_bed(self) -> bool:
        """The home has a bed mat that shows someone lying on it (``detection.bed_mats``)."""
        return self.bed.shows_lying

    @property
    def _signs(self) -> list[tuple[NextSign, str]]:
        """What learns the quiet after the last sign (``_learners``)."""
        return self._learners(self.last_sign, self.last_opened)

    def _learners(self, sign: str, opened: str) -> list[tuple[NextSign, str]]:
        """What learns the quiet after a sign, and under which key: the sign by day outside the
        bedroom (``next_sign``), and the door or cupboard it opened (``after_opening``)."""
        return [(learned, key) for learned, key in ((self.next_sign, sign), (self.after_opening, opened)) if key]

    @property
    def _quiet_place(self) -> int:
        """Where the quiet since the last sign began, as ``detection.quiet`` tells places apart."""
        return BEDROOM if self.last_room == Room.BEDROOM else ELSEWHERE

    @property
    def _quiet_judged_by(self) -> int:
        """Which learned spells judge the quiet now. With a bed mat, sleep is seen and never learned
        as quiet, so a spell that began in the bedroom is no different: all spells are pooled.
        Without one, the bedroom stands in for the bed (back to bed after the toilet at 07:00)."""
        return ANYWHERE if self.has_bed else self._quiet_place

    def staying_away(self, now: datetime) -> bool:
        """Out over a night, as this person sometimes is: detected away, not "not back"."""
        return self.where.staying_away(now, self.days_seen)
