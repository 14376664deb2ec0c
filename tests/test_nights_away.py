"""Someone who spends nights away: reported the first times, then known to stay away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from detection.routine import RoutineConfig, RoutineModel
from telecare.domain import AlertSignal, DeviceType, Room, SensorEvent

DAY0 = datetime(2026, 1, 5, tzinfo=UTC)
DAYS = 26


def _working_resident(nights_away: tuple[int, ...], *, genuine: bool = False, nights_known: int | None = None
                      ) -> list[tuple[datetime, AlertSignal]]:
    """Up at 07:00, out of the door 10:00-22:00 every day (outings of 12 h 30 min to the first sign indoors: not back after 19 h 45 min, 05:45
    the next morning); on ``nights_away`` out from 10:00 until 20:00 the next day. Checked every
    5 minutes; with ``genuine``, a responder finds every not_returned alert genuine at once."""
    model = RoutineModel("h-1", "UTC", RoutineConfig(learning_days=14))
    if nights_known is not None:  # the home's care plan
        model.where.nights_known = nights_known
    door, kitchen = (Room.FRONT_DOOR, DeviceType.CONTACT), (Room.KITCHEN, DeviceType.MOTION)
    life = []
    for d in range(DAYS):
        if d - 1 in nights_away:
            life += [(DAY0 + timedelta(days=d, hours=20), door), (DAY0 + timedelta(days=d, hours=20.5), kitchen)]
            continue
        life += [(DAY0 + timedelta(days=d, hours=h), kitchen) for h in (7, 8, 9, 9.5)]
        life.append((DAY0 + timedelta(days=d, hours=10), door))
        if d not in nights_away:
            life += [(DAY0 + timedelta(days=d, hours=22), door), (DAY0 + timedelta(days=d, hours=22.5), kitchen)]
    life.sort()
    raised, k = [], 0
    for t in (DAY0 + timedelta(minutes=m) for m in range(0, DAYS * 24 * 60, 5)):
        while k < len(life) and life[k][0] <= t:
            at, (room, device_type) = life[k]
            model.learn_one(SensorEvent("h-1", f"{device_type}-{room}", device_type, room, at, 1.0))
            k += 1
        for signal in model.check(t):
            if isinstance(signal, AlertSignal):
                raised.append((t, signal))
                if genuine:
                    model.confirm_quiet(datetime.fromisoformat(signal.evidence["quiet_since"]))
    return raised


def _reported_days(raised) -> list[int]:
    return [(t - DAY0).days for t, alert in raised if alert.kind.value == "not_returned"]


def test_a_first_night_away_is_reported_not_back_the_next_morning():
    raised = _working_resident(nights_away=(16,))
    [(at, alert)] = raised
    assert alert.kind.value == "not_returned" and at == DAY0 + timedelta(days=17, hours=5, minutes=50)
    assert "Went out at 10:00 and not back after 19 h 50 min" in alert.summary


def test_nights_away_that_were_reported_become_a_habit_once_the_resident_came_home_from_them():
    # Never away overnight while learning; then two nights away, each reported and each ending with
    # the resident home again. The third and fourth are staying away, not "not back".
    raised = _working_resident(nights_away=(16, 19, 21, 23))
    assert _reported_days(raised) == [17, 20]


def test_nights_out_a_responder_found_genuine_are_never_a_habit_of_staying_away():
    raised = _working_resident(nights_away=(16, 19, 21, 23), genuine=True)
    assert _reported_days(raised) == [17, 20, 22, 24]


def test_a_care_plan_can_take_one_night_away_as_a_habit_or_report_every_night_out():
    assert _reported_days(_working_resident(nights_away=(16, 19, 21, 23), nights_known=1)) == [17]
    assert _reported_days(_working_resident(nights_away=(16, 19, 21, 23), nights_known=28)) == [17, 20, 22, 24]


def test_a_replay_or_an_evaluation_takes_a_homes_nights_away_as_the_service_does(capsys):
    import pytest

    from detection.evaluate import routine_config
    from detection.replay import make_engine
    from telecare.cli import main

    engine = make_engine(nights_away=1)  # telecare replay --nights-away 1
    engine.add_household("h-1", "UTC")
    assert engine.routines["h-1"].where.nights_known == 1
    assert not engine.set_nights_away_known("h-1", None)  # this engine's default: the replay's setting
    assert engine.set_nights_away_known("h-1", 28) and engine.routines["h-1"].where.nights_known == 28
    assert routine_config(["nights_away_known=1"]) == {"nights_away_known": 1}  # telecare evaluate --set
    with pytest.raises(SystemExit):
        main(["replay", "--household", "h.json", "e.jsonl", "--nights-away", "0"])
    assert "a whole number of nights from 1 to 28" in capsys.readouterr().err
