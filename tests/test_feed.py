"""The families' feed and away mode as the family and the detector see them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from alerts.service import apply_signal
from detection.safety import SafetyConfig
from detection.service import DetectionService
from telecare.clock import ManualClock
from telecare.db import session_scope
from telecare.domain import AlertKind, AlertSignal, DeviceType, Room, SensorEvent
from telecare.models import Alert, Device, Event, Household
from telecare.accounts import issue_api_token
from tests import factories
from tests.history import lived_in_home
from tests.web_app import NOW, pg_world, world  # noqa: F401 - fixtures


def test_the_feed_says_all_is_well_when_the_day_looks_normal(world):
    lived_in_home(world.factory, "hub-mum", start=date(2026, 2, 8), days=31, name="Mum's flat",
                  until=NOW - timedelta(minutes=7))
    with session_scope(world.factory) as s:
        mum = s.scalar(select(Household).where(Household.hub == "hub-mum"))
        dana = factories.user(s, "dana", "family", [mum])
        token = issue_api_token(s, dana, "t")
    feed = world.client.get("/api/households/hub-mum/feed", headers={"Authorization": f"Bearer {token}"})
    assert feed.status_code == 200
    body = feed.json()
    assert body["glance"]["code"] == "all_well"
    assert body["last_activity"]["text"].startswith("Last activity ")
    assert "minutes ago in the" in body["last_activity"]["text"]
    assert body["today_summary"].startswith("Mum's flat, Tuesday 10 March: first activity at")
    by_metric = {t["metric"]: t for t in body["trends"]}
    assert set(by_metric) == {"got_up", "went_to_bed", "night_toilet_visits", "kitchen_visits", "minutes_out"}
    low, high = by_metric["got_up"]["normal_band"]
    assert 5 * 60 <= low <= high <= 9 * 60  # the early riser gets up between 05:00 and 09:00
    assert sum(sum(v) for v in body["timeline"]["rooms"].values()) > 0


def test_an_open_urgent_alert_shows_as_alert_open_and_a_quiet_afternoon_as_worth_a_check(world):
    fay = world.as_user("fay.family")
    body = world.client.get("/api/households/home-a/feed", headers=fay).json()
    assert body["glance"]["code"] == "alert_open"  # the help request of the test world
    assert body["open_alerts"][0]["label"] == "Help button pressed"
    world.client.post(f"/api/alerts/{world.ids['alert_a']}/resolve", json={"outcome": "genuine"},
                      headers=world.as_user("rui.responder"))
    body = world.client.get("/api/households/home-a/feed", headers=fay).json()
    assert body["glance"] == {"code": "worth_a_check", "text": "No activity recorded yet."}


def test_a_household_still_learning_shows_its_progress(world):
    body = world.client.get("/api/households/home-a", headers=world.as_user("fay.family")).json()
    assert body["state"]["code"] == "learning" and body["state"]["learning_progress"] == 0.0
    assert "devices" not in body  # families do not see the sensor list
    installer = world.client.get("/api/households/home-a", headers=world.as_user("ian.installer")).json()
    assert {d["key"] for d in installer["devices"]} >= {"btn-help", "door-front"}
    assert "recent_alerts" not in installer  # installers do not see alerts


def test_away_mode_set_by_family_quiets_absence_alerts_but_never_smoke(world):
    fay = world.as_user("fay.family")
    until = (NOW + timedelta(days=4)).isoformat()
    r = world.client.put("/api/households/home-a/away", json={"until": until, "note": "With us till Sunday"},
                         headers=fay)
    assert r.status_code == 200
    past = world.client.put("/api/households/home-a/away", json={"until": "2026-01-01T00:00:00Z"},
                            headers=fay)
    assert past.status_code == 422 and "future" in past.json()["error"]["message"]
    feed = world.client.get("/api/households/home-a/feed", headers=fay).json()
    assert feed["state"]["code"] == "away" and "With us till Sunday" in feed["state"]["detail"]
    with session_scope(world.factory) as s:
        household_id = world.ids["home_a"]
        apply_signal(s, household_id, AlertSignal("home-a", AlertKind.INACTIVITY, NOW, "Quiet.", "q1"), now=NOW)
        apply_signal(s, household_id, AlertSignal("home-a", AlertKind.SMOKE, NOW, "Smoke.", "s1"), now=NOW)
    with world.factory() as s:
        status = dict(s.execute(select(Alert.kind, Alert.status).where(Alert.household_id == household_id)).all())
    assert status["inactivity"] == "silenced"
    assert status["smoke"] == "triggered"  # an empty house can still burn
    assert world.client.delete("/api/households/home-a/away", headers=fay).json()["away_until"] is None


def test_away_mode_reaches_the_detector_and_no_inactivity_is_raised_while_away(world):
    clock = ManualClock(NOW)
    detection = DetectionService(world.factory, clock, SafetyConfig(timedelta(hours=2)))
    detection.recover()
    motion = SensorEvent("home-a", "m-kitchen", DeviceType.MOTION, Room.KITCHEN, NOW, 1.0)
    detection.on_events([motion])
    with session_scope(world.factory) as s:
        s.get(Household, world.ids["home_a"]).away_until = NOW + timedelta(days=2)
    detection.tick(NOW + timedelta(minutes=1))
    assert detection.engine.monitors["home-a"].away is True
    detection.tick(NOW + timedelta(hours=5))
    with world.factory() as s:
        kinds = s.scalars(select(Alert.kind).where(Alert.household_id == world.ids["home_a"])).all()
    assert "inactivity" not in kinds
    # Home again: the context is re-read within a minute and the quiet house is flagged.
    with session_scope(world.factory) as s:
        s.get(Household, world.ids["home_a"]).away_until = None
    detection.tick(NOW + timedelta(hours=5, minutes=1))
    assert detection.engine.monitors["home-a"].away is False
    detection.tick(NOW + timedelta(hours=8))
    with world.factory() as s:
        kinds = s.scalars(select(Alert.kind).where(Alert.household_id == world.ids["home_a"])).all()
    assert "inactivity" in kinds


def test_the_live_queue_stream_carries_only_the_callers_households(world):
    r = world.client.get("/api/alerts/stream", headers=world.as_user("rui.responder"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert "event: alert" in r.text and f'"id":{world.ids["alert_a"]}' in r.text
    assert f'"id":{world.ids["alert_b"]},' not in r.text and "home-b" not in r.text
    everything = world.client.get("/api/alerts/stream", headers=world.as_user("ada.admin")).text
    assert "home-a" in everything and "home-b" in everything
    assert world.client.get("/api/alerts/stream", headers=world.as_user("ian.installer")).status_code == 403


def test_the_console_lists_open_alerts_most_severe_first(world):
    with session_scope(world.factory) as s:
        apply_signal(s, world.ids["home_a"], AlertSignal("home-a", AlertKind.KITCHEN_DECLINE,
                                                          NOW - timedelta(hours=3), "Less cooking.", "kd"),
                     now=NOW)
    r = world.client.get("/api/alerts/stream", headers=world.as_user("rui.responder"))
    kinds = [line for line in r.text.splitlines() if line.startswith("data:")]
    assert '"kind":"help_request"' in kinds[0] and '"kind":"kitchen_decline"' in kinds[1]


def test_a_form_sent_incomplete_says_what_is_missing_and_changes_nothing(world):
    from tests.web_support import csrf_in, sign_in

    sign_in(world.client, "rui.responder")
    alert = world.ids["alert_a"]
    csrf = csrf_in(world.client.get(f"/alerts/{alert}").text)
    r = world.client.post(f"/alerts/{alert}/resolve", data={"csrf_token": csrf, "outcome": "maybe"})
    assert r.status_code == 422 and "Choose what the alert turned out to be" in r.text
    r = world.client.post(f"/alerts/{alert}/silence", data={"csrf_token": csrf, "minutes": "-5", "reason": ""})
    assert r.status_code == 422 and "how long to silence for" in r.text
    r = world.client.post("/feed/home-a/away", data={"csrf_token": csrf, "until": "2020-01-01"})
    assert r.status_code == 422 and "Choose the day they will be home" in r.text
    with world.factory() as s:
        assert s.get(Alert, alert).status == "triggered"
        assert s.get(Household, world.ids["home_a"]).away_until is None
    # Query parameters cannot dress a page up as an error.
    page = world.client.get(f"/alerts/{alert}", params={"status": "500", "error": "Call 0800 SCAM"})
    assert page.status_code == 200 and "0800 SCAM" not in page.text


def test_the_feed_says_mum_went_out_rather_than_that_the_house_has_been_quiet(world):
    lived_in_home(world.factory, "hub-mum", start=date(2026, 2, 8), days=31, name="Mum's flat",
                  until=NOW - timedelta(hours=5))
    with session_scope(world.factory) as s:
        mum = s.scalar(select(Household).where(Household.hub == "hub-mum"))
        door = s.scalar(select(Device).where(Device.household_id == mum.id, Device.room == "front_door"))
        left = NOW - timedelta(hours=4, minutes=50)
        for k, value in enumerate((1.0, 0.0)):  # opened and closed behind her, then nothing
            s.add(Event(household_id=mum.id, device_id=door.id, event_time=left + timedelta(seconds=20 * k),
                        received_at=left, value=value, seq=10**6 + k, late=False, dedup_key=f"door-{k}"))
        dana = factories.user(s, "dana", "family", [mum])
        token = issue_api_token(s, dana, "t")
    body = world.client.get("/api/households/hub-mum/feed", headers={"Authorization": f"Bearer {token}"}).json()
    # Nearly five hours without a sign at home would be "worth a call"; after the front door it is an outing.
    assert body["glance"] == {"code": "all_well", "text": "Went out 4 hours ago; nothing seen at home since."}
    assert body["last_activity"]["text"] == "Went out 4 hours ago; nothing seen at home since."

    with session_scope(world.factory) as s:  # back: the kitchen an hour ago, then quiet again
        mum = s.scalar(select(Household).where(Household.hub == "hub-mum"))
        kitchen = s.scalars(select(Device).where(Device.household_id == mum.id, Device.room == "kitchen")).first()
        s.add(Event(household_id=mum.id, device_id=kitchen.id, event_time=NOW - timedelta(minutes=50),
                    received_at=NOW, value=1.0, seq=10**6 + 5, late=False, dedup_key="kitchen-back"))
    body = world.client.get("/api/households/hub-mum/feed", headers={"Authorization": f"Bearer {token}"}).json()
    assert body["glance"]["code"] == "all_well" and body["last_activity"]["text"].startswith("Last activity ")
