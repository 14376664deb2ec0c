"""Responders' verdicts: false alarms make that home's learned alert of that kind more patient."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.actions import resolve
from alerts.service import apply_signal
from detection.engine import DetectionEngine
from detection.replay import drive, household_events
from detection.safety import SafetyConfig
from detection.service import DetectionService
from simulator.scenarios import parse_scenario
from simulator.simulation import build_homes
from telecare.clock import ManualClock
from telecare.db import session_scope
from telecare.domain import AlertKind, AlertSignal
from tests.web_app import NOW, world  # noqa: F401 - fixtures


@pytest.fixture(scope="module")
def fall_in_the_afternoon():
    [home] = build_homes(1, seed=5, days=24, personas=["early_riser"],
                         scenarios=[parse_scenario("fall@17T15:30"), parse_scenario("not_up@20")])
    return household_events(home.household, home.events())


def first_alerts(spec, events, tolerance: dict[str, float]) -> dict[str, AlertSignal]:
    engine = DetectionEngine()
    engine.add_household(spec.hub, spec.timezone)
    engine.set_tolerance(spec.hub, tolerance)
    alerts: dict[str, AlertSignal] = {}
    for _, s in drive(engine, spec, events):
        if isinstance(s, AlertSignal) and s.evidence.get("learned", True):
            alerts.setdefault(s.kind.value, s)
    return alerts


def test_after_false_alarms_the_inactivity_alert_waits_longer_and_says_why(fall_in_the_afternoon):
    spec, events = fall_in_the_afternoon
    as_learned = first_alerts(spec, events, {})
    patient = first_alerts(spec, events, {"inactivity": 1.5})

    before, after = as_learned["inactivity"], patient["inactivity"]
    assert before.evidence["quiet_since"] == after.evidence["quiet_since"]  # the same fall
    assert after.evidence["limit_minutes"] == pytest.approx(1.5 * before.evidence["limit_minutes"], abs=1)
    assert after.ts > before.ts
    assert "50% wider than learned after false alarms" in after.summary
    assert "wider" not in before.summary
    assert patient["not_up"] == as_learned["not_up"]  # other kinds as learned


def verdict(factory, household_id: int, kind: AlertKind, outcome: str, days_ago: float,
            evidence: dict | None = None) -> None:
    at = NOW - timedelta(days=days_ago)
    with session_scope(factory) as s:
        signal = AlertSignal("ignored", kind, at, f"{kind} for a test", f"{kind}-{outcome}-{days_ago}",
                             kind.default_severity, evidence or {})
        change = apply_signal(s, household_id, signal, now=at)
        resolve(s, change.alert_id, "resp", outcome, at)


def test_false_alarms_widen_only_that_home_and_kind_and_never_the_safety_alerts(world):  # noqa: F811
    a, b = world.ids["home_a"], world.ids["home_b"]
    for days_ago in (2, 5, 9):
        verdict(world.factory, a, AlertKind.INACTIVITY, "false_alarm", days_ago)
        verdict(world.factory, a, AlertKind.FALL, "false_alarm", days_ago)
    verdict(world.factory, a, AlertKind.INACTIVITY, "genuine", 3)  # one real: a step back
    verdict(world.factory, a, AlertKind.LONG_BATHROOM, "false_alarm", 120)  # too long ago
    verdict(world.factory, b, AlertKind.NOT_UP, "genuine", 1)

    service = DetectionService(world.factory, ManualClock(NOW), SafetyConfig(timedelta(hours=6)))
    service.recover()
    service.refresh_context(NOW)
    assert service.engine.routines["home-a"].tolerance == {"inactivity": 1.5}
    assert service.engine.routines["home-b"].tolerance == {}


def test_quiet_a_responder_found_genuine_reaches_that_homes_model_to_be_never_learned(world):  # noqa: F811
    a, b = world.ids["home_a"], world.ids["home_b"]
    fall, nap = NOW - timedelta(days=2, hours=3), NOW - timedelta(days=4, hours=3)
    verdict(world.factory, a, AlertKind.INACTIVITY, "genuine", 2, {"quiet_since": fall.isoformat()})
    verdict(world.factory, a, AlertKind.INACTIVITY, "false_alarm", 4, {"quiet_since": nap.isoformat()})
    verdict(world.factory, b, AlertKind.FALL, "genuine", 1, {"quiet_since": fall.isoformat()})  # not quiet
    verdict(world.factory, b, AlertKind.NOT_UP, "genuine", 1, {"quiet_since": "not a time"})

    service = DetectionService(world.factory, ManualClock(NOW), SafetyConfig(timedelta(hours=6)))
    service.recover()
    service._dirty.clear()
    service.refresh_context(NOW)
    assert list(service.engine.routines["home-a"].quiet.confirmed) == [fall.timestamp()]
    assert list(service.engine.routines["home-b"].quiet.confirmed) == []
    assert service._dirty == {"home-a"}  # saved with the next snapshot
    service._dirty.clear()
    service.refresh_context(NOW + timedelta(seconds=30))  # every half minute: nothing new
    assert service._dirty == set()
