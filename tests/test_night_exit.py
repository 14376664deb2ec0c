"""The front door opening at night is an exit once nobody is seen inside after it; someone who opens it to
look out, or comes home while the sensors had them in, is seen inside again within minutes."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import BEDROOM, DOOR, KITCHEN, ROUTINE_DAY0, SettledResident

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
