"""Who is not told, and when they are told later: silences, away mode, quiet hours, minimum severity.

Unit level on a real database (both PostgreSQL and SQLite): ``apply_signal`` in a transaction, then
look at what the outbox holds. Nothing is lost: suppressed alerts are stored as ``silenced``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alerts import actions
from alerts.care_circle import add_contact
from alerts.service import apply_signal
from telecare.db import make_engine, make_session_factory, migrate, session_scope
from telecare.domain import AlertKind, AlertSignal, Severity
from telecare.households import upsert_household
from telecare.models import Alert, AlertTimelineEntry, Household, Notification
from tests import factories
from tests.support import PG_URL

T0 = datetime(2026, 1, 5, 23, 30, tzinfo=UTC)  # late evening: inside 22:00-07:00 quiet hours


@pytest.fixture(params=["postgres", "sqlite"])
def factory(request, tmp_path):
    if request.param == "postgres":
        schema = request.getfixturevalue("pg_schema")
        engine = make_engine(PG_URL, schema=schema)
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'unit.sqlite3'}")
    migrate(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def home(factory):
    with session_scope(factory) as s:
        household, _ = upsert_household(s, factories.household())
        add_contact(s, household, "Night team", "responder", ["json://127.0.0.1:9/r"])
        add_contact(s, household, "Son", "family", ["json://127.0.0.1:9/f"],
                    quiet_hours="22:00-07:00")
        add_contact(s, household, "Neighbour", "family", ["json://127.0.0.1:9/n"],
                    min_severity="urgent")
        return household


def signal(kind: AlertKind, ts=T0, key="k1", severity=None) -> AlertSignal:
    return AlertSignal(hub="h", kind=kind, ts=ts, summary=f"{kind.value} happened", key=key,
                       severity=severity)


def outbox(factory) -> list[Notification]:
    with factory() as s:
        return s.scalars(select(Notification).order_by(Notification.id)).all()


def test_a_silenced_household_still_records_the_alert_but_tells_nobody(factory, home):
    with session_scope(factory) as s:
        actions.silence_household(s, s.get(Household, home.id), T0 + timedelta(hours=2),
                                  "sensor maintenance", "installer Kim", T0 - timedelta(minutes=1))
    with session_scope(factory) as s:
        apply_signal(s, home.id, signal(AlertKind.HELP_REQUEST))
        apply_signal(s, home.id, signal(AlertKind.HELP_REQUEST, T0 + timedelta(minutes=1), "k2"))
    with factory() as s:
        [alert] = s.scalars(select(Alert)).all()
        [entry] = s.scalars(select(AlertTimelineEntry)).all()
    assert alert.status == "silenced" and alert.count == 2
    assert "not notified" in entry.note and "installer Kim: sensor maintenance" in entry.note
    assert outbox(factory) == []


def test_after_the_silence_ends_alerts_are_notified_again(factory, home):
    with session_scope(factory) as s:
        actions.silence_household(s, s.get(Household, home.id), T0, "drill", "Kim",
                                  T0 - timedelta(hours=1))
        apply_signal(s, home.id, signal(AlertKind.HELP_REQUEST, T0 + timedelta(seconds=1)))
    assert [n.purpose for n in outbox(factory)] == ["alert"]


def test_a_household_in_away_mode_records_alerts_as_silenced(factory, home):
    with session_scope(factory) as s:
        s.get(Household, home.id).status = "away"
    with session_scope(factory) as s:
        apply_signal(s, home.id, signal(AlertKind.INACTIVITY))
    with factory() as s:
        assert s.scalars(select(Alert.status)).all() == ["silenced"]
    assert outbox(factory) == []


def test_a_warning_waits_for_the_end_of_quiet_hours_but_urgent_alerts_never_wait(factory, home):
    policy = {"steps": [{"roles": ["family"], "wait_min": 10}], "repeat": 0, "reminder_min": 0}
    from alerts.escalation import set_policy

    with session_scope(factory) as s:
        set_policy(s, home.id, policy)
        apply_signal(s, home.id, signal(AlertKind.KITCHEN_DECLINE, severity=Severity.WARNING))
        apply_signal(s, home.id, signal(AlertKind.WATER_LEAK))
    by_kind = {}
    with factory() as s:
        for n, kind in s.execute(select(Notification, Alert.kind).join(Alert)):
            by_kind.setdefault(kind, []).append((n.contact_id, n.next_attempt_at))
    son, neighbour = 2, 3
    # The son (quiet 22:00-07:00) hears about the kitchen trend in the morning; the neighbour only
    # wants urgent alerts. The leak (urgent) goes to both at once.
    assert by_kind["kitchen_decline"] == [(son, datetime(2026, 1, 6, 7, 0, tzinfo=UTC))]
    assert sorted(by_kind["water_leak"]) == [(son, T0), (neighbour, T0)]


def test_resolving_records_the_outcome_and_a_second_resolve_is_refused(factory, home):
    from alerts.lifecycle import TransitionError

    with session_scope(factory) as s:
        change = apply_signal(s, home.id, signal(AlertKind.FALL))
    with session_scope(factory) as s:
        alert = actions.resolve(s, change.alert_id, "Sam", "genuine", T0, note="helped up, unhurt")
        assert (alert.status, alert.outcome, alert.next_step_at) == ("resolved", "genuine", None)
    with pytest.raises(TransitionError, match="cannot resolve an alert that is resolved"):
        with session_scope(factory) as s:
            actions.resolve(s, change.alert_id, "Sam", "genuine", T0)
