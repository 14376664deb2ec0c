"""Late mornings: getting up later every day (a carer who now comes at ten) stops raising "not up"
after a few days; late mornings a responder found genuine are never taken as the routine; a lie-in a
responder found a false alarm is learned as a morning at once."""

from __future__ import annotations

from datetime import datetime, timedelta

from telecare.domain import AlertKind
from tests.factories import KITCHEN, ROUTINE_DAY0, SettledResident


class LateRiser(SettledResident):
    """Settled (up at 07:00 for 16 days), then some mornings up later."""

    def late_day(self, d: int, up: float) -> None:
        """Day ``d``: nothing until ``up`` (hours), then the kitchen every half hour until 22:00."""
        hour = up
        while hour <= 22:
            self.at(ROUTINE_DAY0 + timedelta(days=d, hours=hour), KITCHEN)
            hour += 0.5

    def not_up_days(self) -> list[int]:
        return [(at - ROUTINE_DAY0).days for at, a in self.alerts if a.kind is AlertKind.NOT_UP]

    def last_not_up_quiet(self) -> datetime:
        [*_, (_, alert)] = [(at, a) for at, a in self.alerts if a.kind is AlertKind.NOT_UP]
        return datetime.fromisoformat(alert.evidence["quiet_since"])


def test_getting_up_at_half_past_ten_every_day_is_alerted_three_mornings_then_taken_as_the_new_routine():
    home = LateRiser().settled()
    for d in range(16, 22):
        home.late_day(d, 10.5)
    home.until(ROUTINE_DAY0 + timedelta(days=21, hours=23))
    assert home.not_up_days() == [16, 17, 18]


def test_late_mornings_a_responder_found_genuine_keep_raising_not_up():
    home = LateRiser().settled()
    for d in range(16, 22):
        home.late_day(d, 10.5)
        home.until(ROUTINE_DAY0 + timedelta(days=d, hours=12))
        assert home.model.confirm_quiet(home.last_not_up_quiet())  # unwell, each of these mornings
    home.until(ROUTINE_DAY0 + timedelta(days=21, hours=23))
    assert home.not_up_days() == [16, 17, 18, 19, 20, 21]


def test_two_lie_ins_a_responder_found_false_alarms_make_a_third_expected():
    answered, unanswered = LateRiser().settled(), LateRiser().settled()
    for home in (answered, unanswered):
        for d in (16, 17):
            home.late_day(d, 10.5)
            if home is answered:  # the responder phoned: she was fine, just a lie-in
                home.until(ROUTINE_DAY0 + timedelta(days=d, hours=11))
                assert home.model.dismiss_quiet(home.last_not_up_quiet())
                assert not home.model.dismiss_quiet(home.last_not_up_quiet())  # said again: nothing new
        home.late_day(18, 10)
        home.until(ROUTINE_DAY0 + timedelta(days=18, hours=23))
    assert answered.not_up_days() == [16, 17]
    assert unanswered.not_up_days() == [16, 17, 18]
    [*_, (_, alert)] = answered.alerts
    assert "Usually up by 07:00" in alert.summary
