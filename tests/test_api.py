"""The HTTP API as a caller sees it: authentication, filters, structured errors, health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from alerts.service import apply_signal
from telecare.db import make_engine, make_session_factory, migrate, session_scope
from telecare.domain import AlertKind, AlertSignal
from telecare.households import upsert_household
from telecare.models import RejectedMessage
from tests import factories
from tests.support import PG_URL
from tests.web_support import sign_in
from web.app import create_app

TOKEN = "test-api-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["postgres", "sqlite"])
def client(request, tmp_path):
    from tests.conftest import _settings

    if request.param == "postgres":
        schema = request.getfixturevalue("pg_schema")
        engine = make_engine(PG_URL, schema=schema)
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'api.sqlite3'}")
    migrate(engine)
    factory = make_session_factory(engine)
    health = {"database": True, "broker": True}
    app = create_app(_settings(tmp_path), factory, lambda: dict(health))
    with TestClient(app) as c:
        c.factory, c.health = factory, health
        yield c
    engine.dispose()


def seed(factory):
    a, b = factories.household("home-a"), factories.household("home-b")
    with session_scope(factory) as s:
        ha, _ = upsert_household(s, a)
        hb, _ = upsert_household(s, b)
        apply_signal(s, ha.id, AlertSignal("home-a", AlertKind.HELP_REQUEST, T0, "Help button pressed.", "k1"))
        apply_signal(s, hb.id, AlertSignal("home-b", AlertKind.FALL, T0 + timedelta(minutes=1), "Fall.", "k2"))
        s.add(RejectedMessage(received_at=T0, topic="telecare/x/y/event", hub="x", reason="unknown_hub",
                              detail="no household", payload_excerpt="{}"))


def test_every_api_route_and_metrics_refuse_a_caller_without_a_token(client):
    for path in ("/api/households", "/api/alerts", "/api/rejected-messages", "/metrics", "/openapi.json"):
        r = client.get(path)
        assert r.status_code == 401, path
        assert r.json()["error"]["code"] == "unauthorized"
        assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_health_needs_no_token_and_reports_what_is_down(client):
    assert client.get("/health").json() == {"status": "ok", "database": True, "broker": True}
    client.health["broker"] = False
    r = client.get("/health")
    assert r.status_code == 503 and r.json()["status"] == "degraded"


def test_alerts_are_listed_newest_first_and_filter_by_kind_hub_and_status(client):
    seed(client.factory)
    everything = client.get("/api/alerts", headers=AUTH).json()
    assert everything["total"] == 2
    assert [a["kind"] for a in everything["items"]] == ["fall", "help_request"]
    only_help = client.get("/api/alerts", params={"kind": "help_request"}, headers=AUTH).json()
    assert [a["hub"] for a in only_help["items"]] == ["home-a"]
    by_hub = client.get("/api/alerts", params={"hub": "home-b"}, headers=AUTH).json()
    assert [a["kind"] for a in by_hub["items"]] == ["fall"]
    open_ones = client.get("/api/alerts", params=[("status", "triggered"), ("status", "acknowledged")],
                           headers=AUTH).json()
    assert open_ones["total"] == 2
    assert client.get("/api/alerts", params={"status": "resolved"}, headers=AUTH).json()["total"] == 0


def test_households_show_devices_and_open_alerts(client):
    seed(client.factory)
    rows = client.get("/api/households", headers=AUTH).json()
    assert [(h["hub"], h["open_alerts"], h["devices"]) for h in rows] == [
        ("home-a", 1, len(factories.STANDARD_DEVICES)),
        ("home-b", 1, len(factories.STANDARD_DEVICES)),
    ]


def test_rejected_messages_are_listed_with_their_reason(client):
    seed(client.factory)
    page = client.get("/api/rejected-messages", params={"reason": "unknown_hub"}, headers=AUTH).json()
    assert page["total"] == 1 and page["items"][0]["detail"] == "no household"


@pytest.mark.parametrize(
    "params",
    [{"kind": "nonsense"}, {"status": "open"}, {"limit": 0}, {"limit": 10_000}, {"since": "last week"},
     {"offset": -1}],
)
def test_a_bad_filter_gets_a_clear_error_not_a_500(client, params):
    r = client.get("/api/alerts", params=params, headers=AUTH)
    assert r.status_code == 422
    body = r.json()["error"]
    assert body["code"] == "invalid_request" and body["message"]


def test_the_openapi_document_is_served_to_callers_and_no_page_loads_a_cdn(client):
    doc = client.get("/openapi.json", headers=AUTH).json()
    assert {"/api/alerts", "/api/households", "/api/rejected-messages", "/health"} <= doc["paths"].keys()
    assert client.get("/docs").status_code == 404  # the stock page would fetch Swagger UI from a CDN
    with session_scope(client.factory) as s:
        factories.user(s, "ria", "responder")
    sign_in(client, "ria")
    for page in ("/login", "/console"):
        html = client.get(page).text
        assert 'src="http' not in html and 'href="http' not in html, page
