"""A web app on a real database, with two households and people of every role, for the web tests.

Household A ("home-a") has a responder, a family member and an installer; household B ("home-b") has
its own family member. Each has an open alert and a contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alerts.care_circle import add_contact
from alerts.service import apply_signal
from telecare.accounts import issue_api_token
from telecare.clock import ManualClock
from telecare.db import make_engine, make_session_factory, migrate, session_scope
from telecare.domain import AlertKind, AlertSignal
from telecare.households import upsert_household
from telecare.models import Alert
from tests import factories
from tests.support import PG_URL
from web.app import create_app

NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
ROLES = ("admin", "responder", "family", "installer")


@dataclass
class WebWorld:
    client: TestClient
    factory: object
    clock: ManualClock
    ids: dict[str, int] = field(default_factory=dict)  # household and alert ids by name
    tokens: dict[str, str] = field(default_factory=dict)  # bearer token by username

    def as_user(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}


def build_world(request: pytest.FixtureRequest, tmp_path: Path, backend: str) -> WebWorld:
    from tests.conftest import _settings

    if backend == "postgres":
        engine = make_engine(PG_URL, schema=request.getfixturevalue("pg_schema"))
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'web.sqlite3'}")
    migrate(engine)
    request.addfinalizer(engine.dispose)
    factory = make_session_factory(engine)
    clock = ManualClock(NOW)
    app = create_app(_settings(tmp_path), factory, lambda: {"database": True, "broker": True})
    app.state.clock = clock
    app.state.stream_lifetime_s = 0.3
    world = WebWorld(TestClient(app), factory, clock)
    with session_scope(factory) as s:
        a, _ = upsert_household(s, factories.household("home-a"))
        b, _ = upsert_household(s, factories.household("home-b"))
        world.ids.update(home_a=a.id, home_b=b.id)
        for home, hub in ((a, "home-a"), (b, "home-b")):
            apply_signal(s, home.id, AlertSignal(hub, AlertKind.HELP_REQUEST, NOW - timedelta(minutes=5),
                                                 f"Help button pressed at {hub}.", f"k-{hub}"), now=NOW)
            add_contact(s, home, f"Carer of {hub}", "responder", ["json://127.0.0.1:9/x"])
        users = {
            "ada.admin": ("admin", []),
            "rui.responder": ("responder", [a]),
            "fay.family": ("family", [a]),
            "ian.installer": ("installer", [a]),
            "bob.family": ("family", [b]),
        }
        for username, (role, homes) in users.items():
            user = factories.user(s, username, role, homes, display_name=username.split(".")[0].title())
            world.tokens[username] = issue_api_token(s, user, "test", now=NOW)
        s.flush()
        for hub, key in (("home-a", "alert_a"), ("home-b", "alert_b")):
            household_id = world.ids[hub.replace("-", "_")]
            world.ids[key] = s.scalar(select(Alert.id).where(Alert.household_id == household_id))
    return world


@pytest.fixture(params=["postgres", "sqlite"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> WebWorld:
    return build_world(request, tmp_path, request.param)


@pytest.fixture
def pg_world(request: pytest.FixtureRequest, tmp_path: Path) -> WebWorld:
    return build_world(request, tmp_path, "postgres")
