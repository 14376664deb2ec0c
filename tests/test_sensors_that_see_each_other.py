"""Two motion sensors that see into each other's rooms look like a visitor, and the door after them
like the visitor leaving. Coming home through the door twice after such a "visitor" teaches the model
that the two were one person; a carer who leaves while the resident stays in never does."""

from __future__ import annotations

from datetime import timedelta

from telecare.domain import AlertKind, DeviceType, Room
from tests.factories import DOOR, KITCHEN, ROUTINE_DAY0, SettledResident

BATHROOM = ("pir-bath", DeviceType.MOTION, Room.BATHROOM)


def afternoon(home: SettledResident, d: int, back_at: float | None, carer: bool = False) -> None:
    """Day ``d``: the morning as usual; at 14:00 the kitchen and bathroom sensors fire within two
    seconds of each other, and the front door opens at 14:05. ``back_at``: the resident went out
    and comes in by the door then (hours), seen in the kitchen a minute later; None, with ``carer``:
    the carer left and the resident stays in, seen in the kitchen from 14:20."""
    day = ROUTINE_DAY0 + timedelta(days=d)
    for hour in (7, 7.5, 8, 8.5):
        home.at(day + timedelta(hours=hour), KITCHEN)
    home.at(day + timedelta(hours=9), DOOR)
    home.at(day + timedelta(hours=13), DOOR)
    home.at(day + timedelta(hours=14), KITCHEN)
    home.at(day + timedelta(hours=14, seconds=2), BATHROOM)
    home.at(day + timedelta(hours=14, minutes=5), DOOR)
    home.event(day + timedelta(hours=14, minutes=5, seconds=20), *DOOR, value=0.0)
    if back_at is not None:
        home.at(day + timedelta(hours=back_at), DOOR)
        home.at(day + timedelta(hours=back_at, minutes=1), KITCHEN)
        resumes = back_at + 0.5
    else:
        assert carer
        resumes = 14 + 20 / 60
    while resumes <= 22:
        home.at(day + timedelta(hours=resumes), KITCHEN)
        resumes += 0.5
    home.until(day + timedelta(hours=23))


def inactivity_days(home: SettledResident) -> list[int]:
    return [(at - ROUTINE_DAY0).days for at, a in home.alerts if a.kind is AlertKind.INACTIVITY]


def test_going_out_after_the_sensors_fire_together_is_a_silence_twice_then_an_outing():
    home = SettledResident().settled()
    for d in (16, 17):
        afternoon(home, d, back_at=20)
    afternoon(home, 18, back_at=None, carer=True)  # stays in: the model cannot know yet
    home.at(ROUTINE_DAY0 + timedelta(days=19, hours=14), KITCHEN)
    home.at(ROUTINE_DAY0 + timedelta(days=19, hours=14, seconds=2), BATHROOM)
    home.at(ROUTINE_DAY0 + timedelta(days=19, hours=14, minutes=5), DOOR)
    assert home.model.where.out  # the two sensors are one person now: he went out
    assert inactivity_days(home) == [16, 17]


def test_a_carer_who_leaves_while_the_resident_stays_in_is_still_a_visitor():
    home = SettledResident().settled()
    for d in (16, 17, 18):
        afternoon(home, d, back_at=None, carer=True)
    home.at(ROUTINE_DAY0 + timedelta(days=19, hours=14), KITCHEN)
    home.at(ROUTINE_DAY0 + timedelta(days=19, hours=14, seconds=2), BATHROOM)
    home.at(ROUTINE_DAY0 + timedelta(days=19, hours=14, minutes=5), DOOR)
    assert not home.model.where.out  # the carer left; a fall now is a silence at home
    home.until(ROUTINE_DAY0 + timedelta(days=19, hours=18))
    assert inactivity_days(home) == [19]
