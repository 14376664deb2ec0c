"""An upgrade that changes a detector's saved state: the home is relearned from its stored events,
so it is not blind to its routine for another learning period."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from sqlalchemy import func, insert, select, update

from detection.routine import RoutineModel
from detection.safety import SafetyConfig
from detection.service import DetectionService
from telecare.clock import ManualClock
from telecare.db import session_scope
from telecare.models import Alert, DetectorState, Event
from tests.history import lived_in_home
from tests.web_app import NOW, world  # noqa: F401 - fixtures

HUB = "hub-mum"


def service(world) -> DetectionService:  # noqa: F811 - fixture
    return DetectionService(world.factory, ManualClock(NOW), SafetyConfig(timedelta(hours=6)))


def saved_by_an_older_release(world, monkeypatch, days: int = 20, unseen_days: int = 0):  # noqa: F811
    """A home monitored for ``days`` days whose snapshot an older release wrote (routine state 2),
    having seen all but the last ``unseen_days`` of its stored events."""
    household_id = lived_in_home(world.factory, HUB, start=date(2026, 2, 18), days=days)
    before = service(world)
    before.recover()
    with monkeypatch.context() as older:
        older.setattr(RoutineModel, "STATE_VERSION", 2)
        before.snapshot(everything=True)
    if unseen_days:
        with session_scope(world.factory) as s:
            cut = NOW - timedelta(days=unseen_days)
            seen = s.scalar(select(func.max(Event.id)).where(Event.household_id == household_id,
                                                             Event.event_time < cut))
            s.execute(update(DetectorState).where(DetectorState.household_id == household_id)
                      .values(last_event_id=seen))
    return before


def snapshots(world) -> int:  # noqa: F811 - fixture
    with world.factory() as s:
        return s.scalar(select(func.count()).select_from(DetectorState))


def alert_count(world) -> int:  # noqa: F811 - fixture
    with world.factory() as s:
        return s.scalar(select(func.count()).select_from(Alert))


def test_after_an_upgrade_a_monitored_home_is_relearned_from_its_events_and_monitored_again(
    world, monkeypatch, caplog  # noqa: F811 - fixture
):
    before = saved_by_an_older_release(world, monkeypatch)
    after = service(world)
    with caplog.at_level(logging.WARNING, logger="detection.service"):
        assert after.recover() == 0  # nothing new since the snapshot
    assert "the routine is learned again" in caplog.text
    assert not after.engine.monitoring(HUB)  # meanwhile: the safety rules and a fresh model
    assert after.snapshot(everything=True) == 0  # a crash now would find the old snapshot again
    raised = alert_count(world)

    saved = snapshots(world)
    assert after.relearn_pending() == saved  # every home of the world fixture
    assert after.engine.monitoring(HUB)
    assert after.engine.routines[HUB].days_seen == before.engine.routines[HUB].days_seen
    assert alert_count(world) == raised  # the past is learned from, not alerted on again
    assert after.snapshot(everything=True) == saved

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="detection.service"):
        again = service(world)
        again.recover()
    assert "learned again" not in caplog.text and again.engine.monitoring(HUB)


def test_events_that_came_in_after_the_old_snapshot_are_learned_too(world, monkeypatch):  # noqa: F811
    before = saved_by_an_older_release(world, monkeypatch, unseen_days=2)
    after = service(world)
    assert after.recover() > 0  # the last two days, through the fresh model, as they came
    assert after.relearn_pending() == snapshots(world)
    relearned = after.engine.routines[HUB]
    assert relearned.days_seen == before.engine.routines[HUB].days_seen
    assert relearned.last_presence == before.engine.routines[HUB].last_presence


def test_events_that_arrive_while_a_home_is_relearned_are_not_missed(world, monkeypatch):  # noqa: F811
    before = saved_by_an_older_release(world, monkeypatch)
    with session_scope(world.factory) as s:  # the last day's events have not arrived yet
        late = [e for e in s.scalars(select(Event).order_by(Event.id))
                if e.event_time >= NOW - timedelta(days=1)]
        rows = [{c: getattr(e, c) for c in ("household_id", "device_id", "event_time", "received_at",
                                            "value", "seq", "late", "dedup_key")} for e in late]
        for e in late:
            s.delete(e)
        s.flush()
        s.execute(update(DetectorState).values(last_event_id=s.scalar(select(func.max(Event.id)))))
    after = service(world)
    after.recover()
    history = after._history

    def history_then_events_arrive(session, hub, *args):
        events = history(session, hub, *args)
        if hub == HUB and rows:  # ingest stores and hands over the day while the history replays
            with session_scope(world.factory) as s:
                last = s.scalar(select(func.max(Event.id)))
                s.execute(insert(Event), rows)
            with world.factory() as s:
                arrived = history(s, HUB, last, s.scalar(select(func.max(Event.id))), None)
            rows.clear()
            after.on_events(arrived)
        return events

    monkeypatch.setattr(after, "_history", history_then_events_arrive)
    after.relearn_pending()
    relearned = after.engine.routines[HUB]
    assert relearned.last_presence == before.engine.routines[HUB].last_presence
    assert relearned.days_seen == before.engine.routines[HUB].days_seen
