"""Quiet that begins in the bedroom (back to bed, in a home with no bed mat) is judged apart from quiet
that begins anywhere else, so a daily lie-in does not excuse hours of silence after a fall in the kitchen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from detection.quiet import BEDROOM, ELSEWHERE, QuietSpells
from detection.routine import RoutineConfig, RoutineModel
from telecare.domain import AlertSignal, DeviceType, Room, SensorEvent

DAY0 = datetime(2026, 1, 5, tzinfo=UTC)


class ContactOnlyHome:
    """Door and cupboard contacts only, like van Kasteren house A: no motion sensors, no bed mat."""

    def __init__(self) -> None:
        self.model = RoutineModel("h-1", "UTC", RoutineConfig(learning_days=14))
        self.alerts: list[tuple[datetime, AlertSignal]] = []
        self.clock = DAY0

    def opened(self, at: datetime, room: Room) -> None:
        self.tick_until(at)
        self.model.learn_one(SensorEvent("h-1", f"c-{room}", DeviceType.CONTACT, room, at, 1.0))

    def tick_until(self, at: datetime) -> None:
        while self.clock + timedelta(minutes=5) <= at:
            self.clock += timedelta(minutes=5)
            self.alerts += [(self.clock, s) for s in self.model.check(self.clock) if isinstance(s, AlertSignal)]

    def ordinary_day(self, d: int) -> None:
        """Breakfast at 07:00, back to bed from 08:00 to 10:00, busy in the kitchen until 22:00, bed."""
        day = DAY0 + timedelta(days=d)
        self.opened(day + timedelta(hours=7), Room.KITCHEN)
        self.opened(day + timedelta(hours=7, minutes=30), Room.KITCHEN)
        self.opened(day + timedelta(hours=8), Room.BEDROOM)
        for k in range(25):
            self.opened(day + timedelta(hours=10, minutes=30 * k), Room.KITCHEN)
        self.opened(day + timedelta(hours=22, minutes=30), Room.BEDROOM)


def test_a_fall_after_breakfast_is_alerted_within_the_kitchens_usual_quiet_not_the_lie_in():
    home = ContactOnlyHome()
    for d in range(21):
        home.ordinary_day(d)
    assert home.model.monitoring and home.alerts == []  # two hours back in bed every morning is normal

    fall_day = DAY0 + timedelta(days=21)
    home.opened(fall_day + timedelta(hours=7), Room.KITCHEN)
    home.opened(fall_day + timedelta(hours=7, minutes=30), Room.KITCHEN)  # then nothing
    home.tick_until(fall_day + timedelta(hours=12))

    [(at, alert)] = home.alerts
    assert alert.kind.value == "inactivity"
    # The kitchen's quiet spells at that hour last 30 min: the limit is 30 * 1.5 + 20 = 65 min.
    # Pooled with the lie-ins (120 min) it would have been 200 min, past 10:50.
    assert at - (fall_day + timedelta(hours=7, minutes=30)) <= timedelta(minutes=70)
    assert "it stayed quiet for at most 30 min" in alert.summary
    assert alert.evidence["quiet_began"] == "elsewhere"


def test_a_longer_lie_in_than_usual_is_still_judged_by_the_bedrooms_learned_quiet():
    home = ContactOnlyHome()
    for d in range(21):
        home.ordinary_day(d)
    late_day = DAY0 + timedelta(days=21)
    home.opened(late_day + timedelta(hours=7), Room.KITCHEN)
    home.opened(late_day + timedelta(hours=7, minutes=30), Room.KITCHEN)
    home.opened(late_day + timedelta(hours=8), Room.BEDROOM)  # back to bed, and not up again
    home.tick_until(late_day + timedelta(hours=14))

    [(at, alert)] = home.alerts
    # 120 min usual in the bedroom: 120 * 1.5 + 20 = 200 min, so not before 11:20.
    assert alert.kind.value == "inactivity" and at >= late_day + timedelta(hours=11, minutes=20)
    assert "in the bedroom" in alert.summary and alert.evidence["quiet_began"] == "bedroom"


def test_by_day_hours_of_quiet_outside_the_bedroom_are_never_allowed_past_the_absolute_limit():
    # Whatever was learned (here, a week of seven-hour silences from noon, as outings a door
    # contact missed would teach it), a fall in the kitchen at noon is raised at 6 h at the latest.
    quiet = QuietSpells(28, "UTC", cap=360.0)
    for d in range(10):
        day: dict[int, float] = {}
        quiet.note(day, DAY0 + timedelta(days=d, hours=12), 420.0)  # from the kitchen at noon
        quiet.note(day, DAY0 + timedelta(days=d, hours=12, minutes=5), 420.0, BEDROOM)  # a day's sleep
        quiet.note(day, DAY0 + timedelta(days=d, hours=1), 420.0)  # the night, last seen in the kitchen
        quiet.learn_day(day)
    noon = DAY0 + timedelta(days=10, hours=12)
    assert quiet.limit(noon, ELSEWHERE).limit == 360.0
    assert quiet.limit(noon, BEDROOM).limit == 420.0 * 1.5 + 20  # asleep by day: the bedroom's own
    assert quiet.limit(noon - timedelta(hours=11), ELSEWHERE).limit == 420.0 * 1.5 + 20  # 01:00: a night
