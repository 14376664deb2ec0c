"""Evening falls in homes without a bed mat that shows lying: quiet from 20:00 used to be taken as sleep
for everyone, so a fall in the kitchen at 20:30 waited for "not up" the next morning. Now quiet is
taken as sleep only from this person's own bedtime, somewhere a night can begin; the rest is judged,
never sooner than three hours (five with a mat that only pulses when the person turns over)."""

from __future__ import annotations

from datetime import datetime, timedelta

from telecare.domain import AlertKind, AlertSignal, DeviceType, Room
from tests.factories import BEDROOM, ROUTINE_DAY0, SettledResident

PULSING_MAT = ("bed", DeviceType.BED, Room.BEDROOM)
FLUSH = ("flush", DeviceType.FLUSH, Room.TOILET)


class GoesToBedAtHalfPastTen(SettledResident):
    """Up at 07:00, the kitchen every half hour until 22:00 (out 09:00-13:00), the bedroom at 22:30;
    with ``mat``, a bed mat that only pulses (one second) every twenty minutes of the night."""

    def __init__(self, mat: bool = False, last_thing=BEDROOM) -> None:
        super().__init__()
        self.mat, self.last_thing = mat, last_thing

    def ordinary_day(self, d: int, evening_until: float = 22, bed: float | None = 22.5) -> None:
        super().ordinary_day(d, evening_until)
        if bed is not None:
            self.at(self.hour(d, bed), self.last_thing)
            self.night(d, bed)

    def night(self, d: int, bed: float) -> None:
        if not self.mat:
            return
        hour = bed + 1 / 3
        while hour < 24 + 6.75:
            self.event(self.hour(d, hour), *PULSING_MAT, 1.0)
            self.event(self.hour(d, hour) + timedelta(seconds=1), *PULSING_MAT, 0.0)
            hour += 1 / 3

    def fall_after_kitchen(self, d: int, last: float) -> datetime:
        """Day ``d`` as usual until the kitchen at ``last`` (hours, on the half hour), then nothing
        until noon the next day."""
        super().ordinary_day(d, last)
        self.until(self.hour(d + 1, 12))
        return self.hour(d, last)

    def hour(self, d: int, hours: float) -> datetime:
        return ROUTINE_DAY0 + timedelta(days=d, hours=hours)

    def inactivity(self) -> list[tuple[datetime, AlertSignal]]:
        return [(at, a) for at, a in self.alerts if a.kind is AlertKind.INACTIVITY]


def test_a_fall_in_the_kitchen_at_half_past_eight_is_alerted_that_evening_not_the_next_morning():
    home = GoesToBedAtHalfPastTen().settled()
    fell = home.fall_after_kitchen(16, 20.5)
    [(at, alert)] = home.inactivity()
    assert at - fell == timedelta(hours=3, minutes=1)  # judged, never sooner than three hours: 23:31
    assert alert.summary.startswith("No movement since 20:30 (3 h")
    assert "Last seen in the kitchen" in alert.summary
    assert alert.summary.endswith("The night's rest here seldom begins before 22:30; in the evening, quiet is "
                                  "given at least 3 h.")  # why three hours, not the learned half hour
    assert alert.evidence["limit_minutes"] == 180 and alert.evidence["usual_max_minutes"] == 30


def test_going_to_bed_at_the_usual_time_raises_nothing():
    home = GoesToBedAtHalfPastTen().settled()
    for d in range(16, 23):
        home.ordinary_day(d)
    home.until(home.hour(22, 23.5))
    assert home.alerts == []
    assert home.model.bedtimes.settled_from() == 7.0  # from 22:00 (hours after 15:00)


def test_quiet_after_the_kitchen_past_bedtime_is_not_taken_as_sleep_by_someone_who_sleeps_after_the_bedroom():
    home = GoesToBedAtHalfPastTen().settled()
    fell = home.fall_after_kitchen(16, 22.5)  # from 22:00 he is usually settled, but in the bedroom
    [(at, alert)] = home.inactivity()
    assert at - fell == timedelta(hours=3, minutes=1)
    assert "The night's rest has not begun in the kitchen in recent weeks" in alert.summary
    assert home.model.bedtimes.sleeps_in(Room.BEDROOM) and not home.model.bedtimes.sleeps_in(Room.KITCHEN)


def test_someone_whose_last_sign_at_night_is_the_toilet_is_not_alerted_for_sleeping_but_is_for_the_kitchen():
    home = GoesToBedAtHalfPastTen(last_thing=FLUSH).settled()
    for d in range(16, 19):
        home.ordinary_day(d)
    home.until(home.hour(19, 0))
    assert home.alerts == []  # nights after the toilet are sleep, as learned
    fell = home.fall_after_kitchen(19, 22.5)
    [(at, alert)] = home.inactivity()
    # The quiet learned around 22:30 is the nights after the toilet (eight and a half hours); in the
    # kitchen it is no night, and the absolute limit holds: 04:31, not the next morning.
    assert at - fell == timedelta(hours=6, minutes=1)
    assert alert.evidence["usual_max_minutes"] >= 500 and alert.evidence["limit_minutes"] == 360
    assert "so this is not taken as sleep" in alert.summary and "never more than 6 h" in alert.summary


def test_with_a_mat_that_only_pulses_a_night_with_no_movement_on_it_is_alerted_after_five_hours():
    home = GoesToBedAtHalfPastTen(mat=True).settled()
    assert not home.model.has_bed  # one-second pulses: a movement sensor on the bed, not occupancy
    for d in range(16, 19):
        home.ordinary_day(d)  # asleep, turning over on the mat now and then: nothing to say
    home.until(home.hour(19, 0))
    assert home.alerts == []
    fell = home.fall_after_kitchen(19, 21)
    [(at, alert)] = home.inactivity()
    assert at - fell == timedelta(hours=5, minutes=1)  # 02:01, not "not up" at 08:00
    assert alert.summary.startswith("No movement since 21:00 (5 h")
    assert "The bed mat has not moved either, as it does through a night's sleep here" in alert.summary


def test_an_evening_alert_a_responder_found_a_false_alarm_teaches_where_her_nights_can_begin():
    answered, unanswered = GoesToBedAtHalfPastTen().settled(), GoesToBedAtHalfPastTen().settled()
    for home in (answered, unanswered):
        for d in (16, 17, 18):  # asleep in the armchair after the kitchen at 22:30, up at 07:00 as ever
            home.ordinary_day(d, 22.5, bed=None)
            home.until(home.hour(d + 1, 2))
            if home is answered and d == 16:
                [(_, alert)] = home.inactivity()
                began = datetime.fromisoformat(alert.evidence["quiet_since"])
                assert home.model.dismiss_quiet(began) and not home.model.dismiss_quiet(began)
        home.until(home.hour(19, 6))
    assert [at.day for at, _ in answered.inactivity()] == [22]  # the first night only (the 22nd, 01:31)
    assert [at.day for at, _ in unanswered.inactivity()] == [22, 23, 24]
    assert answered.model.bedtimes.sleeps_in(Room.KITCHEN)
