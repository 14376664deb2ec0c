"""The routine model: what is normal for *this* household, learned online from its own sensors.

One ``RoutineModel`` per household, in river's style: ``learn_one(event)`` takes each sensor event in
event time, ``check(now)`` scores the present moment on clock ticks. Both return signals. Nothing is
learned from wall-clock time, so the live service, ``telecare replay`` and the tests agree.

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
- daily counts for trends (night toilet visits, kitchen visits, all activity): see
  ``detection.trends``.

A finished day is learned only if nothing was alerted in it, so a bad day never becomes normal. Its
quiet spells, and any quiet that was alerted on, are held back instead: one that comes back on three
days (a new routine, or outings a dead door sensor does not see) is learned then, so the model does
not alert on the same normal quiet every day for ever (``QuietSpells.hold_day``).
During the first ``learning_days`` days nothing is scored: only the safety rules fire.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from functools import partial
from types import MappingProxyType
from zoneinfo import ZoneInfo

from river.utils import SortedWindow

from detection import routine_words as words
from detection.bed_mats import BedMats
from detection.company import Company
from detection.mornings import Mornings
from detection.next_sign import NextSign
from detection.night_watch import RESTED, UP_ROOMS, NightWatch, Unusual
from detection.outings import VISIT_GAP, Whereabouts
from detection.quiet import ANYWHERE, BEDROOM, ELSEWHERE, QuietLimit, QuietSpells, upper
from detection.routine_day import DAY_START_HOUR, RoutineConfig, RoutineDay
from detection.trends import TrendDetector
from detection.versioned import VersionedState
from detection.wording import local_time
from telecare.domain import (
    AlertCategory,
    AlertKind,
    AlertSignal,
    ClearSignal,
    DeviceType,
    Room,
    SensorEvent,
)

Signal = AlertSignal | ClearSignal

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
STATE_VERSION = 22

_BOTH_EDGES = frozenset({DeviceType.CONTACT, DeviceType.BED, DeviceType.CHAIR, DeviceType.APPLIANCE})
_LIVING = frozenset({Room.KITCHEN, Room.LIVING_ROOM, Room.DINING_ROOM, Room.FRONT_DOOR, Room.BACK_DOOR})
_WASH = frozenset({Room.BATHROOM, Room.TOILET})
_DOORS = frozenset({Room.FRONT_DOOR, Room.BACK_DOOR})
# Absence alerts: about quiet (also read by ``detection.feedback`` for responders' verdicts).
ABSENCE = frozenset({AlertKind.INACTIVITY, AlertKind.NOT_UP, AlertKind.NOT_RETURNED, AlertKind.LONG_BATHROOM})
_STIRRING = timedelta(minutes=30)
_UP_FOR = timedelta(minutes=45)  # events further apart than this are separate visits
_WAKE_FROM = (4 - DAY_START_HOUR) % 24  # getting up counts from 04:00, in hours into the day
_EVENING = (20 - DAY_START_HOUR) % 24  # 20:00, in hours into the day
# Local hours: quiet after a sign then, outside the bedroom, is learned and judged by the sign.
_DAYTIME_SIGNS = (8, 20)
_SIGNS_KEPT = 16  # alerted quiet spells after a sign remembered for a responder's verdict


class RoutineModel(VersionedState):
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
        self.bed = BedMats()  # in bed, where long quiet is sleep; and whether the mats can tell
        self.room_since: datetime | None = None
        self.rest_from: datetime | None = None  # the last sign of the person other than a bed mat
        self.last_kitchen: datetime | None = None
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
        # Alerted quiet spells that began after a sign and have ended (began, epoch seconds; the
        # sign; minutes), newest last: a responder's later false-alarm verdict teaches the sign too.
        self.alerted_signs: list[tuple[float, str, float]] = []
        self.mornings = Mornings(w)
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
            event.active or event.device_type in _BOTH_EDGES
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
        if self.where.stray(event):
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
            and ts - up_since >= _UP_FOR and up_since >= day.start + timedelta(hours=_WAKE_FROM)
        ):
            day.wake = (up_since - day.start).total_seconds() / 3600
            signals += self._clear(AlertKind.NOT_UP, ts, "Up and about")
        # Quiet that ends now and had an absence alert is held back, whichever day it ends in: learned
        # only if quiet like it comes back on other days (``QuietSpells.hold_day``).
        if self.spell_counts:
            minutes = (ts - self.last_presence) / timedelta(minutes=1)
            if self._alerted_quiet:
                self.quiet.hold(self.last_presence, minutes, self._quiet_place)
                if self.last_sign:
                    self.alerted_signs = [*self.alerted_signs, (self.last_presence.timestamp(), self.last_sign,
                                                                minutes)][-_SIGNS_KEPT:]
            else:
                self.quiet.note(day.spells, self.last_presence, minutes, self._quiet_place)
            # Learned whether or not the quiet was alerted on, as long as the time of day's limit
            # would not have alerted: a sign's first long quiet (groceries put away, then an hour
            # with a book) alerts once, not every time; alerted quiet is learned at once, the rest
            # at the day's end. Quiet past that limit is never learned here.
            if self.last_sign and (minutes <= self.quiet.floor  # never past the limit: skip working it out
                                   or minutes <= self.quiet.limit(self.last_presence, self._quiet_judged_by).limit):
                self.next_sign.learn_one(self.last_sign, minutes, now=self._alerted_quiet)
        day.activity += 1
        local_hour = (DAY_START_HOUR + hours) % 24
        if hours >= _WAKE_FROM and (event.active or event.device_type is not DeviceType.BED):
            back_to_bed = day.back_to_bed
            day.note_up(hours, event.device, event.device_type is DeviceType.BED and event.active,
                        room in _LIVING and room not in _DOORS)
            if back_to_bed and not day.back_to_bed:
                signals += self._clear(AlertKind.NOT_UP, ts, "Activity in the morning")
        if room in _LIVING and day.wake is None and hours >= _WAKE_FROM:
            day.wake = hours
            signals += self._clear(AlertKind.NOT_UP, ts, "Activity in the morning")
        if room != self.last_room:
            if self.last_room in _WASH and self.room_since is not None:
                if self.silence_alerted is None or self.silence_alerted < self.room_since:
                    day.stays.append((ts - self.room_since).total_seconds() / 60)
                signals += self._clear(AlertKind.LONG_BATHROOM, ts, "Left the bathroom")
            self.room_since = ts
        if room in _WASH:
            # A night toilet visit: the first bathroom or toilet event in 15 minutes, 00:00-06:00.
            if local_hour < 6 and (self.last_wash is None or ts - self.last_wash > VISIT_GAP):
                day.night_toilet += 1
            self.last_wash = ts
        if room == Room.KITCHEN:
            if self.last_kitchen is None or ts - self.last_kitchen > VISIT_GAP:
                day.kitchen += 1
                day.kitchen_at |= 1 << min(23, int(hours))
            self.last_kitchen = ts
        if event.active:
            self.company.note(room, event.device_type, ts, night=local_hour < 5)
        visitor_leaving = room in _DOORS and self.company.present(ts)
        if (room in _DOORS and event.active and not self.where.out and not visitor_leaving
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
        if _DAYTIME_SIGNS[0] <= local_hour < _DAYTIME_SIGNS[1] and room != Room.BEDROOM:
            self.last_sign = f"{event.device}:{event.active:d}"
            self.last_sign_type = event.device_type
        if self.where.out and room not in _DOORS and self.where.out_since is not None:
            signals += self._clear(AlertKind.NOT_RETURNED, ts, "Back home")
        # Out: the last sign was at the door (``detection.outings``). A day's outings are counted
        # once, when the person is surely in (a motion sensor by the door may see them come in and
        # still be read as leaving).
        if self.where.see(event, at_door=room in _DOORS, visitor_leaving=visitor_leaving):
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

    # ------------------------------------------------------------------ scoring side
    def check(self, now: datetime) -> list[Signal]:
        """Score the present moment: inactivity, not up, long bathroom stay. Cheap: run it often."""
        signals = self._roll(now)
        if (out := self.night.gone_out(now)) is not None:
            door, unusual = out
            signals += self._night_wandering(unusual, now, partial(words.night_door, door.device, door.room))
        if not self.monitoring or self.last_presence is None:
            return signals
        if self.silence_alerted == self.last_presence:
            return signals  # one silence, one alert: not "not up" again every morning it lasts
        if self.where.out:
            return signals + self._check_out(now)
        day = self.day
        assert day is not None
        seen = self.last_presence
        if self.resumed_at is not None and self.resumed_at > seen:
            seen = self.resumed_at  # the hub was offline: nothing could be seen before it came back
        quiet = now - seen
        hours = (now - day.start).total_seconds() / 3600
        # Up, unless the first sign of the morning was followed by lying down again on a bed mat
        # that shows it (a mat that only pulses is pressed whenever he turns over: no such news).
        up = day.wake is not None and not (day.back_to_bed and self.has_bed)
        morning = None if up else self.mornings.limit(day.weekend, day.start, self.config.wake_quantile)
        if morning is not None:
            wake, usual, count = morning
            latest = usual + self._widen(AlertKind.NOT_UP) * self.config.wake_margin.total_seconds() / 3600
            # Seen in the last half hour outside the bedroom (washing, dressing): up, not yet in
            # the kitchen. Someone who falls there goes quiet, and is judged then.
            stirring = quiet < _STIRRING and self.last_room != Room.BEDROOM
            if hours >= _WAKE_FROM and hours > latest and not stirring:
                signals += self._not_up(now, usual, count, wake)
            # No bed sensor, quiet since after 20:00 and not yet the latest usual getting-up time:
            # probably asleep, and a long night is not_up's to judge. (With a bed sensor: in_bed.)
            since = (self.last_presence - day.start).total_seconds() / 3600
            asleep = not self.has_bed and hours <= latest and _EVENING <= since < latest
        else:
            asleep = False
        # Not widened by false alarms: the quiet they were about is learned instead (``dismiss_quiet``).
        limit = self._quiet_limit(seen)
        if quiet / timedelta(minutes=1) > limit.limit and not self.in_bed and not asleep:
            signals += self._inactivity(now, quiet, limit)
        # The bathroom is judged when the person is up: out of bed, or (no bed sensor) went in at a
        # time when the house does not usually fall quiet for long (not on the way to bed).
        if self.last_room in _WASH and self.room_since is not None and len(self.stays) >= 10 and (
            not self.in_bed if self.has_bed else 0 <= self.quiet.limit(self.room_since, ANYWHERE).usual < 120
        ):
            stay = now - self.room_since
            usual, count = upper(self.stays, 1.0)
            limit_b = self._widen(AlertKind.LONG_BATHROOM) * max(
                self.config.bathroom_floor.total_seconds() / 60, usual * self.config.bathroom_margin)
            if stay.total_seconds() / 60 > limit_b and quiet.total_seconds() / 60 > 0:
                signals += self._long_bathroom(now, stay, usual)
        return signals

    def _quiet_limit(self, seen: datetime) -> QuietLimit:
        """The limit for the quiet since ``seen``: by the time of day it began, or by the sign it began
        with, whichever is tighter (``detection.next_sign``)."""
        limit = self.quiet.limit(seen, self._quiet_judged_by)
        if self.last_sign and seen == self.last_presence:
            after = self.next_sign.limit(self.last_sign)
            if after is not None and after.limit < limit.limit:
                said = words.sign(self.last_sign_type, self.last_room, self.last_sign.endswith(":1"))
                return QuietLimit(after.limit, after.usual, after.seen, True, "after_sign", said)
        return limit

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

    # ------------------------------------------------------------------ detectors
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

    def _check_out(self, now: datetime) -> list[Signal]:
        where = self.where
        if where.out_since is None or self.staying_away(now):
            return []
        out = now - where.out_since
        limit = where.not_back(self.config.quiet_margin, self.config.outing_quantile,
                               self._widen(AlertKind.NOT_RETURNED))
        key = f"out-since:{where.out_since.isoformat()}"
        if out.total_seconds() / 60 <= limit.limit or self.open.get("not_returned") == key:
            return []
        return self._raise(AlertKind.NOT_RETURNED, now, key, *words.not_returned(
            where.out_since, out, limit.usual, limit.count, limit.outings, self.timezone, limit.few_floor))

    def _inactivity(self, now: datetime, quiet: timedelta, limit: QuietLimit) -> list[Signal]:
        key = f"quiet-since:{self.last_presence.isoformat()}"
        if self.open.get("inactivity") == key:
            return []
        return self._raise(AlertKind.INACTIVITY, now, key, *words.inactivity(
            self.last_presence, quiet, limit, self.last_room, self.timezone))

    def _not_up(self, now: datetime, usual: float, count: int, wake: SortedWindow) -> list[Signal]:
        key = f"not-up:{self.day.start.date().isoformat()}"
        if self.open.get("not_up") == key:
            return []
        self.day.not_up_since = self.last_presence  # the morning is held for a responder's verdict
        return self._raise(AlertKind.NOT_UP, now, key, *words.not_up(
            now, self.day.start + timedelta(hours=usual), self.last_presence, self.last_room, count,
            len(wake), self.mornings.kind_of_days(wake), self.timezone))

    def _long_bathroom(self, now: datetime, stay: timedelta, usual: float) -> list[Signal]:
        key = f"bathroom-since:{self.room_since.isoformat()}"
        if self.open.get("long_bathroom") == key:
            return []
        return self._raise(AlertKind.LONG_BATHROOM, now, key, *words.long_bathroom(
            self.last_room, self.room_since, stay, usual, len(self.stays), self.timezone))

    def _night_wandering(self, unusual: Unusual | None, now: datetime, said) -> list[Signal]:
        """Out of the door or up at night (``detection.night_watch``): alerted once a night, if at an
        unusual hour for this person; ``said`` words it."""
        key = f"night-wandering:{self.day.start.date().isoformat()}"
        if (unusual is None or not self.monitoring or not self.night.rare(unusual)
                or self.open.get("night_wandering") == key):
            return []
        return self._raise(AlertKind.NIGHT_WANDERING, now, key, *said(
            unusual.since, now, unusual.hour, unusual.seen, unusual.days, self.timezone))

    def _widen(self, kind: AlertKind) -> float:
        return self.tolerance.get(kind.value, 1.0)

    def _raise(self, kind: AlertKind, ts: datetime, key: str, summary: str, evidence: dict) -> list[Signal]:
        summary, evidence = words.widened(summary, evidence, self._widen(kind))
        self.open[kind.value] = key
        if kind in ABSENCE:
            self.silence_alerted = self.last_presence
            # Which quiet spell this is, so a responder's verdict can find it (``confirm_quiet``).
            evidence = {**evidence, "quiet_since": self.last_presence.isoformat()}
        if kind.category is not AlertCategory.TREND and self.day is not None:
            self.day.flagged = True
        return [AlertSignal(self.hub, kind, ts, summary, key, kind.default_severity, evidence)]

    def confirm_quiet(self, began: datetime) -> bool:
        """A responder resolved the absence alert on the quiet that began at ``began`` as genuine:
        that quiet is never learned as routine, however often it comes back, a night out it began is
        no habit of staying away, and a late morning it was is never learned as getting up. Whether
        it changed anything (see ``QuietSpells.confirm``)."""
        night = self.where.confirm(began)
        morning = self.mornings.confirm(began.timestamp())
        return self.quiet.confirm(began) or night or morning

    def dismiss_quiet(self, began: datetime) -> bool:
        """A responder resolved the inactivity or not-up alert on the quiet that began at ``began`` as
        a false alarm: that quiet is learned as routine at once, by the time of day and by the sign
        it began with (``QuietSpells.dismiss``), so the same quiet is not alerted on again while
        quiet at other times is judged as before; and a late morning is learned as a morning
        (``Mornings.dismiss``). Whether it changed anything (the service passes every verdict each
        half minute)."""
        morning = self.mornings.dismiss(began.timestamp())
        if not self.quiet.dismiss(began):
            return morning
        for at, sign, minutes in self.alerted_signs:
            if at == began.timestamp():
                self.next_sign.learn_one(sign, minutes, now=True)
        return True

    def _clear(self, kind: AlertKind, ts: datetime, what: str) -> list[Signal]:
        if self.open.pop(kind.value, None) is None:
            return []
        return [ClearSignal(self.hub, kind, ts, f"{what} at {local_time(ts, self.timezone)}.")]

    # ------------------------------------------------------------------ days and slots
    def _roll(self, ts: datetime) -> list[Signal]:
        """Finish every routine day that ended before ``ts``, and start the one ``ts`` is in."""
        signals: list[Signal] = []
        if self.day is None:
            self.day = self._day_at(ts)
            return signals
        while ts >= self.day.end:
            # A quiet spell still going on: at least this long. One that was alerted on is held when
            # it ends, once (held spells count the days they recur on).
            if self.spell_counts and not self._alerted_quiet:
                self.quiet.note(self.day.spells, self.last_presence,
                                (self.day.end - self.last_presence) / timedelta(minutes=1), self._quiet_place)
            if self.where.out:
                self._count_away(self.day, self.day.end)
            self.day.note_home(24.0, self._home)
            self._count_unseen(self.day, self.day.end)
            signals += self._finish(self.day)
            self.day = self._day_at(self.day.end)
            self.day.home_at_start = (not self.where.out and self.last_presence is not None
                                      and self.day.start - self.last_presence < timedelta(days=1))
        return signals

    @property
    def _home(self) -> bool:
        """The resident is probably at home: seen, the last sign was not at the door, and the quiet
        since has not raised an alert (they may be lying still, or out unseen)."""
        return self.last_presence is not None and not self.where.out and not self._alerted_quiet

    @property
    def _alerted_quiet(self) -> bool:
        """The quiet since the last sign had an absence alert."""
        return self.silence_alerted is not None and self.silence_alerted == self.last_presence

    def _count_unseen(self, day: RoutineDay, until: datetime) -> None:
        if self._alerted_quiet and not self.where.out:
            day.unseen += max(0.0, (until - max(self.last_presence, day.start)) / timedelta(minutes=1))

    def _count_away(self, day: RoutineDay, until: datetime) -> None:
        if self.where.out_since is not None:
            day.away += max(0.0, (until - max(self.where.out_since, day.start)) / timedelta(minutes=1))

    def _day_at(self, ts: datetime) -> RoutineDay:
        tz = ZoneInfo(self.timezone)
        local = ts.astimezone(tz) - timedelta(hours=DAY_START_HOUR)
        start = datetime.combine(local.date(), time(DAY_START_HOUR), tz)
        end = datetime.combine(local.date() + timedelta(days=1), time(DAY_START_HOUR), tz)
        # The day's morning (it begins the afternoon before) is a Saturday or Sunday.
        return RoutineDay(start.astimezone(UTC), end.astimezone(UTC), weekend=end.weekday() >= 5)

    def _finish(self, day: RoutineDay) -> list[Signal]:
        self.days_seen += 1
        signals: list[Signal] = []
        counts = {"night_toilet": day.night_toilet, "kitchen": day.kitchen, "activity": day.activity,
                  "home_hours": 24 - (day.away + day.unseen) / 60, "night_rest": day.rest_hours,
                  "outings": day.outings, "kitchen_at": day.kitchen_at, "home_at": day.home_at, "gap": day.gap}
        self.next_sign.end_day()
        up = day.up if day.up is not None else day.wake
        if day.flagged:
            self.quiet.hold_day(day.spells)
            self.night.skip_day()
            if day.not_up_since is not None and up is not None:
                self.mornings.hold(day.not_up_since.timestamp(), up, day.weekend)
        else:
            self.quiet.learn_day(day.spells)
            # Away that morning (not home at the day's start, never seen up): nothing to say.
            self.mornings.learn(up, day.weekend, day.wake is not None or day.home_at_start)
            for stay in day.stays:
                self.stays.append(stay)
            self.night.learn_day()
        signals += self.trends.learn_day(self.hub, day.end, counts, day.flagged, self.open, self.tolerance)
        return signals
