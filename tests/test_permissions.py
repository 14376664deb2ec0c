"""Every route, as every role and as an outsider: who may do what, and nobody sees another household.

The table below must list every route the app serves (a new route fails the first test until its
permissions are written down here). For household A's resources each role gets either access or 403;
for household B's, everyone but an administrator gets 404 or 403 and no B data in the answer; lists
never contain B; without credentials the API says 401 and pages send the browser to sign in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from alerts.care_circle import add_contact
from telecare.account_models import Credential, User
from telecare.accounts import issue_api_token
from telecare.db import session_scope
from telecare.models import Household
from tests.web_app import NOW, ROLES, WebWorld, pg_world, world  # noqa: F401 - fixtures
from tests.web_support import csrf_in, sign_in

EVERYONE = frozenset(ROLES)
CARE = frozenset({"admin", "responder", "family"})
RESPONDERS = frozenset({"admin", "responder"})
ADMIN = frozenset({"admin"})
OPS = frozenset({"admin", "installer"})
USERS = {"admin": "ada.admin", "responder": "rui.responder", "family": "fay.family",
         "installer": "ian.installer"}
# Text only household B's data contains (not its hub id, which a refusal may echo back).
B_MARKERS = ("Test home home-b", "Help button pressed at home-b", "Carer of home-b")

POLICY = {"steps": [{"roles": ["responder"], "wait_min": 5}], "repeat": 0, "reminder_min": 30}
AWAY = {"until": "2026-03-12T18:00:00+00:00", "note": "with us"}

# (method, path): (roles allowed on household A's resources, JSON body or form, kind)
API, PAGE = "api", "page"
ROUTES: dict[tuple[str, str], tuple[frozenset[str], Any, str]] = {
    ("GET", "/api/households"): (EVERYONE, None, API),
    ("GET", "/api/alerts"): (CARE, None, API),
    ("GET", "/api/rejected-messages"): (OPS, None, API),
    ("GET", "/api/alerts/stream"): (CARE, None, API),
    ("GET", "/api/alerts/{alert_id}"): (CARE, None, API),
    ("POST", "/api/alerts/{alert_id}/acknowledge"): (RESPONDERS, {}, API),
    ("POST", "/api/alerts/{alert_id}/resolve"): (RESPONDERS, {"outcome": "false_alarm"}, API),
    ("POST", "/api/alerts/{alert_id}/notes"): (RESPONDERS, {"note": "called her"}, API),
    ("POST", "/api/alerts/{alert_id}/silence"): (RESPONDERS, {"note": "drill"}, API),
    ("GET", "/api/alerts/{alert_id}/activity"): (CARE, None, API),
    ("GET", "/api/notifications"): (RESPONDERS, None, API),
    ("GET", "/api/households/{hub}/contacts"): (RESPONDERS, None, API),
    ("POST", "/api/households/{hub}/contacts"): (
        RESPONDERS, {"name": "New carer", "role": "carer", "channels": ["json://127.0.0.1:9/x"]}, API),
    ("DELETE", "/api/contacts/{contact_id}"): (RESPONDERS, None, API),
    ("POST", "/api/contacts/{contact_id}/test"): (RESPONDERS, None, API),
    ("POST", "/api/households/{hub}/silences"): (RESPONDERS, {"minutes": 30, "reason": "visit"}, API),
    ("PUT", "/api/households/{hub}/escalation-policy"): (RESPONDERS, POLICY, API),
    ("PUT", "/api/escalation-policy"): (ADMIN, POLICY, API),
    ("GET", "/api/households/{hub}"): (EVERYONE, None, API),
    ("GET", "/api/households/{hub}/feed"): (CARE, None, API),
    ("PUT", "/api/households/{hub}/away"): (CARE, AWAY, API),
    ("DELETE", "/api/households/{hub}/away"): (CARE, None, API),
    ("PUT", "/api/households/{hub}/night-exit"): (RESPONDERS, {"after_minutes": 0}, API),
    ("DELETE", "/api/households/{hub}/night-exit"): (RESPONDERS, None, API),
    ("PUT", "/api/households/{hub}/nights-away"): (RESPONDERS, {"nights": 1}, API),
    ("DELETE", "/api/households/{hub}/nights-away"): (RESPONDERS, None, API),
    ("GET", "/api/me"): (EVERYONE, None, API),
    ("GET", "/api/tokens"): (EVERYONE, None, API),
    ("POST", "/api/tokens"): (EVERYONE, {"name": "walk"}, API),
    ("DELETE", "/api/tokens/{token_id}"): (EVERYONE, None, API),
    ("GET", "/api/users"): (ADMIN, None, API),
    ("POST", "/api/users"): (ADMIN, "new-user", API),
    ("PATCH", "/api/users/{user_id}"): (ADMIN, {"active": True}, API),
    ("GET", "/api/audit"): (ADMIN, None, API),
    ("GET", "/metrics"): (ADMIN, None, API),
    ("POST", "/api/households"): (OPS, "new-home", API),
    ("GET", "/api/households/{hub}/commissioning"): (OPS, None, API),
    ("POST", "/api/households/{hub}/pairing"): (OPS, {"minutes": 5}, API),
    ("DELETE", "/api/households/{hub}/pairing"): (OPS, None, API),
    ("PUT", "/api/households/{hub}/devices/{device}"): (
        OPS, {"type": "motion", "room": "kitchen", "label": "Kitchen"}, API),
    ("POST", "/api/households/{hub}/devices/{device}/test"): (OPS, None, API),
    ("DELETE", "/api/households/{hub}/devices/{device}"): (OPS, None, API),
    ("POST", "/api/households/{hub}/go-live"): (OPS, None, API),
    ("GET", "/api/device-health"): (OPS, None, API),
    ("GET", "/openapi.json"): (EVERYONE, None, API),
    ("GET", "/"): (EVERYONE, None, PAGE),
    ("GET", "/console"): (RESPONDERS, None, PAGE),
    ("GET", "/alerts/{alert_id}"): (CARE, None, PAGE),
    ("POST", "/alerts/{alert_id}/acknowledge"): (RESPONDERS, {}, PAGE),
    ("POST", "/alerts/{alert_id}/note"): (RESPONDERS, {"note": "rang her"}, PAGE),
    ("POST", "/alerts/{alert_id}/resolve"): (RESPONDERS, {"outcome": "genuine"}, PAGE),
    ("POST", "/alerts/{alert_id}/silence"): (RESPONDERS, {"minutes": "30", "reason": "visit"}, PAGE),
    ("GET", "/households"): (EVERYONE, None, PAGE),
    ("GET", "/households/{hub}"): (EVERYONE, None, PAGE),
    ("GET", "/feed"): (EVERYONE, None, PAGE),
    ("GET", "/feed/{hub}"): (CARE, None, PAGE),
    ("POST", "/feed/{hub}/away"): (CARE, {"until": "2026-03-12", "note": "with us"}, PAGE),
    ("POST", "/feed/{hub}/home"): (CARE, {}, PAGE),
    ("POST", "/households/{hub}/night-exit"): (RESPONDERS, {"after_minutes": "0"}, PAGE),
    ("POST", "/households/{hub}/nights-away"): (RESPONDERS, {"nights": "1"}, PAGE),
    ("GET", "/install"): (OPS, None, PAGE),
    ("POST", "/install"): (OPS, "new-home", PAGE),
    ("GET", "/install/{hub}"): (OPS, None, PAGE),
    ("POST", "/install/{hub}/pairing"): (OPS, {"action": "start"}, PAGE),
    ("POST", "/install/{hub}/devices/{device}"): (
        OPS, {"type": "motion", "room": "kitchen", "label": "Kitchen"}, PAGE),
    ("POST", "/install/{hub}/devices/{device}/test"): (OPS, {}, PAGE),
    ("POST", "/install/{hub}/devices/{device}/unpair"): (OPS, {}, PAGE),
    ("POST", "/install/{hub}/go-live"): (OPS, {}, PAGE),
    ("POST", "/logout"): (EVERYONE, {}, PAGE),
}
PUBLIC = {("GET", "/health"), ("GET", "/login"), ("POST", "/login"),
          ("GET", "/ack/{token}"), ("POST", "/ack/{token}")}  # the ack link is its own credential


def served_routes(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.router.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for r in (contexts() if callable(contexts) else contexts) if contexts is not None else [route]:
            for method in getattr(r, "methods", None) or ():
                if method != "HEAD":
                    found.add((method, r.path))
    return found


def test_the_permission_table_covers_every_route(world):
    assert served_routes(world.client.app) - PUBLIC == set(ROUTES)


# ---------------------------------------------------------------------- filling in the path
def _fresh_contact(world: WebWorld, home: str) -> int:
    with session_scope(world.factory) as s:
        household = s.get(Household, world.ids[home])
        return add_contact(s, household, f"Carer of {household.hub}", "carer", ["json://127.0.0.1:9/y"]).id


def _fresh_token(world: WebWorld, username: str) -> int:
    with session_scope(world.factory) as s:
        user = s.scalar(select(User).where(User.username == username))
        issue_api_token(s, user, "to-revoke", now=NOW)
        return s.scalar(select(Credential.id).where(Credential.user_id == user.id).order_by(Credential.id.desc()))


def _user_id(world: WebWorld, username: str) -> int:
    with world.factory() as s:
        return s.scalar(select(User.id).where(User.username == username))


def fill(world: WebWorld, path: str, home: str, username: str) -> str:
    """The path with household A's or B's resources in it (``home`` is "home_a" or "home_b")."""
    other = "bob.family" if home == "home_b" else username
    values: dict[str, Callable[[], Any]] = {
        "{hub}": lambda: home.replace("_", "-"),
        "{device}": lambda: "m-kitchen",
        "{alert_id}": lambda: world.ids["alert_" + home[-1]],
        "{contact_id}": lambda: _fresh_contact(world, home),
        "{token_id}": lambda: _fresh_token(world, other),  # B: somebody else's token
        "{user_id}": lambda: _user_id(world, other),
    }
    for name, value in values.items():
        if name in path:
            path = path.replace(name, str(value()))
    return path


def call(client: TestClient, method: str, path: str, body: Any, kind: str, csrf: str | None):
    if body == "new-user":
        import uuid

        body = {"username": f"u{uuid.uuid4().hex[:8]}", "password": "a-long-password-1",
                "role": "family", "households": ["home-a"]}
    if body == "new-home":
        import uuid

        body = {"hub": f"new-{uuid.uuid4().hex[:8]}", "name": "A new home"}
    if kind == PAGE:
        data = None if body is None else {**body, "csrf_token": csrf or ""}
        return client.request(method, path, data=data, follow_redirects=False,
                              headers={"accept": "text/html"})
    return client.request(method, path, json=body, follow_redirects=False)


# ---------------------------------------------------------------------- the walk
def _clients(world: WebWorld) -> dict[str, tuple[TestClient, TestClient, str]]:
    """Per role: an API client with the user's bearer token, a browser client signed in, its CSRF."""
    out = {}
    for role, username in USERS.items():
        api = TestClient(world.client.app, headers=world.as_user(username))
        browser = TestClient(world.client.app)
        sign_in(browser, username)
        out[role] = (api, browser, csrf_in(browser.get("/households").text))
    return out


def test_without_credentials_the_api_says_401_and_pages_send_you_to_sign_in(world):
    anonymous = TestClient(world.client.app)
    for (method, path), (_roles, body, kind) in ROUTES.items():
        r = call(anonymous, method, fill(world, path, "home_a", "rui.responder"), body, kind, None)
        if kind == API:
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.json()["error"]["code"] == "unauthorized"
        else:
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), (method, path)


def test_no_role_reaches_another_households_data(pg_world):
    world = pg_world
    clients = _clients(world)
    for role in ("responder", "family", "installer"):
        api, browser, csrf = clients[role]
        for (method, path), (_roles, body, kind) in ROUTES.items():
            if method == "POST" and path == "/logout":
                continue  # signing out is not about a household
            client = api if kind == API else browser
            r = call(client, method, fill(world, path, "home_b", USERS[role]), body, kind, csrf)
            assert r.status_code < 500, (role, method, path, r.text[:200])
            for marker in B_MARKERS:
                assert marker not in r.text, (role, method, path, marker)
            if "{" in path and path != "/api/users/{user_id}":
                assert r.status_code in (403, 404), (role, method, path, r.status_code)


def test_each_role_may_do_exactly_what_the_table_says_on_its_own_household(pg_world):
    world = pg_world
    clients = _clients(world)
    # Read-only and refused calls first, then the ones that change things; sign-out last.
    order = sorted(ROUTES.items(), key=lambda kv: (kv[0] == ("POST", "/logout"), kv[0][0] != "GET"))
    for (method, path), (allowed, body, kind) in order:
        for role in ("installer", "family", "responder", "admin"):
            api, browser, csrf = clients[role]
            r = call(api if kind == API else browser, method,
                     fill(world, path, "home_a", USERS[role]), body, kind, csrf)
            assert r.status_code < 500, (role, method, path, r.text[:300])
            if role in allowed:
                # Allowed: anything but a refusal (a second acknowledgement is a 409, still allowed).
                assert r.status_code not in (401, 403, 404), (role, method, path, r.status_code, r.text[:200])
            else:
                assert r.status_code == 403, (role, method, path, r.status_code, r.text[:200])


@pytest.mark.parametrize("path", ["/api/households", "/api/alerts", "/api/notifications",
                                  "/api/rejected-messages", "/api/alerts/stream", "/api/device-health"])
def test_lists_never_contain_another_household(world, path):
    for username in ("rui.responder", "fay.family", "ian.installer"):
        r = world.client.get(path, headers=world.as_user(username))
        for marker in B_MARKERS + ("home-b",):
            assert marker not in r.text, (username, path)
    admin = world.client.get("/api/households", headers=world.as_user("ada.admin")).json()
    assert {h["hub"] for h in admin} == {"home-a", "home-b"}  # the administrator sees both
