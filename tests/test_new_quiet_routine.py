"""A new quiet time that comes back day after day (a day centre, a job, outings a dead door sensor does
not see) stops raising inactivity after a few days; a quiet spell that happens once, such as a fall,
is never learned as normal."""

from __future__ import annotations

from datetime import datetime, timedelta

from telecare.domain import Room
from tests.test_quiet_places import DAY0, ContactOnlyHome

NEW_QUIET = (12, 17)  # hours: out from noon to five, unseen


def busy_day_with_new_quiet(home: ContactOnlyHome, d: int) -> None:
    """The ordinary day, but nothing is seen from 12:00 to 17:00."""
    day = DAY0 + timedelta(days=d)
    home.opened(day + timedelta(hours=7), Room.KITCHEN)
    home.opened(day + timedelta(hours=7, minutes=30), Room.KITCHEN)
    home.opened(day + timedelta(hours=8), Room.BEDROOM)
    for k in range(25):
        at = timedelta(hours=10, minutes=30 * k)
        if not timedelta(hours=NEW_QUIET[0]) < at < timedelta(hours=NEW_QUIET[1]):
            home.opened(day + at, Room.KITCHEN)
    home.opened(day + timedelta(hours=22, minutes=30), Room.BEDROOM)


def settled_home() -> ContactOnlyHome:
    """Three ordinary weeks learned."""
    home = ContactOnlyHome()
    for d in range(21):
        home.ordinary_day(d)
    return home


def inactivity_days(home: ContactOnlyHome) -> list[int]:
    return [(at - DAY0).days for at, alert in home.alerts if alert.kind.value == "inactivity"]


def test_an_afternoon_out_every_day_stops_raising_inactivity_after_three_days():
    home = settled_home()
    for d in range(21, 28):
        busy_day_with_new_quiet(home, d)
    home.tick_until(DAY0 + timedelta(days=28, hours=4))

    # Each of the first three afternoons is alerted (the house is usually never quiet then);
    # after the third, the afternoons are the routine.
    assert inactivity_days(home) == [21, 22, 23]
    limit = home.model.quiet.limit(DAY0 + timedelta(days=28, hours=12))
    assert limit.usual == 5 * 60 and limit.learned


def test_a_one_off_quiet_afternoon_is_never_learned_and_the_next_one_is_alerted_again():
    home = settled_home()
    busy_day_with_new_quiet(home, 21)  # a fall, say: found, helped up, back to normal
    for d in range(22, 27):
        home.ordinary_day(d)
    busy_day_with_new_quiet(home, 27)
    home.tick_until(DAY0 + timedelta(days=28, hours=4))

    assert inactivity_days(home) == [21, 27]
    assert home.model.quiet.limit(DAY0 + timedelta(days=28, hours=12)).usual < 60


def confirm_genuine(home: ContactOnlyHome, day: int) -> None:
    """A responder resolves that day's inactivity alert as genuine (the resident was found unwell)."""
    [alert] = [a for at, a in home.alerts if a.kind.value == "inactivity" and (at - DAY0).days == day]
    home.model.confirm_quiet(datetime.fromisoformat(alert.evidence["quiet_since"]))


def test_quiet_afternoons_a_responder_confirmed_as_genuine_keep_being_alerted():
    home = settled_home()
    for d in range(21, 28):  # each afternoon the resident is found unwell, and says so
        busy_day_with_new_quiet(home, d)
        confirm_genuine(home, d)
    home.tick_until(DAY0 + timedelta(days=28, hours=4))

    assert inactivity_days(home) == list(range(21, 28))
    assert home.model.quiet.limit(DAY0 + timedelta(days=28, hours=12)).usual < 60


def test_a_genuine_verdict_after_the_afternoons_were_learned_makes_them_alerted_again():
    home = settled_home()
    for d in range(21, 24):
        busy_day_with_new_quiet(home, d)
    assert home.model.quiet.limit(DAY0 + timedelta(days=24, hours=12)).usual == 5 * 60  # learned

    confirm_genuine(home, 23)  # the third was trouble after all: the three no longer make a routine
    assert home.model.quiet.limit(DAY0 + timedelta(days=24, hours=12)).usual < 60
    busy_day_with_new_quiet(home, 24)
    home.tick_until(DAY0 + timedelta(days=25, hours=4))
    assert inactivity_days(home) == [21, 22, 23, 24]
