"""The care plan: a responder sets how soon a night exit is reported in one home (at once for a resident
known to wander), the detector uses it, and nobody else can change it."""

from __future__ import annotations

from datetime import timedelta

from detection.engine import DetectionEngine
from detection.safety import SafetyConfig
from detection.service import DetectionService
from telecare.clock import ManualClock
from telecare.db import session_scope
from telecare.models import Household
from tests.test_night_wandering import NIGHT, door_at_night, night_alerts
from tests.web_app import NOW, world  # noqa: F401 - fixtures
from tests.web_support import csrf_in, sign_in


def test_a_resident_known_to_wander_is_reported_at_the_first_tick_after_the_door():
    home = door_at_night()
    engine = DetectionEngine()
    engine.routines["h-1"] = home.model
    assert engine.set_night_exit_after("h-1", timedelta(0))
    assert not engine.set_night_exit_after("h-1", timedelta(0))  # said again every half minute
    home.until(NIGHT + timedelta(hours=1))
    [(at, _)] = night_alerts(home)
    assert at == NIGHT + timedelta(minutes=1)  # the first tick (every minute) after the door
    assert engine.set_night_exit_after("h-1", None) and home.model.night.exit_after == timedelta(minutes=5)


def test_a_responder_sets_night_exits_to_be_reported_at_once_and_the_detector_uses_it(world):  # noqa: F811
    rui, fay = world.as_user("rui.responder"), world.as_user("fay.family")
    shown = world.client.get("/api/households/home-a", headers=rui).json()["night_exit"]
    assert shown == {"after_minutes": 5, "default": True, "default_minutes": 5}
    assert "night_exit" not in world.client.get("/api/households/home-a", headers=fay).json()
    for bad in (-1, 61, "soon", False, "3"):
        r = world.client.put("/api/households/home-a/night-exit", json={"after_minutes": bad}, headers=rui)
        assert r.status_code == 422
    r = world.client.put("/api/households/home-a/night-exit", json={"after_minutes": 0}, headers=rui)
    assert r.status_code == 200 and r.json() == {"hub": "home-a", "after_minutes": 0, "default": False,
                                                 "default_minutes": 5}
    assert world.client.put("/api/households/home-a/night-exit", json={"after_minutes": 9},
                            headers=fay).status_code == 403

    detection = DetectionService(world.factory, ManualClock(NOW), SafetyConfig(timedelta(hours=6)))
    detection.recover()
    detection.refresh_context(NOW)
    assert detection.engine.routines["home-a"].night.exit_after == timedelta(0)
    assert detection.engine.routines["home-b"].night.exit_after == timedelta(minutes=5)
    assert "home-a" in detection._dirty  # saved with the next snapshot

    r = world.client.delete("/api/households/home-a/night-exit", headers=rui)
    assert r.json()["default"] is True
    detection.refresh_context(NOW + timedelta(seconds=30))
    assert detection.engine.routines["home-a"].night.exit_after == timedelta(minutes=5)


def test_the_household_page_sets_the_night_exit_delay_and_says_what_is_wrong_with_a_bad_one(world):  # noqa: F811
    sign_in(world.client, "rui.responder")
    page = world.client.get("/households/home-a")
    assert "Report a night exit after" in page.text
    csrf = csrf_in(page.text)
    r = world.client.post("/households/home-a/night-exit", data={"csrf_token": csrf, "after_minutes": "2"},
                          follow_redirects=False)
    assert r.status_code == 303
    for bad in ("90", "-1", "²", "ten"):
        r = world.client.post("/households/home-a/night-exit", data={"csrf_token": csrf, "after_minutes": bad})
        assert r.status_code == 422 and "a whole number of minutes from 0 to 60" in r.text
    with world.factory() as s:
        assert s.get(Household, world.ids["home_a"]).night_exit_after_min == 2
    world.client.post("/households/home-a/night-exit", data={"csrf_token": csrf, "after_minutes": ""})
    with session_scope(world.factory) as s:
        assert s.get(Household, world.ids["home_a"]).night_exit_after_min is None


def test_a_responder_sets_how_many_nights_away_make_a_habit_and_the_detector_uses_it(world):  # noqa: F811
    rui, fay = world.as_user("rui.responder"), world.as_user("fay.family")
    shown = world.client.get("/api/households/home-a", headers=rui).json()["nights_away"]
    assert shown == {"nights": 2, "default": True, "default_nights": 2, "most": 28}
    assert "nights_away" not in world.client.get("/api/households/home-a", headers=fay).json()
    for bad in (0, 29, "1", 1.5, None):
        r = world.client.put("/api/households/home-a/nights-away", json={"nights": bad}, headers=rui)
        assert r.status_code == 422
    r = world.client.put("/api/households/home-a/nights-away", json={"nights": 1}, headers=rui)
    assert r.status_code == 200 and r.json() == {"hub": "home-a", "nights": 1, "default": False,
                                                 "default_nights": 2, "most": 28}
    assert world.client.put("/api/households/home-a/nights-away", json={"nights": 5},
                            headers=fay).status_code == 403

    detection = DetectionService(world.factory, ManualClock(NOW), SafetyConfig(timedelta(hours=6)))
    detection.recover()
    detection.refresh_context(NOW)
    assert detection.engine.routines["home-a"].where.nights_known == 1
    assert detection.engine.routines["home-b"].where.nights_known == 2
    assert "home-a" in detection._dirty  # saved with the next snapshot
    detection._dirty.clear()
    detection.refresh_context(NOW + timedelta(seconds=30))  # every half minute: nothing new
    assert "home-a" not in detection._dirty

    assert world.client.delete("/api/households/home-a/nights-away", headers=rui).json()["default"] is True
    detection.refresh_context(NOW + timedelta(minutes=1))
    assert detection.engine.routines["home-a"].where.nights_known == 2


def test_the_household_page_sets_the_nights_away_and_says_what_is_wrong_with_a_bad_number(world):  # noqa: F811
    sign_in(world.client, "rui.responder")
    page = world.client.get("/households/home-a")
    assert "Take a night out as staying away after" in page.text
    csrf = csrf_in(page.text)
    r = world.client.post("/households/home-a/nights-away", data={"csrf_token": csrf, "nights": "1"},
                          follow_redirects=False)
    assert r.status_code == 303
    for bad in ("0", "29", "-1", "²", "two"):
        r = world.client.post("/households/home-a/nights-away", data={"csrf_token": csrf, "nights": bad})
        assert r.status_code == 422 and "a whole number from 1 to 28" in r.text
    with world.factory() as s:
        assert s.get(Household, world.ids["home_a"]).nights_away_known == 1
    world.client.post("/households/home-a/nights-away", data={"csrf_token": csrf, "nights": ""})
    with session_scope(world.factory) as s:
        assert s.get(Household, world.ids["home_a"]).nights_away_known is None
