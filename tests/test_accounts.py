"""Signing in and staying safe: passwords, sessions, CSRF, rate limiting, API tokens, the audit log."""

from __future__ import annotations

from sqlalchemy import select

from telecare.account_models import AuditEntry, Credential, User
from telecare.db import session_scope
from tests.procs import service_env, telecare
from tests.web_app import pg_world, world  # noqa: F401 - fixtures
from tests.web_support import bearer, csrf_in, sign_in


def test_a_responder_signs_in_with_a_password_and_lands_on_the_console(world):
    r = sign_in(world.client, "rui.responder")
    assert r.headers["location"] == "/console"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "a-long-test-password" not in r.headers["set-cookie"]
    page = world.client.get("/console")
    assert page.status_code == 200 and "Help button pressed" in page.text


def test_a_family_member_lands_on_the_feed_of_their_household(world):
    assert sign_in(world.client, "fay.family").headers["location"] == "/feed"
    r = world.client.get("/feed", follow_redirects=False)
    assert r.headers["location"] == "/feed/home-a"  # one household: straight to its feed


def test_a_wrong_password_is_refused_and_a_guessing_run_is_stopped(world):
    for _ in range(5):
        r = sign_in(world.client, "rui.responder", "not-the-password", expect=401)
        assert "do not match" in r.text
    # Even the right password is refused now: the account is rate limited for a while.
    r = sign_in(world.client, "rui.responder", expect=429)
    assert "too many failed sign-ins" in r.text
    # Another account is not affected.
    sign_in(world.client, "fay.family")


def test_an_unknown_username_gets_the_same_answer_as_a_wrong_password(world):
    r = sign_in(world.client, "nobody.here", "whatever-password", expect=401)
    assert "do not match" in r.text


def test_a_sign_in_form_without_its_csrf_token_is_refused(world):
    world.client.get("/login")
    r = world.client.post("/login", data={"username": "rui.responder", "password": "a-long-test-password",
                                          "csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403 and "telecare_session" not in r.headers.get("set-cookie", "")


def test_a_change_from_the_browser_without_the_csrf_token_is_refused(world):
    sign_in(world.client, "rui.responder")
    alert = world.ids["alert_a"]
    # A page form without the token (what a forged cross-site form would send).
    r = world.client.post(f"/alerts/{alert}/acknowledge", data={"csrf_token": "wrong"})
    assert r.status_code == 403
    # The JSON API with the session cookie needs the header too.
    assert world.client.post(f"/api/alerts/{alert}/acknowledge", json={}).status_code == 403
    token = csrf_in(world.client.get(f"/alerts/{alert}").text)
    r = world.client.post(f"/api/alerts/{alert}/acknowledge", json={}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["acknowledged_by"] == "Rui"


def test_signing_out_ends_the_session_on_the_server(world):
    sign_in(world.client, "rui.responder")
    cookie = world.client.cookies.get("telecare_session")
    token = csrf_in(world.client.get("/console").text)
    assert world.client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    world.client.cookies.set("telecare_session", cookie)  # a stolen copy of the cookie no longer works
    assert world.client.get("/api/me").status_code == 401
    assert world.client.get("/console", follow_redirects=False).headers["location"].startswith("/login")


def test_an_api_token_opens_the_api_until_it_is_revoked(world):
    headers = world.as_user("rui.responder")
    me = world.client.get("/api/me", headers=headers).json()
    assert me == {"username": "rui.responder", "display_name": "Rui", "role": "responder",
                  "households": ["home-a"]}
    created = world.client.post("/api/tokens", json={"name": "tablet"}, headers=headers)
    assert created.status_code == 201
    new = bearer(created.json()["token"])
    assert world.client.get("/api/me", headers=new).status_code == 200
    assert world.client.delete(f"/api/tokens/{created.json()['id']}", headers=headers).status_code == 204
    assert world.client.get("/api/me", headers=new).status_code == 401
    with world.factory() as s:  # only a hash of the token is stored
        hashes = s.scalars(select(Credential.token_hash)).all()
        assert created.json()["token"] not in hashes


def test_a_disabled_user_is_locked_out_of_sessions_and_tokens(world):
    sign_in(world.client, "rui.responder")
    admin = world.as_user("ada.admin")
    with world.factory() as s:
        rui = s.scalar(select(User.id).where(User.username == "rui.responder"))
    assert world.client.patch(f"/api/users/{rui}", json={"active": False}, headers=admin).status_code == 200
    assert world.client.get("/api/me").status_code == 401
    assert world.client.get("/api/me", headers=world.as_user("rui.responder")).status_code == 401


def test_an_admin_creates_a_user_linked_to_households(world):
    admin = world.as_user("ada.admin")
    body = {"username": "Nia.Nurse", "password": "short", "role": "responder", "households": ["home-b"]}
    weak = world.client.post("/api/users", json=body, headers=admin)
    assert weak.status_code == 422 and weak.json()["error"]["code"] == "invalid_request"
    body["password"] = "a-much-longer-password"
    r = world.client.post("/api/users", json=body, headers=admin)
    assert r.status_code == 201 and r.json()["username"] == "nia.nurse" and r.json()["households"] == ["home-b"]
    unknown = world.client.post("/api/users", json={**body, "username": "x.y", "households": ["nowhere"]},
                                headers=admin)
    assert unknown.status_code == 422 and "nowhere" in unknown.json()["error"]["message"]
    assert world.client.post("/api/users", json=body, headers=world.as_user("rui.responder")).status_code == 403


def test_who_viewed_and_changed_what_is_in_the_audit_log(world):
    alert = world.ids["alert_a"]
    rui = world.as_user("rui.responder")
    world.client.get(f"/api/alerts/{alert}", headers=rui)
    world.client.post(f"/api/alerts/{alert}/acknowledge", json={}, headers=rui)
    world.client.get("/api/households/home-b/feed", headers=world.as_user("fay.family"))  # refused: 404
    sign_in(world.client, "bob.family", "wrong-password-here", expect=401)
    log = world.client.get("/api/audit", headers=world.as_user("ada.admin")).json()["items"]
    seen = {(e["actor"], e["action"], e["method"], e["path"], e["status"]) for e in log}
    assert ("rui.responder", "view", "GET", f"/api/alerts/{alert}", 200) in seen
    assert ("rui.responder", "change", "POST", f"/api/alerts/{alert}/acknowledge", 200) in seen
    assert ("fay.family", "view", "GET", "/api/households/home-b/feed", 404) in seen
    assert ("bob.family", "login_failed", "POST", "/login", 401) in seen
    by_path = {e["path"]: e for e in log}
    assert by_path[f"/api/alerts/{alert}"]["household_id"] == world.ids["home_a"]
    assert world.client.get("/api/audit", headers=world.as_user("rui.responder")).status_code == 403


def test_the_first_admin_is_created_from_the_command_line(tmp_path):
    env = service_env(tmp_path)
    r = telecare("user", "add", "alex", "--role", "admin", "--password-stdin", env=env,
                 input="a-good-long-password\n")
    assert r.returncode == 0 and "created admin alex" in r.stdout
    again = telecare("user", "add", "alex", "--role", "admin", "--password-stdin", env=env,
                     input="a-good-long-password\n")
    assert again.returncode == 1 and "already a user" in again.stderr
    token = telecare("user", "token", "alex", env=env)
    assert token.returncode == 0 and token.stdout.startswith("tc_")
    listed = telecare("user", "list", env=env)
    assert "alex\tadmin\tactive\thouseholds: all" in listed.stdout
