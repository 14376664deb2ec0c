"""Responders' verdicts: a false inactivity or not-up alert teaches that quiet or that morning; false
alarms of other kinds make that home's learned alert of that kind more patient."""

from __future__ import annotations

from datetime import datetime, timedelta

from alerts.actions import resolve
from alerts.service import apply_signal
from detection.safety import SafetyConfig
from detection.service import DetectionService
from telecare.clock import ManualClock
from telecare.db import session_scope
from telecare.domain import AlertKind, AlertSignal
from tests.factories import DOOR, KITCHEN, ROUTINE_DAY0, SettledResident
from tests.web_app import NOW, world  # noqa: F401 - fixtures


class Napper(SettledResident):
    """A settled resident (16 days: the kitchen every half hour, 07:00-22:00) who, from day 16 on,
    sometimes sits quiet for a while after being in the kitchen."""

    def quiet_day(self, d: int, since: float, until: float) -> datetime:
        """Day ``d`` as usual, but nothing between ``since`` and ``until`` (hours): when the quiet began."""
        hours = [7 + k / 2 for k in range(31) if not 9 <= 7 + k / 2 <= 13 and not since < 7 + k / 2 < until]
        for hour, device in sorted([*((h, KITCHEN) for h in hours), (9, DOOR), (13, DOOR)]):
            self.at(ROUTINE_DAY0 + timedelta(days=d, hours=hour), device)
        self.until(ROUTINE_DAY0 + timedelta(days=d, hours=23))
        return ROUTINE_DAY0 + timedelta(days=d, hours=since)

    def inactivity_on(self, d: int) -> list[AlertSignal]:
        day = ROUTINE_DAY0 + timedelta(days=d)
        return [a for at, a in self.alerts if day <= at < day + timedelta(days=1) and a.kind is AlertKind.INACTIVITY]


def test_a_false_alarm_on_an_afternoon_quiet_teaches_it_and_a_fall_in_the_evening_is_found_as_soon():
    dismissed, unanswered = Napper().settled(), Napper().settled()
    for home in (dismissed, unanswered):
        nap = home.quiet_day(16, 15, 17.5)  # two and a half hours after the 15:00 kitchen visit
        [alert] = home.inactivity_on(16)
        assert alert.evidence["quiet_since"] == nap.isoformat()
    assert dismissed.model.dismiss_quiet(nap)  # the responder: a false alarm, he was reading
    assert not dismissed.model.dismiss_quiet(nap)  # said again (every half minute): nothing new
    for home in (dismissed, unanswered):
        home.quiet_day(17, 15, 17.5)
        home.quiet_day(18, 19, 21.5)  # a fall at 19:00, found when he gets up at 21:30 (or sooner)
    assert dismissed.inactivity_on(17) == [] and len(unanswered.inactivity_on(17)) == 1
    [evening], [as_before] = dismissed.inactivity_on(18), unanswered.inactivity_on(18)
    assert evening.ts == as_before.ts and evening.evidence["limit_minutes"] < 90
    assert "wider" not in evening.summary


def verdict(factory, household_id: int, kind: AlertKind, outcome: str, days_ago: float,
            evidence: dict | None = None) -> None:
    at = NOW - timedelta(days=days_ago)
    with session_scope(factory) as s:
        signal = AlertSignal("ignored", kind, at, f"{kind} for a test", f"{kind}-{outcome}-{days_ago}",
                             kind.default_severity, evidence or {})
        change = apply_signal(s, household_id, signal, now=at)
        resolve(s, change.alert_id, "resp", outcome, at)


def test_false_alarms_widen_only_that_home_and_kind_and_never_the_safety_alerts_inactivity_nor_not_up(
    world,  # noqa: F811
):
    a, b = world.ids["home_a"], world.ids["home_b"]
    for days_ago in (2, 5, 9):
        verdict(world.factory, a, AlertKind.LONG_BATHROOM, "false_alarm", days_ago)
        verdict(world.factory, a, AlertKind.FALL, "false_alarm", days_ago)
        verdict(world.factory, a, AlertKind.INACTIVITY, "false_alarm", days_ago)  # learned instead
        verdict(world.factory, a, AlertKind.NOT_UP, "false_alarm", days_ago)  # learned instead
    verdict(world.factory, a, AlertKind.LONG_BATHROOM, "genuine", 3)  # one real: a step back
    verdict(world.factory, a, AlertKind.NOT_RETURNED, "false_alarm", 120)  # too long ago
    verdict(world.factory, b, AlertKind.LONG_BATHROOM, "genuine", 1)

    service = DetectionService(world.factory, ManualClock(NOW), SafetyConfig(timedelta(hours=6)))
    service.recover()
    service.refresh_context(NOW)
    assert service.engine.routines["home-a"].tolerance == {"long_bathroom": 1.5}
    assert service.engine.routines["home-b"].tolerance == {}


def test_quiet_a_responder_found_genuine_or_a_false_alarm_reaches_that_homes_model(world):  # noqa: F811
    a, b = world.ids["home_a"], world.ids["home_b"]
    fall, nap = NOW - timedelta(days=2, hours=3), NOW - timedelta(days=4, hours=3)
    verdict(world.factory, a, AlertKind.INACTIVITY, "genuine", 2, {"quiet_since": fall.isoformat()})
    verdict(world.factory, a, AlertKind.INACTIVITY, "false_alarm", 4, {"quiet_since": nap.isoformat()})
    verdict(world.factory, b, AlertKind.FALL, "genuine", 1, {"quiet_since": fall.isoformat()})  # not quiet
    verdict(world.factory, b, AlertKind.NOT_UP, "genuine", 1, {"quiet_since": "not a time"})
    lie_in = NOW - timedelta(days=3, hours=12)
    verdict(world.factory, b, AlertKind.NOT_UP, "false_alarm", 3, {"quiet_since": lie_in.isoformat()})

    service = DetectionService(world.factory, ManualClock(NOW), SafetyConfig(timedelta(hours=6)))
    service.recover()
    service._dirty.clear()
    service.refresh_context(NOW)
    assert list(service.engine.routines["home-a"].quiet.confirmed) == [fall.timestamp()]
    assert list(service.engine.routines["home-a"].quiet.dismissed) == [nap.timestamp()]
    assert list(service.engine.routines["home-b"].quiet.confirmed) == []
    assert list(service.engine.routines["home-a"].mornings.confirmed) == [fall.timestamp()]
    assert list(service.engine.routines["home-b"].mornings.dismissed) == [lie_in.timestamp()]
    assert service._dirty == {"home-a", "home-b"}  # saved with the next snapshot
    service._dirty.clear()
    service.refresh_context(NOW + timedelta(seconds=30))  # every half minute: nothing new
    assert service._dirty == set()


def test_a_night_alert_a_responder_found_a_false_alarm_reaches_that_homes_model(world):  # noqa: F811
    from detection.feedback import dismissed_quiet

    a, b = world.ids["home_a"], world.ids["home_b"]
    early_bus, wandered = NOW - timedelta(days=2, hours=20), NOW - timedelta(days=1, hours=21)
    verdict(world.factory, a, AlertKind.NIGHT_WANDERING, "false_alarm", 2, {"night_since": early_bus.isoformat()})
    verdict(world.factory, b, AlertKind.NIGHT_WANDERING, "genuine", 1, {"night_since": wandered.isoformat()})
    with session_scope(world.factory) as s:
        assert dismissed_quiet(s, NOW) == {a: [early_bus]}
