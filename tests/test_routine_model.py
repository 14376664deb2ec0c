"""The routine model and the engine around it: snapshots, learning period, trends."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest

from detection import routine
from detection.engine import STATE_VERSION, DetectionEngine
from detection.replay import drive, household_events
from detection.routine import RoutineConfig, RoutineModel
from detection.safety import SafetyMonitor
from detection.trends import TrendDetector
from simulator.scenarios import parse_scenario
from simulator.simulation import build_homes
from telecare.domain import AlertSignal, DeviceType, Room, SensorEvent


@pytest.fixture(scope="module")
def stream():
    [home] = build_homes(1, seed=5, days=24, personas=["early_riser"],
                         scenarios=[parse_scenario("fall@17T15:30"), parse_scenario("not_up@20")])
    spec, events = household_events(home.household, home.events())
    return spec, events


def test_a_model_restored_from_its_snapshot_mid_stream_raises_the_same_alerts(stream):
    spec, events = stream
    uninterrupted = list(drive(DetectionEngine(), spec, events))
    assert any(isinstance(s, AlertSignal) and s.evidence.get("learned") for _, s in uninterrupted)

    cut = datetime(2026, 1, 21, 13, 7, tzinfo=UTC)  # mid-stream, mid-day, on a whole minute
    first = DetectionEngine()
    before = [e for e in events if e.ts <= cut]
    part1 = list(drive(first, spec, before, extend=cut - before[-1].ts))
    blob = first.dump(spec.hub)
    second = DetectionEngine()
    second.restore(spec.hub, blob)
    part2 = list(drive(second, spec, [e for e in events if e.ts > cut], start=cut))
    assert part1 + part2 == uninterrupted


def test_snapshots_are_versioned_and_old_safety_only_snapshots_still_load(stream):
    spec, events = stream
    engine = DetectionEngine()
    list(drive(engine, spec, events[:2000]))
    state = pickle.loads(engine.dump(spec.hub))
    assert set(state) == {"safety", "routine", "devices", "cold"} and STATE_VERSION == 29
    routine_state = state["routine"].__getstate__()
    assert routine_state["version"] == routine.STATE_VERSION == 28
    broken = RoutineModel.__new__(RoutineModel)
    with pytest.raises(ValueError, match="version"):
        broken.__setstate__({**routine_state, "version": 99})
    old = DetectionEngine()
    old.restore(spec.hub, pickle.dumps(SafetyMonitor(spec.hub, spec.timezone)))  # a version 1 blob
    assert isinstance(old.routines[spec.hub], RoutineModel)


def test_learning_lasts_the_configured_number_of_days():
    model = RoutineModel("h-1", "UTC", RoutineConfig(learning_days=3))
    t = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    for day in range(4):
        model.learn_one(SensorEvent("h-1", "m", DeviceType.MOTION, Room.KITCHEN, t + timedelta(days=day), 1.0))
        assert model.monitoring is (model.days_seen >= 3)
    assert model.monitoring


def test_a_steady_fall_in_kitchen_visits_is_a_trend_and_becomes_the_new_normal():
    detector = TrendDetector(28, 14)
    start = datetime(2026, 1, 1, 15, tzinfo=UTC)
    signals = []
    for d in range(45):
        kitchen = [9, 10, 8, 11, 9, 10, 9][d % 7] if d < 25 else 4
        signals += detector.learn_day("h-1", start + timedelta(days=d),
                                      {"night_toilet": 1, "kitchen": kitchen, "activity": 400,
                                       "home_hours": 16}, False, {})
    kinds = [(type(s).__name__, s.kind.value, (s.ts - start).days) for s in signals]
    raised = [k for k in kinds if k[0] == "AlertSignal"]
    assert raised and raised[0][1] == "kitchen_decline" and 25 <= raised[0][2] <= 28
    assert ("ClearSignal", "kitchen_decline") in [(k[0], k[1]) for k in kinds]  # absorbed later
    assert len(raised) == 1


def test_an_alerted_day_is_not_learned_as_normal():
    model = RoutineModel("h-1", "UTC", RoutineConfig(learning_days=2))
    t = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    model.learn_one(SensorEvent("h-1", "m", DeviceType.MOTION, Room.KITCHEN, t, 1.0))
    model.note_alert(t + timedelta(hours=1))
    model.check(t + timedelta(hours=8))  # the routine day ends at 15:00
    assert model.days_seen == 1 and len(model.mornings.all) == 0 and all(len(w) == 0 for w in model.quiet.slots)
    model.learn_one(SensorEvent("h-1", "m", DeviceType.MOTION, Room.KITCHEN, t + timedelta(days=1), 1.0))
    model.check(t + timedelta(days=1, hours=8))
    assert model.days_seen == 2 and len(model.mornings.all) == 1  # a normal day is learned


def test_a_fall_in_the_bathroom_does_not_make_long_bathroom_stays_normal():
    model = RoutineModel("h-1", "UTC", RoutineConfig(learning_days=14))
    day0 = datetime(2026, 1, 5, tzinfo=UTC)
    raised = []

    def seen(at: datetime, room: Room) -> None:
        raised.extend(s for s in model.learn_one(SensorEvent("h-1", f"m-{room}", DeviceType.MOTION, room, at, 1.0))
                      if isinstance(s, AlertSignal))

    def ordinary_day(d: int, hours: tuple[float, float] = (0, 24)) -> None:
        for k in range(31):  # in the kitchen every half hour, 07:00-22:00; the bathroom at 09:00
            hour = 7 + k / 2
            if not hours[0] <= hour < hours[1]:
                continue
            if hour == 9:
                for minute in (0, 5, 10):
                    seen(day0 + timedelta(days=d, hours=9, minutes=minute), Room.BATHROOM)
            seen(day0 + timedelta(days=d, hours=hour, minutes=12 if hour == 9 else 0), Room.KITCHEN)
            raised.extend(s for s in model.check(day0 + timedelta(days=d, hours=hour, minutes=20))
                          if isinstance(s, AlertSignal))

    for d in range(20):
        ordinary_day(d)
    assert raised == []
    # Day 21: into the bathroom at 13:00, then nothing until help comes at 16:30 (after 15:00, so
    # in the next routine day).
    ordinary_day(20, hours=(0, 13))
    seen(day0 + timedelta(days=20, hours=13), Room.BATHROOM)
    for minute in range(5, 200, 5):
        raised.extend(s for s in model.check(day0 + timedelta(days=20, hours=13, minutes=minute))
                      if isinstance(s, AlertSignal))
    assert {s.kind.value for s in raised} & {"long_bathroom", "inactivity"}
    ordinary_day(20, hours=(16.5, 24))
    for d in (21, 22):
        ordinary_day(d)
    raised.clear()
    # Day 24: an hour in the bathroom, moving. Her stays used to last 12 minutes: that is news.
    for minute in range(0, 65, 5):
        seen(day0 + timedelta(days=23, hours=9, minutes=minute), Room.BATHROOM)
        raised.extend(s for s in model.check(day0 + timedelta(days=23, hours=9, minutes=minute + 1))
                      if isinstance(s, AlertSignal))
    assert [s.kind.value for s in raised] == ["long_bathroom"]


def test_someone_who_seldom_goes_out_and_is_not_back_after_four_hours_is_reported():
    model = RoutineModel("h-1", "UTC", RoutineConfig(learning_days=14))
    day0 = datetime(2026, 1, 5, tzinfo=UTC)

    def seen(at: datetime, room: Room, device_type: DeviceType = DeviceType.MOTION) -> list:
        return model.learn_one(SensorEvent("h-1", f"{device_type}-{room}", device_type, room, at, 1.0))

    for d in range(16):  # never out in two weeks
        for k in range(31):
            seen(day0 + timedelta(days=d, hours=7 + k / 2), Room.KITCHEN)
    seen(day0 + timedelta(days=16, hours=7), Room.KITCHEN)
    seen(day0 + timedelta(days=16, hours=10), Room.FRONT_DOOR, DeviceType.CONTACT)  # out, and not back
    raised = [(t, s) for t in (day0 + timedelta(days=16, hours=10, minutes=m) for m in range(5, 400, 5))
              for s in model.check(t) if isinstance(s, AlertSignal)]
    [(at, alert)] = raised
    assert alert.kind.value == "not_returned" and at == day0 + timedelta(days=16, hours=14, minutes=5)
    assert "No outing was seen in recent weeks, so a 4-hour limit applies." in alert.summary


def _outgoing_resident(nights_away: tuple[int, ...]):
    """Up at 07:00, out 10:00-13:00 every day; out from 18:00 until 11:00 the next day on ``nights_away``."""
    model = RoutineModel("h-1", "UTC", RoutineConfig(learning_days=14))
    day0 = datetime(2026, 1, 5, tzinfo=UTC)

    door, kitchen = (Room.FRONT_DOOR, DeviceType.CONTACT), (Room.KITCHEN, DeviceType.MOTION)
    life = []
    for d in range(21):  # day 20 ends at 17:00, before going out for three days
        for k in range(31):
            hour = 7 + k / 2
            away_overnight = (d in nights_away and hour >= 18) or (d - 1 in nights_away and hour < 11)
            if not (10 <= hour <= 13 or away_overnight or (d == 20 and hour >= 17)):
                life.append((day0 + timedelta(days=d, hours=hour), kitchen))
        doors = (10, 13, 18, 35) if d in nights_away else (10, 13)  # 35: 11:00 the next day
        life += [(day0 + timedelta(days=d, hours=h), door) for h in doors]
    life += [(day0 + timedelta(days=20, hours=17), kitchen), (day0 + timedelta(days=20, hours=18), door)]
    for at, (room, device_type) in sorted(life):  # the last: out at 18:00 for three days
        model.learn_one(SensorEvent("h-1", f"{device_type}-{room}", device_type, room, at, 1.0))
    checks = (day0 + timedelta(days=20, hours=18, minutes=m) for m in range(5, 72 * 60, 5))
    return [(t, s) for t in checks for s in model.check(t) if isinstance(s, AlertSignal)], model


def test_someone_who_sometimes_stays_away_overnight_is_not_reported_not_back_the_morning_after():
    raised, model = _outgoing_resident(nights_away=(5, 12))
    assert raised == []
    assert model.staying_away(datetime(2026, 1, 26, 3, 0, tzinfo=UTC))
    assert not model.staying_away(datetime(2026, 1, 26, 2, 59, tzinfo=UTC))  # the evening out: not yet


def test_someone_who_never_stays_out_overnight_is_reported_not_back_the_same_evening():
    raised, _ = _outgoing_resident(nights_away=())
    [(at, alert)] = raised
    assert alert.kind.value == "not_returned"
    # Out 10:00 until the first sign indoors at 13:30, every day: 3 h 30 min x 1.5 + 1 h = 6 h 15 min.
    assert at == datetime(2026, 1, 26, 0, 20, tzinfo=UTC)


def test_one_night_away_in_the_learned_weeks_is_not_yet_a_habit_of_staying_away():
    raised, _ = _outgoing_resident(nights_away=(12,))
    assert [alert.kind.value for _, alert in raised] == ["not_returned"]
