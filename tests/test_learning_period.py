"""The learning period an installer set for a home is the one the live service keeps."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update

from detection.safety import SafetyConfig
from detection.service import DetectionService
from telecare.clock import ManualClock
from telecare.db import session_scope
from telecare.models import Household
from tests.history import lived_in_home
from tests.web_app import NOW, world  # noqa: F401 - fixtures


def status_after_recovery(world, learning_days: int) -> tuple[bool, str]:  # noqa: F811 - fixture
    """(routine scored?, household status) for a home with 18 days of history, once learned from
    its events and once more restored from the saved state after a restart."""
    household_id = lived_in_home(world.factory, "hub-mum", start=date(2026, 2, 20), days=18)
    with session_scope(world.factory) as s:
        s.execute(update(Household).where(Household.id == household_id)
                  .values(status="learning", learning_days=learning_days))
    for _ in ("from the events", "from the snapshot"):
        service = DetectionService(world.factory, ManualClock(NOW), SafetyConfig(timedelta(hours=6)))
        service.recover()
        service.refresh_context(NOW)
    with world.factory() as s:
        return service.engine.monitoring("hub-mum"), s.get(Household, household_id).status


def test_a_home_set_to_learn_for_three_weeks_is_still_learning_after_eighteen_days(world):  # noqa: F811
    assert status_after_recovery(world, 21) == (False, "learning")


def test_a_home_with_the_usual_two_weeks_is_monitored_after_eighteen_days(world):  # noqa: F811
    assert status_after_recovery(world, 14) == (True, "monitoring")
