"""While a home's routine is being learned, the absolute inactivity limit is the only absence alert.
A night's sleep in a home without a bed mat, or a day out, must not break it every day; a silence at
home still does after six hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from detection.engine import DetectionEngine
from detection.routine import RoutineConfig
from detection.safety import SafetyConfig, SafetyMonitor
from telecare.domain import AlertKind, AlertSignal, DeviceType, Room, SensorEvent

DAY = datetime(2026, 6, 1, tzinfo=UTC)  # Europe/London is UTC+1 in June
TZ = "Europe/London"


def at(hour: float, day: int = 0) -> datetime:
    """``hour`` o'clock local time on day ``day``."""
    return DAY + timedelta(days=day, hours=hour - 1)


def alerts_over(last_seen: list[tuple[float, Room]], until: datetime, **limits) -> list[tuple[datetime, str]]:
    """(when, summary) of every inactivity alert, checking every minute from the first sign until ``until``."""
    monitor = SafetyMonitor("h-1", TZ, SafetyConfig(**limits))
    events = [SensorEvent("h-1", f"d-{room}", DeviceType.CONTACT if room in (Room.FRONT_DOOR, Room.BEDROOM)
                          else DeviceType.MOTION, room, at(hour), 1.0) for hour, room in last_seen]
    raised, now = [], events[0].ts
    while now <= until:
        while events and events[0].ts <= now:
            monitor.observe(events.pop(0))
        raised += [(now, s.summary) for s in monitor.check(now) if isinstance(s, AlertSignal)]
        now += timedelta(minutes=1)
    return raised


def test_a_night_asleep_without_a_bed_mat_is_not_inactivity():
    assert alerts_over([(22.5, Room.BEDROOM), (7.5 + 24, Room.KITCHEN)], at(8, day=1)) == []


def test_someone_who_went_to_bed_and_is_not_up_by_ten_is_raised_at_ten():
    [(when, summary)] = alerts_over([(23.0, Room.BEDROOM)], at(12, day=1))
    assert when == at(10, day=1) + timedelta(minutes=1)
    assert summary == ("No sign of movement since 23:00 (11 h 01 min): quiet since bedtime and not up by "
                       "10:00. Last seen in the bedroom.")


def test_a_day_out_is_not_inactivity_but_not_being_back_after_twelve_hours_is():
    assert alerts_over([(9.0, Room.FRONT_DOOR), (19.0, Room.FRONT_DOOR), (19.0 + 1 / 60, Room.HALLWAY)],
                       at(20)) == []
    [(when, summary)] = alerts_over([(9.0, Room.FRONT_DOOR)], at(23))
    assert when == at(21) + timedelta(minutes=1)
    assert summary == ("No sign of movement since 09:00 (12 h 01 min): nobody seen at home since the door, "
                       "for longer than the 12 h limit for time out. Last seen at the front door.")


def test_a_silence_at_home_in_the_day_is_still_raised_after_six_hours():
    [(when, summary)] = alerts_over([(13.0, Room.KITCHEN)], at(23))
    assert when == at(19) + timedelta(minutes=1)
    assert summary == ("No sign of movement since 13:00 (6 h 01 min): longer than the 6 h limit. "
                       "Last seen in the kitchen.")


def test_a_silence_from_half_past_four_in_the_morning_has_the_six_hour_limit():
    [(when, _)] = alerts_over([(4.5, Room.BEDROOM)], at(12))
    assert when == at(10.5) + timedelta(minutes=1)  # 6 h after 04:30 is later than 10:00


def test_the_plain_fixed_rule_judges_every_silence_alike():
    [(when, _)] = alerts_over([(23.0, Room.BEDROOM)], at(12, day=1), out_limit=None, up_by=None)
    assert when == at(5, day=1) + timedelta(minutes=1)


def test_a_home_in_its_learning_weeks_gets_the_limits_the_engine_was_given():
    engine = DetectionEngine(SafetyConfig(up_by=time(9)), RoutineConfig(learning_days=14))
    engine.add_household("h-1", TZ)
    engine.process([SensorEvent("h-1", "d-bed", DeviceType.CONTACT, Room.BEDROOM, at(23.0), 1.0)])
    kinds = [(t, s.kind) for t in (at(8.5, day=1), at(9, day=1) + timedelta(minutes=1))
             for s in engine.tick(t) if isinstance(s, AlertSignal)]
    assert kinds == [(at(9, day=1) + timedelta(minutes=1), AlertKind.INACTIVITY)]
