"""The routine model's scoring side: is the present moment trouble, and the alerts it raises.

``RoutineAlerts`` is a part of ``detection.routine.RoutineModel`` (a mix-in over the same state, kept
apart so the learning side and the scoring side each read in one file): ``check(now)`` scores the
moment on clock ticks (inactivity, not up, long bathroom stay, not back, a night exit), each
detector words its alert (``detection.routine_words``), and responders' verdicts on absence alerts
reach the learned parts they are about (``confirm_quiet``, ``dismiss_quiet``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

from river.utils import SortedWindow

from detection import routine_words as words
from detection.bedtimes import BEDTIME_MARGIN
from detection.night_watch import Unusual
from detection.quiet import ANYWHERE, LEFT_OPEN, QuietLimit, upper
from detection.routine_day import EVENING, WAKE_FROM, WASH
from detection.wording import local_time
from telecare.domain import AlertCategory, AlertKind, AlertSignal, ClearSignal, Room

Signal = AlertSignal | ClearSignal

# Absence alerts: about quiet (also read by ``detection.feedback`` for responders' verdicts).
ABSENCE = frozenset({AlertKind.INACTIVITY, AlertKind.NOT_UP, AlertKind.NOT_RETURNED, AlertKind.LONG_BATHROOM})
_STIRRING = timedelta(minutes=30)


class RoutineAlerts:
    """Scoring and alerts, over ``RoutineModel``'s state (see there)."""

    # The last quiet in the evening alerted on because it was not taken as sleep (when it began,
    # epoch seconds; hours into its day; the room): a false-alarm verdict teaches it as a night.
    evening_alerted: tuple[float, float, str | None] | None = None

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
            # Not widened by false alarms: the late mornings they were about are learned instead
            # (``dismiss_quiet``).
            latest = usual + self.config.wake_margin.total_seconds() / 3600
            # Seen in the last half hour outside the bedroom (washing, dressing): up, not yet in
            # the kitchen. Someone who falls there goes quiet, and is judged then.
            stirring = quiet < _STIRRING and self.last_room != Room.BEDROOM
            if hours >= WAKE_FROM and hours > latest and not stirring:
                signals += self._not_up(now, usual, count, wake)
            # No bed sensor, quiet since this person's usual bedtime (``detection.bedtimes``) and
            # not yet the latest usual getting-up time: probably asleep, and a long night is
            # not_up's to judge. Other quiet in the evening is judged, given at least a floor.
            # (With a bed sensor: in_bed.)
            since = (self.last_presence - day.start).total_seconds() / 3600
            asleep, evening = self._evening(since, latest)
            asleep = asleep and hours <= latest
        else:
            asleep, evening = False, None
        # Not widened by false alarms: the quiet they were about is learned instead (``dismiss_quiet``).
        limit, note = self._quiet_limit(seen), ""
        # A door or cupboard left open is no evening in front of the television: no evening floor.
        if evening is not None and limit.place != LEFT_OPEN:
            floor, why, capped = evening
            judged = max(limit.limit, floor / timedelta(minutes=1))
            judged = min(judged, self.quiet.cap) if capped else judged
            if judged != limit.limit:  # the evening sets it: say why
                limit, note = replace(limit, limit=judged), why
        # Nobody falls asleep holding a door open: quiet that began with a door or cupboard opened,
        # after which something always followed soon, is judged by that even at bedtime (a fall in
        # the bathroom at 22:00 would otherwise wait for not_up in the morning).
        asleep = asleep and limit.place != LEFT_OPEN
        if quiet / timedelta(minutes=1) > limit.limit and not self.in_bed and not asleep:
            signals += self._inactivity(now, quiet, limit, note)
            if note and not self.bed.only_pulse:
                self.evening_alerted = (self.last_presence.timestamp(), since, self.last_room)
        # The bathroom is judged when the person is up: out of bed, or (no bed sensor) went in at a
        # time when the house does not usually fall quiet for long (not on the way to bed).
        if self.last_room in WASH and self.room_since is not None and len(self.stays) >= 10 and (
            not self.in_bed if self.has_bed else 0 <= self.quiet.limit(self.room_since, ANYWHERE).usual < 120
        ):
            stay = now - self.room_since
            usual, count = upper(self.stays, 1.0)
            limit_b = self._widen(AlertKind.LONG_BATHROOM) * max(
                self.config.bathroom_floor.total_seconds() / 60, usual * self.config.bathroom_margin)
            if stay.total_seconds() / 60 > limit_b and quiet.total_seconds() / 60 > 0:
                signals += self._long_bathroom(now, stay, usual)
        return signals

    def _evening(self, since: float, latest: float) -> tuple[bool, tuple[timedelta, str, bool] | None]:
        """(asleep, (floor, why in words, capped) or None) for quiet that began ``since`` hours into
        the day, before ``latest`` (this person's latest usual getting-up time), in a home without a
        bed mat that shows lying.

        Asleep from this person's usual bedtime (``detection.bedtimes``), in a room a night has
        begun in: a long night is not_up's to judge. Any other quiet that began from 20:00 (when
        all quiet used to be taken as sleep) is judged by the time of day's limit, but never sooner
        than ``evening_floor``: an evening in front of the television in a room with no sensor
        looks the same, and is rarely in two weeks' learning. Quiet where this person's nights do
        not begin is never allowed past the absolute limit either (``capped``): the learned quiet
        of that time of day holds the nights that began elsewhere. With mats that only pulse when
        the person moves on them, sleep shows on the mat: quiet from 20:00 with not even a pulse is
        judged so too, never sooner than ``still_night`` (a sound sleeper lies still for hours).
        """
        if self.has_bed or not EVENING <= since < latest:
            return False, None
        if self.bed.only_pulse:
            return False, (self.config.still_night, words.still_night(self.config.still_night), False)
        floor = self.config.evening_floor
        if since < (settled := self.bedtimes.settled_from()):
            earliest = self.day.start + timedelta(hours=settled + BEDTIME_MARGIN)
            return False, (floor, words.before_bedtime(earliest, floor, self.timezone), False)
        if not self.bedtimes.sleeps_in(self.last_room):
            cap = timedelta(minutes=self.quiet.cap)
            return False, (floor, words.not_where_nights_begin(self.last_room, floor, cap), True)
        return True, None

    def _quiet_limit(self, seen: datetime) -> QuietLimit:
        """The limit for the quiet since ``seen``: by the time of day it began, by the sign it began
        with (``detection.next_sign``), or by the quiet after the door or cupboard it opened, when
        nothing has followed, not even its closing (``after_opening``), whichever is tightest."""
        limit = self.quiet.limit(seen, self._quiet_judged_by)
        if seen != self.last_presence:
            return limit  # the hub was offline since: nothing is known of the last sign
        if self.last_sign:
            after = self.next_sign.limit(self.last_sign)
            if after is not None and after.limit < limit.limit:
                said = words.sign(self.last_sign_type, self.last_room, self.last_sign.endswith(":1"))
                limit = QuietLimit(after.limit, after.usual, after.seen, True, "after_sign", said)
        if self.last_opened:
            opened = self.after_opening.limit(self.last_opened)
            if opened is not None and opened.limit < limit.limit:
                limit = QuietLimit(opened.limit, opened.usual, opened.seen, True, LEFT_OPEN,
                                   words.sign("contact", self.last_room, True))
        return limit


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
            where.out_since, out, limit.usual, limit.count, limit.outings, self.timezone, limit.few_floor,
            where.lone_sign()))

    def _inactivity(self, now: datetime, quiet: timedelta, limit: QuietLimit, note: str = "") -> list[Signal]:
        key = f"quiet-since:{self.last_presence.isoformat()}"
        if self.open.get("inactivity") == key:
            return []
        return self._raise(AlertKind.INACTIVITY, now, key, *words.inactivity(
            self.last_presence, quiet, limit, self.last_room, self.timezone, note))

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
        summary, evidence = said(unusual.since, now, unusual.hour, unusual.seen, unusual.days, self.timezone)
        self.night.alerted(unusual)
        # What the alert is about, so a responder's false alarm can find it (``dismiss_quiet``).
        return self._raise(AlertKind.NIGHT_WANDERING, now, key, summary,
                           {**evidence, "night_since": unusual.since.isoformat()})

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
        """A responder resolved the inactivity, not-up or night-wandering alert about what began at
        ``began`` as a false alarm: that quiet is learned as routine at once, by the time of day and
        by the sign it began with (``QuietSpells.dismiss``), so the same quiet is not alerted on
        again while quiet at other times is judged as before; and a late morning is learned as a morning
        (``Mornings.dismiss``), and an evening not taken as sleep as a night that begins then
        and there (``Bedtimes``: she fell asleep in the armchair), and a night exit or being up at
        night as this person's at that hour (``NightWatch.dismiss``). Whether it changed anything (the
        service passes every verdict each half minute)."""
        changed = self.mornings.dismiss(began.timestamp()) | self.night.dismiss(began)
        if self.evening_alerted is not None and self.evening_alerted[0] == began.timestamp():
            self.bedtimes.learn(*self.evening_alerted[1:])
            self.evening_alerted, changed = None, True
        if not self.quiet.dismiss(began):
            return changed
        for at, sign, opened, minutes in self.alerted_signs:
            if at == began.timestamp():
                for learned, key in self._learners(sign, opened):
                    learned.learn_one(key, minutes, now=True)
        return True

    def _clear(self, kind: AlertKind, ts: datetime, what: str) -> list[Signal]:
        if self.open.pop(kind.value, None) is None:
            return []
        return [ClearSignal(self.hub, kind, ts, f"{what} at {local_time(ts, self.timezone)}.")]

