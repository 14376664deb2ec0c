"""Eating less as a carer sees it: usual meal times missed at home are raised, meals out are not."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from detection.routine import RoutineConfig, RoutineModel
from telecare.domain import AlertSignal, DeviceType, Room, SensorEvent

DAY0 = datetime(2026, 1, 5, tzinfo=UTC)


class Diner:
    """A resident with motion sensors and a front-door contact, living day by day through a routine model:
    up at 07:00, in the living room on the hour, in the kitchen at the given times, in bed at 22:30."""

    def __init__(self, seed: int = 5) -> None:
        self.model = RoutineModel("h-1", "UTC", RoutineConfig(learning_days=14))
        self.rng = random.Random(seed)
        self.alerts: list[tuple[int, AlertSignal]] = []

    def seen(self, at: datetime, room: Room, device_type: DeviceType = DeviceType.MOTION) -> None:
        for s in self.model.learn_one(SensorEvent("h-1", f"{device_type}-{room}", device_type, room, at, 1.0)):
            if isinstance(s, AlertSignal) and s.kind.value == "kitchen_decline":
                self.alerts.append(((s.ts - DAY0).days, s))

    def day(self, d: int, meals: tuple[float, ...] = (8, 18), out: tuple[float, float] | None = None) -> None:
        events = [(h + 0.25, Room.LIVING_ROOM, DeviceType.MOTION) for h in range(7, 22)]
        events += [(h + self.rng.randint(-15, 15) / 60, Room.KITCHEN, DeviceType.MOTION) for h in meals]
        if out is not None:
            leave, back = out
            events = [e for e in events if not leave <= e[0] <= back]
            events += [(leave, Room.FRONT_DOOR, DeviceType.CONTACT), (back, Room.FRONT_DOOR, DeviceType.CONTACT),
                       (back + 0.1, Room.HALLWAY, DeviceType.MOTION)]
        events.append((22.5, Room.BEDROOM, DeviceType.MOTION))
        for hour, room, device_type in sorted(events):
            self.seen(DAY0 + timedelta(days=d, hours=hour), room, device_type)


def test_a_resident_who_stops_having_breakfast_is_reported_within_days_though_she_visits_the_kitchen_as_often():
    her = Diner()
    for d in range(30):
        her.day(d, meals=(8, 18))
    assert her.alerts == []
    for d in range(30, 40):  # no more breakfast: a snack at lunchtime instead, as many visits as before
        her.day(d, meals=(13, 18))
    [(day, alert), *_] = her.alerts
    assert 30 <= day <= 34
    assert "No kitchen visit between 07:00 and 10:00 on" in alert.summary, alert.summary
    assert "(usually on 98% of days)" in alert.summary, alert.summary
    [breakfast] = [m for m in alert.evidence["meals"] if m["from"] == "07:00"]
    assert breakfast["missed"] == breakfast["days_home"] >= 2


def test_breakfast_out_of_the_house_is_not_a_missed_meal():
    her = Diner()
    for d in range(30):
        her.day(d, meals=(8, 18))
    for d in range(30, 45):  # now out for breakfast at the café every morning, dinner at home as ever
        her.day(d, meals=(13, 18), out=(7.5, 11.5))
    assert her.alerts == []


def test_a_late_or_skipped_breakfast_now_and_then_is_not_a_trend():
    her = Diner(seed=9)
    rng = random.Random(3)
    for d in range(70):
        her.day(d, meals=(18,) if rng.random() < 0.12 else (rng.choice([8, 8, 8, 10.75]), 18))
    assert her.alerts == []
