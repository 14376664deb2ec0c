"""A cold home is raised from the first day, in away mode too, and survives a restart of detection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from detection.cold_home import ColdLimits
from detection.engine import DetectionEngine
from detection.safety import SafetyConfig
from telecare.domain import AlertKind, AlertSignal, ClearSignal, DeviceType, Room, SensorEvent

T0 = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
HUB = "hub-cold"


def engine(cold: ColdLimits | None = None) -> DetectionEngine:
    e = DetectionEngine(SafetyConfig(cold=cold or ColdLimits()))
    e.add_household(HUB, "Europe/London")
    return e


def reading(minutes: float, celsius: float, device: str = "temp-living", room: Room = Room.LIVING_ROOM):
    return SensorEvent(HUB, device, DeviceType.TEMPERATURE, room, T0 + timedelta(minutes=minutes), celsius)


def cold_alerts(signals) -> list[AlertSignal]:
    return [s for s in signals if isinstance(s, AlertSignal) and s.kind is AlertKind.COLD_HOME]


def clears(signals) -> list[ClearSignal]:
    return [s for s in signals if isinstance(s, ClearSignal) and s.kind is AlertKind.COLD_HOME]


def half_hourly(e: DetectionEngine, temps: list[float], start: float = 0, **where) -> list:
    signals = []
    for n, celsius in enumerate(temps):
        signals += e.process([reading(start + 30 * n, celsius, **where)])
    return signals


def test_a_night_of_cold_is_raised_once_with_how_cold_since_when_and_the_usual():
    e = engine()
    signals = half_hourly(e, [20.0] * 24 + [15.8] * 6)  # warm for 12 h, then cold from 12:00 UTC
    [alert] = cold_alerts(signals)
    assert alert.ts == T0 + timedelta(hours=13)  # the first reading an hour into the cold
    assert alert.summary == (
        "The living room is 15.8 °C: at or below 16 °C since 12:00 (1 h). It is usually about 20.0 °C."
    )
    assert alert.evidence["usual_celsius"] == 20.0 and alert.evidence["limit_celsius"] == 16.0
    assert cold_alerts(e.tick(T0 + timedelta(hours=15))) == []  # one alert per cold spell


def test_a_thermometer_that_stopped_reporting_in_the_cold_is_not_a_cold_home():
    e = engine()
    half_hourly(e, [19.0, 15.5])  # one cold reading at 00:30, then nothing
    assert cold_alerts(e.tick(T0 + timedelta(hours=1, minutes=30))) != []  # still fresh: cold
    e = engine()
    half_hourly(e, [19.0, 15.5])
    assert cold_alerts(e.tick(T0 + timedelta(hours=4))) == []  # 3 h 30 min old: says nothing now


def test_a_short_dip_does_not_open_an_alert_and_a_slight_rise_does_not_close_one():
    e = engine()
    signals = half_hourly(e, [18.0, 15.9, 17.2, 16.0, 17.5, 15.5, 17.0])
    assert cold_alerts(signals) == []  # warm again within the hour each time
    e = engine()
    signals = half_hourly(e, [15.0, 15.0, 15.0, 16.6, 16.9, 15.8])
    assert len(cold_alerts(signals)) == 1 and clears(signals) == []  # 16.6 and 16.9 are not warm yet


def test_the_home_is_warm_again_only_when_every_cold_thermometer_is():
    e = engine()
    signals = []
    for n in range(4):
        signals += e.process([reading(30 * n, 15.0), reading(30 * n, 14.0, "temp-bed", Room.BEDROOM)])
    [alert] = cold_alerts(signals)
    assert alert.evidence["room"] == "living_room"  # both went cold together: the first listed is said
    assert clears(e.process([reading(120, 19.0)])) == []  # the bedroom is still cold
    [clear] = clears(e.process([reading(121, 18.0, "temp-bed", Room.BEDROOM)]))
    assert clear.summary == "Warm again: 18.0 °C in the bedroom at 02:01."


def test_a_cold_home_is_raised_in_away_mode_and_while_the_routine_is_learned():
    e = engine()
    e.set_away(HUB, True)
    half_hourly(e, [15.0, 15.0])
    assert not e.monitoring(HUB)
    assert cold_alerts(e.tick(T0 + timedelta(minutes=61))) != []


def test_the_limits_come_from_the_settings():
    e = engine(ColdLimits(cold_c=18.0, warm_c=19.0, lasting=timedelta(minutes=30)))
    [alert] = cold_alerts(half_hourly(e, [17.5, 17.5]))
    assert "at or below 18 °C since 00:00 (30 min)" in alert.summary


def test_a_cold_spell_survives_a_restart_of_detection():
    e = engine()
    half_hourly(e, [19.0] * 4 + [15.0, 15.0])  # cold since 02:00
    again = DetectionEngine(SafetyConfig())
    again.restore(HUB, e.dump(HUB))
    [alert] = cold_alerts(again.process([reading(180, 15.0)]))
    assert alert.evidence["cold_since"] == (T0 + timedelta(hours=2)).isoformat()
