"""A visitor or carer in the house: the door they leave by does not take the resident out with them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from detection.engine import DetectionEngine
from detection.replay import drive, household_events
from detection.routine import RoutineConfig, RoutineModel
from simulator.simulation import build_homes
from telecare.domain import AlertCategory, AlertSignal, DeviceType, Room, SensorEvent


@pytest.fixture(scope="module")
def three_weeks():
    """Three weeks of an early riser, cut at 10:00 on the last morning."""
    [home] = build_homes(1, seed=11, days=22, personas=["early_riser"])
    spec, events = household_events(home.household, home.events())
    cut = events[-1].ts.replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)
    return spec, [e for e in events if e.ts < cut], cut


def morning(spec, start: datetime, with_carer: bool) -> list[SensorEvent]:
    """Half an hour in the kitchen (a carer in the bedroom meanwhile, or nobody), then the front door
    and silence: the resident fell just after the door closed."""
    def seen(device: str, device_type: DeviceType, room: Room, at: datetime, value: float = 1.0):
        return SensorEvent(spec.hub, device, device_type, room, at, value)

    events = []
    for minute in range(0, 30, 3):
        at = start + timedelta(minutes=minute)
        events.append(seen("m-kitchen", DeviceType.MOTION, Room.KITCHEN, at))
        if with_carer:  # making the bed while the resident has breakfast
            events.append(seen("m-bedroom", DeviceType.MOTION, Room.BEDROOM, at + timedelta(seconds=3)))
    door = start + timedelta(minutes=31)
    events += [seen("door-front", DeviceType.CONTACT, Room.FRONT_DOOR, door),
               seen("door-front", DeviceType.CONTACT, Room.FRONT_DOOR, door + timedelta(seconds=20), 0.0)]
    return events


def alerts_after(spec, history, start, with_carer: bool) -> list[tuple[str, datetime]]:
    """Behavioural alerts raised from ``start`` on."""
    engine = DetectionEngine()
    found = []
    for at, s in drive(engine, spec, history + morning(spec, start, with_carer), extend=timedelta(hours=8)):
        # (The thermometer's reports are left out of this morning: it will be called offline.)
        if isinstance(s, AlertSignal) and at >= start and s.kind.category is not AlertCategory.DEVICE:
            found.append((s.kind.value, at))
    return found


def test_a_fall_just_after_the_carer_leaves_is_found_as_a_silence_at_home(three_weeks):
    spec, history, start = three_weeks
    found = alerts_after(spec, history, start, with_carer=True)
    kinds = [kind for kind, _ in found]
    assert kinds and kinds[0] == "inactivity"
    assert found[0][1] - (start + timedelta(minutes=31)) <= timedelta(hours=3)


def test_alone_the_same_door_is_the_resident_going_out(three_weeks):
    spec, history, start = three_weeks
    kinds = [kind for kind, _ in alerts_after(spec, history, start, with_carer=False)]
    assert "inactivity" not in kinds  # out: judged against the usual outings instead


def test_a_visitor_leaving_late_at_night_is_not_night_wandering(three_weeks):
    spec, history, start = three_weeks
    late = start + timedelta(hours=13, minutes=30)  # 23:30: a son leaving after a late visit
    history = history + morning(spec, start, with_carer=False)[:3]
    visited = [kind for kind, at in alerts_after(spec, history, late, with_carer=True)]
    alone = [kind for kind, at in alerts_after(spec, history, late, with_carer=False)]
    assert "night_wandering" in alone and "night_wandering" not in visited


def _bathroom_then_door(nights_together: int) -> RoutineModel:
    """Kitchen and bathroom motion sensors firing together on ``nights_together`` nights at 03:00 (a
    toilet visit), then together at 11:00, and the front door a minute later."""
    model = RoutineModel("h-1", "UTC", RoutineConfig(learning_days=14))
    day0 = datetime(2026, 1, 5, tzinfo=UTC)

    def together(at: datetime) -> None:
        model.learn_one(SensorEvent("h-1", "m-bath", DeviceType.MOTION, Room.BATHROOM, at, 1.0))
        model.learn_one(SensorEvent("h-1", "m-kitchen", DeviceType.MOTION, Room.KITCHEN, at + timedelta(seconds=2), 1.0))

    for night in range(nights_together):
        together(day0 + timedelta(days=night, hours=3))
    together(day0 + timedelta(days=2, hours=11))
    model.learn_one(SensorEvent("h-1", "door", DeviceType.CONTACT, Room.FRONT_DOOR,
                                day0 + timedelta(days=2, hours=11, minutes=1), 1.0))
    return model


def test_two_sensors_that_see_into_each_others_rooms_at_night_are_one_person_not_a_visitor():
    # At night the resident is alone: two rooms at once then, on two nights, is one person seen by
    # two sensors. The door after them by day is the resident going out, not a visitor leaving.
    assert _bathroom_then_door(nights_together=2).where.out
    # Seen together by day only (or on one night): someone else is there, and the door is them leaving.
    assert not _bathroom_then_door(nights_together=1).where.out
    assert not _bathroom_then_door(nights_together=0).where.out
