"""Bed mats that only pulse when the person moves on them are not occupancy mats: a mat stuck on must not
hide a silence in the bedroom (house B of the van Kasteren recordings has two such mats)."""

from __future__ import annotations

from datetime import datetime, timedelta

from detection.safety import SafetyConfig, SafetyMonitor
from telecare.domain import DeviceType, Room, SensorEvent
from tests.factories import ROUTINE_DAY0, TickedRoutine

DAY0 = ROUTINE_DAY0


class Sleeper(TickedRoutine):
    """Asleep 23:00-07:00 on a bed mat, in the kitchen every half hour by day; ticked every 5 minutes."""

    def __init__(self, pulsing: bool) -> None:
        super().__init__()
        self.pulsing = pulsing

    def bed(self, at: datetime, value: float) -> None:
        self.event(at, "mat", DeviceType.BED, Room.BEDROOM, value)

    def night(self, d: int) -> None:
        start = DAY0 + timedelta(days=d, hours=23)
        self.event(start - timedelta(minutes=1), "pir-bedroom", DeviceType.MOTION, Room.BEDROOM)
        if self.pulsing:  # a one-second press whenever the sleeper turns over, every 20 minutes
            for k in range(24):
                self.bed(start + timedelta(minutes=20 * k), 1.0)
                self.bed(start + timedelta(minutes=20 * k, seconds=1), 0.0)
        else:  # pressed from going to bed until getting up
            self.bed(start, 1.0)
            self.bed(start + timedelta(hours=8), 0.0)
        self.event(start + timedelta(hours=8, minutes=1), "pir-bedroom", DeviceType.MOTION, Room.BEDROOM)

    def day(self, d: int, visits: int = 31) -> None:
        for k in range(visits):
            self.event(DAY0 + timedelta(days=d, hours=7, minutes=5 + 30 * k), "pir-kitchen", DeviceType.MOTION,
                       Room.KITCHEN)

    def settled(self) -> Sleeper:
        for d in range(16):
            self.day(d + 1)
            self.night(d + 1)
        return self


def test_a_mat_that_pulses_is_a_movement_sensor_on_the_bed_not_one_that_shows_someone_lying_there():
    assert not Sleeper(pulsing=True).settled().model.has_bed
    assert Sleeper(pulsing=False).settled().model.has_bed


def test_a_pulsing_mat_stuck_on_does_not_hide_a_fall_in_the_bedroom():
    home = Sleeper(pulsing=True).settled()
    t = DAY0 + timedelta(days=17, hours=7, minutes=5)
    home.day(17, visits=14)  # up at 07:00 after the last night, in the kitchen until 13:35, then...
    home.event(t + timedelta(hours=7), "pir-bedroom", DeviceType.MOTION, Room.BEDROOM)  # 14:05 in the bedroom
    home.bed(t + timedelta(hours=7, minutes=1), 1.0)  # the mat is pressed (a fall against the bed) and stays on
    home.event(t + timedelta(hours=16), "pir-kitchen", DeviceType.MOTION, Room.KITCHEN)
    raised = [(at, a.kind.value) for at, a in home.alerts if at > t + timedelta(hours=7)]
    [(at, kind), *_] = raised
    assert kind == "inactivity" and at - (t + timedelta(hours=7)) <= timedelta(hours=2)


def test_someone_lying_on_an_occupancy_mat_by_day_is_resting_not_lying_still():
    home = Sleeper(pulsing=False).settled()
    t = DAY0 + timedelta(days=17, hours=7, minutes=5)
    home.day(17, visits=14)  # up at 07:00 after the last night, in the kitchen until 13:35, then...
    home.event(t + timedelta(hours=7), "pir-bedroom", DeviceType.MOTION, Room.BEDROOM)
    home.bed(t + timedelta(hours=7, minutes=1), 1.0)  # a lie-down on the bed in the afternoon
    home.bed(t + timedelta(hours=9), 0.0)
    home.event(t + timedelta(hours=9, minutes=1), "pir-kitchen", DeviceType.MOTION, Room.KITCHEN)
    assert [a.kind.value for at, a in home.alerts if at > t + timedelta(hours=7)] == []


def test_a_mat_left_pressed_while_the_person_is_about_does_not_silence_the_absolute_limit():
    monitor = SafetyMonitor("h-1", "UTC", SafetyConfig(timedelta(hours=6), out_limit=None, up_by=None))
    t = DAY0 + timedelta(hours=9)
    monitor.observe(SensorEvent("h-1", "mat", DeviceType.BED, Room.BEDROOM, t, 1.0))  # stuck from here on
    monitor.observe(SensorEvent("h-1", "pir-kitchen", DeviceType.MOTION, Room.KITCHEN, t + timedelta(hours=1), 1.0))
    assert monitor.check(t + timedelta(hours=6, minutes=59)) == []
    [alert] = monitor.check(t + timedelta(hours=7, minutes=1))
    assert alert.kind.value == "inactivity" and "Last seen in the kitchen" in alert.summary
    # Seen in the bedroom with the mat pressed: in bed, which the routine model judges.
    monitor.observe(SensorEvent("h-1", "pir-bedroom", DeviceType.MOTION, Room.BEDROOM, t + timedelta(hours=8), 1.0))
    assert monitor.check(t + timedelta(hours=15)) == []
