"""One sensor firing on its own while the resident is out (sun on a motion sensor, the heating, a pet, a
mercury switch rattling) is not them coming home: house B of the van Kasteren recordings has its kitchen
sensor fire during most of his outings, and his dresser's tilt switch once, three hours into his last."""

from __future__ import annotations

from datetime import datetime, timedelta

from telecare.domain import DeviceType, Room
from tests.factories import BEDROOM, DOOR, FRIDGE, KITCHEN, ROUTINE_DAY0
from tests.factories import SettledResident as Resident

DAY0 = ROUTINE_DAY0
DRESSER = ("tilt-dresser", DeviceType.CONTACT, Room.BEDROOM)  # a mercury switch


def out_for_the_evening() -> tuple[Resident, datetime]:
    """A settled resident who went out at 19:00 on day 16, and the start of that day."""
    home = Resident().settled()
    base = DAY0 + timedelta(days=16)
    home.ordinary_day(16, evening_until=18.5)
    home.at(base + timedelta(hours=19), DOOR)
    return home, base


def test_a_kitchen_sensor_firing_alone_during_an_evening_out_raises_nothing_and_the_return_at_night_is_not_an_exit():
    home, base = out_for_the_evening()
    home.at(base + timedelta(hours=21), KITCHEN)  # the kitchen sensor, on its own
    home.at(base + timedelta(hours=22, minutes=40), KITCHEN)
    home.at(base + timedelta(hours=25, minutes=30), DOOR)  # home at 01:30
    home.at(base + timedelta(hours=25, minutes=40), KITCHEN)
    home.until(base + timedelta(hours=26))
    assert [(at, a.kind.value) for at, a in home.alerts if at >= base] == []
    assert not home.model.where.out
    # The evening out is learned at its full length, door to door: 6 h 30 min, not 2 h.
    assert max(home.model.where.lengths) >= 6.5 * 60


def test_a_fall_after_coming_home_is_still_judged_as_quiet_at_home():
    home = Resident().settled()
    base = DAY0 + timedelta(days=16)
    home.ordinary_day(16, evening_until=13.5)
    home.at(base + timedelta(hours=14), DOOR)
    home.at(base + timedelta(hours=15), DOOR)  # back at 15:00
    home.at(base + timedelta(hours=15, minutes=20), KITCHEN)  # seen once, 20 minutes later, then nothing
    assert not home.model.where.out
    home.until(base + timedelta(hours=19))
    assert [a.kind.value for at, a in home.alerts if at >= base] == ["inactivity"]


def test_motion_in_two_rooms_while_out_is_someone_in_the_house():
    home, base = out_for_the_evening()
    home.at(base + timedelta(hours=20), KITCHEN)
    assert home.model.where.out  # one sensor alone: still out
    home.at(base + timedelta(hours=20, minutes=3), BEDROOM)
    assert not home.model.where.out  # the door contact missed the return, or a carer let themselves in


def test_a_switch_tilting_once_while_out_raises_no_inactivity_and_the_night_out_is_learned_door_to_door():
    # House B's last recorded day: out at 16:27, the dresser's tilt switch at 19:35, nothing else until
    # he came home the next afternoon. Taken as him, it was 16 hours of "no movement since 19:35".
    home, base = out_for_the_evening()
    home.at(base + timedelta(hours=22), DRESSER)
    home.at(base + timedelta(hours=22, seconds=5), DRESSER)  # it settles: the same switch again
    assert home.model.where.out
    home.at(base + timedelta(hours=25, minutes=30), DOOR)  # home at 01:30
    home.at(base + timedelta(hours=25, minutes=32), KITCHEN)
    home.until(base + timedelta(hours=26))
    assert [(at, a.kind.value) for at, a in home.alerts if at >= base] == []
    assert max(home.model.where.lengths) >= 6.5 * 60


def test_a_cupboard_and_then_the_kitchen_while_out_is_someone_in_the_house():
    home, base = out_for_the_evening()
    home.at(base + timedelta(hours=20), FRIDGE)
    assert home.model.where.out  # one thing alone: not yet
    home.at(base + timedelta(hours=20, minutes=4), KITCHEN)
    assert not home.model.where.out  # the door contact missed the return, or a carer let themselves in


def test_not_back_says_what_fired_inside_when_one_sensor_did():
    # Home unseen by the door, one cupboard, then nothing: reported as not back, with that cupboard in it.
    home, base = out_for_the_evening()
    home.at(base + timedelta(hours=20, minutes=10), FRIDGE)
    home.until(base + timedelta(hours=30))
    [alert] = [a for at, a in home.alerts if at >= base]
    assert alert.kind.value == "not_returned"
    assert ("At 20:10 a door or cupboard opened in the kitchen, with nothing else near it and no outside door "
            "opened: they may have come home unseen.") in alert.summary
    assert alert.evidence["lone_sign_at"] == (base + timedelta(hours=20, minutes=10)).isoformat()


def test_home_for_a_quarter_of_an_hour_between_two_outings_the_kitchen_sensor_firing_alone_is_still_not_him():
    # House B, a summer afternoon: out at 14:30, in through the door at 16:27 and seen in the kitchen
    # 24 s later, out again at 16:40 (the kitchen sensor by the door sees him go) until 22:54, the
    # kitchen sensor firing on its own at 17:58 and 18:51. Read as one outing since 14:30 with the
    # door opened in it, the 17:58 firing brought him home, and his evening out was four hours of
    # silence at home.
    home = Resident().settled()
    base = DAY0 + timedelta(days=16)
    home.ordinary_day(16, evening_until=14)
    home.at(base + timedelta(hours=14, minutes=30), DOOR)
    home.at(base + timedelta(hours=16, minutes=27), DOOR)
    home.at(base + timedelta(hours=16, minutes=27, seconds=24), KITCHEN)
    assert not home.model.where.out  # the door while out, then inside: coming home
    home.at(base + timedelta(hours=16, minutes=40), DOOR)
    home.at(base + timedelta(hours=16, minutes=40, seconds=4), KITCHEN)
    assert home.model.where.out  # the door, then the sensor by it: going out
    home.at(base + timedelta(hours=17, minutes=58), KITCHEN)
    home.at(base + timedelta(hours=18, minutes=51), KITCHEN)
    home.at(base + timedelta(hours=22, minutes=54), DOOR)
    home.at(base + timedelta(hours=22, minutes=54, seconds=3), KITCHEN)
    home.until(base + timedelta(hours=23, minutes=30))
    assert [(at, a.kind.value) for at, a in home.alerts if at >= base] == []
    assert not home.model.where.out
