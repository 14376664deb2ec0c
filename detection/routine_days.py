"""The routine model's days: where each routine day (15:00 to 15:00 local) begins and ends, and what
a finished day teaches.

``RoutineDays`` is a part of ``detection.routine.RoutineModel`` (a mix-in over the same state, as
``detection.routine_alerts.RoutineAlerts`` is): ``_roll`` closes every day that ended before an
event or a tick, and ``_finish`` hands the day to the parts that learn from whole days (the quiet
spells, mornings, bedtimes, night watch and trends). A day with an alert in it is held back there,
never learned as normal.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from detection.routine_alerts import Signal
from detection.routine_day import DAY_START_HOUR, RoutineDay


class RoutineDays:
    """Day boundaries and end-of-day learning, over ``RoutineModel``'s state (see there)."""

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
                  "visits": day.visits,
                  "home_hours": 24 - (day.away + day.unseen) / 60, "night_rest": day.rest_hours,
                  "outings": day.outings, "kitchen_at": day.kitchen_at, "home_at": day.home_at, "gap": day.gap}
        self.next_sign.end_day()
        self.after_opening.end_day()
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
            if day.bedtime is not None:
                self.bedtimes.learn(*day.bedtime)
            for stay in day.stays:
                self.stays.append(stay)
            self.night.learn_day()
        signals += self.trends.learn_day(self.hub, day.end, counts, day.flagged, self.open, self.tolerance)
        return signals
