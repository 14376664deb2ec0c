"""Quiet is also judged by the sign it began with: after the fridge closes something else always
follows within minutes, so a fall there is raised within the hour, even at a time of day when the
resident often sits still for two hours after making tea."""

from __future__ import annotations

from datetime import datetime, timedelta

from telecare.domain import Room
from tests.factories import ROUTINE_DAY0 as DAY0
from tests.factories import KitchenContactsHome

def test_a_fall_after_closing_the_fridge_is_raised_within_the_hour_not_after_the_afternoon_sit():
    home = KitchenContactsHome()
    home.ordinary_days(21)
    assert home.model.monitoring and home.alerts == []  # two hours in the armchair every day is normal

    fall_day = DAY0 + timedelta(days=21)
    home.morning(fall_day)
    home.used(fall_day + timedelta(hours=14), "fridge")  # closed at 14:01, then nothing
    home.sign(fall_day + timedelta(hours=20), "pans", Room.KITCHEN, 1.0)

    [(at, alert)] = home.alerts
    assert alert.kind.value == "inactivity"
    # After the fridge closes the microwave follows within 4 min: the limit is the floor, 45 min.
    # By the time of day alone (tea, then two hours sitting) it would have been 120 * 1.5 + 20 = 200 min.
    assert at - (fall_day + timedelta(hours=14, minutes=1)) <= timedelta(minutes=46)
    assert alert.summary == (
        "No movement since 14:01 (46 min). It began just after a door or cupboard closed in the kitchen; "
        "on the 21 days that happened in recent weeks, something else always followed within 4 min."
    )
    assert alert.evidence["quiet_began"] == "after_sign" and alert.evidence["limit_minutes"] == 45


def test_the_usual_two_hours_after_making_tea_raise_nothing():
    home = KitchenContactsHome()
    home.ordinary_days(28)
    assert home.model.monitoring and home.alerts == []


def test_a_long_sit_after_lunch_is_raised_once_and_then_learned_as_that_signs_normal():
    home = KitchenContactsHome()
    home.ordinary_days(21)
    for d in (21, 22):  # a sandwich, then straight to the armchair for 90 minutes, two days running
        day = DAY0 + timedelta(days=d)
        home.morning(day)
        home.used(day + timedelta(hours=14), "fridge")
        home.afternoon(day, sits_until=timedelta(hours=15, minutes=31), tea=False)

    [(at, alert)] = home.alerts
    assert alert.kind.value == "inactivity" and at.date() == (DAY0 + timedelta(days=21)).date()
    # Within the time of day's limit, so learned as soon as it ended: after the fridge, 90 minutes
    # is now known.
    assert home.model.next_sign.limit("fridge:0").usual == 90.0


def test_a_rest_in_the_bedroom_is_judged_by_the_bedroom_not_by_the_door_it_began_with():
    # Most evenings at 19:30 the resident fetches something from the bedroom and is back in the
    # kitchen within minutes; every fifth evening they lie down there for two hours after taking a
    # book from the dresser. One evening the rest begins with the bedroom door instead.
    home = KitchenContactsHome()

    def evening(day: datetime, last_sign: str | None = None) -> None:
        home.morning(day)
        home.lunch(day)
        for k in range(10):
            home.used(day + timedelta(hours=16, minutes=10 + 20 * k), "pans")
        if last_sign is None:  # the fetch
            home.used(day + timedelta(hours=19, minutes=30), "bedroom-door", Room.BEDROOM)
            back = timedelta(hours=19, minutes=38)
        else:  # the rest
            home.used(day + timedelta(hours=19, minutes=30), last_sign, Room.BEDROOM)
            back = timedelta(hours=21, minutes=30)
        for k in range(3):
            home.used(day + back + timedelta(minutes=20 * k), "pans")
        home.used(day + timedelta(hours=22, minutes=30), "bedroom-door", Room.BEDROOM)

    for d in range(21):
        evening(DAY0 + timedelta(days=d), "dresser" if d % 5 == 4 else None)
    assert home.alerts == []
    rest = DAY0 + timedelta(days=21)
    evening(rest, "bedroom-door")
    # The bedroom's own limit at that time of day, not "after the bedroom door something else
    # always followed within 7 min".
    assert home.alerts == []
