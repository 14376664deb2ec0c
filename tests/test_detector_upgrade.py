"""An upgrade that changes a detector's saved state: the service starts and the home learns again."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from detection.routine import RoutineModel
from detection.service import DetectionService
from telecare.clock import ManualClock
from tests.history import lived_in_home
from tests.web_app import NOW, world  # noqa: F401 - fixtures


def test_a_saved_routine_from_an_older_version_is_learned_again_and_the_service_starts(
    world, monkeypatch, caplog  # noqa: F811 - fixture
):
    lived_in_home(world.factory, "hub-mum", start=date(2026, 3, 5), days=3)
    before = DetectionService(world.factory, ManualClock(NOW), inactivity_limit=timedelta(hours=2))
    stored = before.recover()
    with monkeypatch.context() as older:  # the snapshot is saved by a release whose routine state was 2
        older.setattr(RoutineModel, "STATE_VERSION", 2)
        before.snapshot(everything=True)

    after = DetectionService(world.factory, ManualClock(NOW), inactivity_limit=timedelta(hours=2))
    with caplog.at_level(logging.WARNING, logger="detection.service"):
        replayed = after.recover()

    assert "the routine is learned again" in caplog.text
    assert stored > 0 and replayed == 0  # nothing new since the snapshot
    assert before.engine.routines["hub-mum"].days_seen > 0
    assert after.engine.routines["hub-mum"].days_seen == 0  # learning starts over
    assert after.engine.monitors["hub-mum"] is not None  # the safety rules run meanwhile
