"""Night wandering: the front door opening at night is an exit once nobody is seen inside after it (someone
who opens it to look out, or comes home while the sensors had them in, is seen inside again within
minutes); and getting up from bed to be up and about in the kitchen or living room at an hour this person
never is."""

from __future__ import annotations

from datetime import timedelta

from telecare.domain import DeviceType, Room
from tests.factories import BEDROOM, DOOR, KITCHEN, ROUTINE_DAY0, SettledResident

LIVING = ("pir-living", DeviceType.MOTION, Room.LIVING_ROOM)

NIGHT = ROUTINE_DAY0 + timedelta(days=17, hours=2, minutes=30)  # 02:30 after the 17th day


def door_at_night(looked_out_on: tuple[int, ...] = ()) -> SettledResident:
    """A settled resident (16 days learned, one more ordinary day) opens the front door at 02:30 and
    it closes 20 seconds later; a motion sensor sees them go. On the nights after ``looked_out_on``
    days they opened the door at 02:40 and were in the kitchen three minutes later."""
    home = SettledResident()
    for d in range(17):
        home.ordinary_day(d)
        if d in looked_out_on:
            home.at(ROUTINE_DAY0 + timedelta(days=d, hours=26, minutes=40), DOOR)
            home.at(ROUTINE_DAY0 + timedelta(days=d, hours=26, minutes=43), KITCHEN)
    home.at(NIGHT, DOOR)
    home.event(NIGHT + timedelta(seconds=20), *DOOR, value=0.0)
    home.at(NIGHT + timedelta(seconds=40), KITCHEN)  # seeing them leave, not them coming back
    return home


def night_alerts(home: SettledResident) -> list:
    return [(at, a) for at, a in home.alerts if at >= NIGHT and a.kind.value == "night_wandering"]


def test_leaving_by_the_front_door_at_night_is_reported_when_nobody_is_seen_inside_five_minutes_later():
    home = door_at_night()
    home.until(NIGHT + timedelta(hours=1))
    [(at, alert)] = night_alerts(home)
    assert at == NIGHT + timedelta(minutes=5)
    assert alert.summary.startswith(
        "Front door opened at 02:30, in the night, and nobody has been seen inside since (5 min). "
        "In the last 17 days it was opened between 02:00 and 03:00 on 0 days.")
    assert alert.evidence["opened"] == NIGHT.isoformat()


def test_opening_the_front_door_at_night_and_being_seen_inside_again_raises_nothing():
    home = door_at_night()
    home.at(NIGHT + timedelta(minutes=3), KITCHEN)  # back in: looked out, or came home unseen
    home.at(NIGHT + timedelta(minutes=6), BEDROOM)
    home.until(NIGHT + timedelta(hours=1))
    assert night_alerts(home) == []
    assert not home.model.where.out


def test_coming_back_in_at_night_on_several_nights_does_not_make_leaving_then_usual():
    home = door_at_night(looked_out_on=(3, 15))
    home.until(NIGHT + timedelta(hours=1))
    assert [alert.evidence["days_with_door_this_hour"] for _, alert in night_alerts(home)] == [0]
    assert [at for at, _ in home.alerts if at < NIGHT] == []  # nor was looking out on a monitored night


def up_in_the_night(minutes: int, up_on: tuple[int, ...] = ()) -> SettledResident:
    """A settled resident who goes to bed at 22:30 (the bedroom sensor), and on the night after day 16
    gets up at 02:10 and is in the kitchen and living room every 3 minutes for ``minutes``; on the
    nights after ``up_on`` days they were up like that at 02:05 for half an hour."""
    home = SettledResident()
    for d in range(17):
        home.ordinary_day(d)
        home.at(ROUTINE_DAY0 + timedelta(days=d, hours=22, minutes=30), BEDROOM)
        if d in up_on:
            for m in range(5, 36, 3):
                home.at(ROUTINE_DAY0 + timedelta(days=d, hours=26, minutes=m), KITCHEN)
    home.at(NIGHT - timedelta(minutes=20), BEDROOM)  # 02:10: out of bed
    for m in range(2, minutes + 1, 3):
        home.at(NIGHT - timedelta(minutes=20 - m), KITCHEN if m % 2 else LIVING)
    home.at(NIGHT + timedelta(minutes=minutes - 20 + 2), BEDROOM)  # back to bed
    home.until(NIGHT + timedelta(hours=2))
    return home


def test_up_and_about_in_the_kitchen_at_two_in_the_morning_is_reported_after_twenty_minutes_with_the_words():
    home = up_in_the_night(40)
    [(at, alert)] = [(at, a) for at, a in home.alerts if at >= NIGHT - timedelta(hours=1)]
    assert alert.kind.value == "night_wandering" and at == NIGHT  # 02:30
    assert alert.summary == (
        "Up and about in the night: in the living room and kitchen since 02:10 (20 min). In the last 17 "
        "days there was movement in the kitchen or living areas between 02:00 and 03:00 on 0 days.")


def test_a_drink_of_water_in_the_night_raises_nothing():
    home = up_in_the_night(8)
    assert [a.kind.value for at, a in home.alerts if at >= NIGHT - timedelta(hours=1)] == []


def test_someone_who_is_often_up_in_the_kitchen_at_that_hour_is_not_reported():
    home = up_in_the_night(40, up_on=(2, 5, 8, 11))
    assert [a.kind.value for at, a in home.alerts if at >= NIGHT - timedelta(hours=1)] == []


def leaves_at(home: SettledResident, at) -> None:
    """Out of the front door at ``at`` (a motion sensor sees them go), home again three hours later."""
    home.at(at, DOOR)
    home.event(at + timedelta(seconds=20), *DOOR, value=0.0)
    home.at(at + timedelta(seconds=40), KITCHEN)
    home.at(at + timedelta(hours=3), DOOR)
    home.at(at + timedelta(hours=3, minutes=1), KITCHEN)


def test_an_early_departure_a_responder_called_a_false_alarm_is_not_reported_again_but_another_hour_is():
    answered, unanswered = door_at_night(), door_at_night()
    for home in (answered, unanswered):
        home.at(NIGHT + timedelta(hours=3), DOOR)  # home at 05:30
        home.at(NIGHT + timedelta(hours=3, minutes=1), KITCHEN)
        [(_, alert)] = night_alerts(home)
        assert alert.evidence["night_since"] == NIGHT.isoformat()
    assert answered.model.dismiss_quiet(NIGHT)  # the responder: he takes the early bus on market days
    assert not answered.model.dismiss_quiet(NIGHT)  # said again (every half minute): nothing new
    for home in (answered, unanswered):
        home.ordinary_day(17)
        leaves_at(home, NIGHT + timedelta(days=1, minutes=10))  # 02:40 the next night
        home.ordinary_day(18)
        leaves_at(home, NIGHT + timedelta(days=2, hours=-2))  # 00:30 the night after
        home.until(NIGHT + timedelta(days=2, hours=2))
    opened = [alert.evidence["opened"][11:16] for _, alert in night_alerts(answered)]
    assert opened == ["02:30", "00:30"]  # the first, and the one at another hour: not 02:40
    assert [alert.evidence["opened"][11:16] for _, alert in night_alerts(unanswered)] == ["02:30", "02:40", "00:30"]
