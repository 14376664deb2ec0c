"""Getting up, as the routine learns it: a drink in the small hours and back to bed is not the morning."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from telecare.domain import DeviceType, Room
from tests.factories import ROUTINE_DAY0, TickedRoutine

DAY0 = ROUTINE_DAY0


class NightDrinker(TickedRoutine):
    """Bed at 23:00 on a mat (pressed all night, or, ``pulsing`` as house B's, for a second whenever
    he turns over); up at ``up`` (hours) to the kitchen (the motion sensor, then the kettle) and busy
    there every half hour until 22:30. On nights with a drink: the kitchen at 04:30, and back to bed
    at 04:40. Ticked every 5 minutes."""

    def __init__(self, pulsing: bool) -> None:
        super().__init__()
        self.pulsing = pulsing

    def day(self, d: int, *, drink: bool, up: float = 7.0) -> None:
        base = DAY0 + timedelta(days=d)
        lying = [(base - timedelta(hours=1), base + timedelta(hours=up))]
        if drink:
            lying = [(lying[0][0], base + timedelta(hours=4, minutes=25)),
                     (base + timedelta(hours=4, minutes=40), lying[0][1])]
        for down, rise in lying:
            presses = [down + timedelta(minutes=20 * k) for k in range(int((rise - down) / timedelta(minutes=20)))]
            for at, until in ([(p, p + timedelta(seconds=1)) for p in presses] if self.pulsing else [(down, rise)]):
                self.event(at, "mat", DeviceType.BED, Room.BEDROOM, 1.0)
                self.event(until, "mat", DeviceType.BED, Room.BEDROOM, 0.0)
            if drink and down < base:
                self.event(base + timedelta(hours=4, minutes=30), "pir-kitchen", DeviceType.MOTION, Room.KITCHEN)
        morning = base + timedelta(hours=up, minutes=5)
        self.event(morning, "pir-kitchen", DeviceType.MOTION, Room.KITCHEN)
        self.event(morning + timedelta(minutes=5), "kettle", DeviceType.APPLIANCE, Room.KITCHEN)
        self.event(morning + timedelta(minutes=6), "kettle", DeviceType.APPLIANCE, Room.KITCHEN, 0.0)
        for k in range(1, int((22.5 - up) * 2)):
            self.event(morning + timedelta(minutes=30 * k), "pir-kitchen", DeviceType.MOTION, Room.KITCHEN)

    def not_up(self, d: int) -> list[datetime]:
        day = DAY0 + timedelta(days=d)
        return [at for at, a in self.alerts if a.kind.value == "not_up" and day <= at < day + timedelta(days=1)]


@pytest.mark.parametrize("pulsing", [False, True], ids=["mat pressed all night", "mat that pulses"])
def test_a_morning_without_the_usual_drink_in_the_night_is_not_reported_not_up(pulsing):
    # The drinks at 04:30 are not learned as getting up: up at 07:05 is the usual morning.
    home = NightDrinker(pulsing)
    for d in range(20):
        home.day(d, drink=True)
    home.day(20, drink=False)  # slept through, up at 07:05 as always
    assert home.not_up(20) == []


def test_a_late_morning_after_a_drink_in_the_night_is_reported_in_a_home_whose_mat_shows_him_lying_down():
    home = NightDrinker(pulsing=False)
    for d in range(20):
        home.day(d, drink=True)
    home.day(20, drink=True, up=10.5)  # a drink at 04:30, back to bed, then not up until 10:35
    [at] = home.not_up(20)
    assert DAY0 + timedelta(days=20, hours=8) <= at <= DAY0 + timedelta(days=20, hours=8, minutes=15)
    # Up at last: the alert clears.
    assert home.model.open.get("not_up") is None
