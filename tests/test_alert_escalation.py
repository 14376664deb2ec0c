"""What the care circle receives when someone presses the help button, and how it escalates.

Real Apprise to a real webhook on loopback; the escalation job runs on the service's scheduler and
reads the service's ManualClock, so "ten minutes later" takes no time and is exact.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from telecare.clock import ManualClock
from telecare.models import Alert, Notification
from tests import factories
from tests.support import wait_for
from tests.test_delivery_receivers import webhook  # noqa: F401 - fixture
from tests.test_safety_alerts import send

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POLICY = {"steps": [{"roles": ["responder"], "wait_min": 5}, {"roles": ["family"], "wait_min": 10}],
          "repeat": 0, "reminder_min": 30}


def api_for(stack) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{stack.settings.http_port}", timeout=10,
                        headers={"Authorization": "Bearer test-api-token-0123456789"})


def care_circle(api, hub, hook, policy=POLICY) -> dict[str, int]:
    ids = {}
    for name, role in (("Responder team", "responder"), ("Daughter", "family")):
        r = api.post(f"/api/households/{hub}/contacts",
                     json={"name": name, "role": role, "channels": [hook.url(role)]})
        assert r.status_code == 201, r.text
        ids[role] = r.json()["id"]
    assert api.put(f"/api/households/{hub}/escalation-policy", json=policy).status_code == 200
    return ids


def the_alert(service, kind="help_request") -> Alert:
    with service.factory() as s:
        return s.scalars(select(Alert).where(Alert.kind == kind)).one()


def test_unanswered_help_request_reaches_responders_then_family_until_acknowledged_and_resolved(
    stack, start_service, publisher_for, webhook  # noqa: F811
):
    clock = ManualClock(T0)
    home = factories.household()
    service = start_service(stack, [home], clock=clock, serve_http=True)
    api = api_for(stack)
    care_circle(api, home.hub, webhook)
    send(publisher_for(stack), stack, home.hub, "btn-help", T0, True, seq=1)

    [first] = wait_for(lambda: webhook.at("responder"))
    assert first["title"].startswith("help request [critical]")
    assert "Help button pressed in the bedroom" in first["message"]
    assert "/ack/" in first["message"]
    assert webhook.at("family") == []

    alert = the_alert(service)
    assert alert.next_step_at == T0 + timedelta(minutes=5)
    clock.set(T0 + timedelta(minutes=5) - timedelta(seconds=1))
    assert service.escalation_tick() == 0  # not yet due: nobody else is told
    clock.set(T0 + timedelta(minutes=5))
    [to_family] = wait_for(lambda: webhook.at("family"))  # the scheduler's job fires it
    assert to_family["title"].startswith("Still unanswered: help request")

    r = api.post(f"/api/alerts/{alert.id}/acknowledge", json={"by": "Sam (responder)"})
    assert r.status_code == 200 and r.json()["status"] == "acknowledged"
    assert r.json()["next_step_at"] is None
    clock.set(T0 + timedelta(hours=2))
    service.escalation_tick()
    r = api.post(f"/api/alerts/{alert.id}/resolve",
                 json={"by": "Sam (responder)", "outcome": "false_alarm", "note": "pressed by mistake"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "resolved" and body["outcome"] == "false_alarm"
    assert [(t["action"], t["actor"]) for t in body["timeline"]] == [
        ("trigger", "detector"),
        ("escalate", "escalation"),
        ("acknowledge", "Sam (responder)"),
        ("remind", "escalation"),  # acknowledged 2 h without resolving: a reminder went out
        ("resolve", "Sam (responder)"),
    ]
    assert body["timeline"][-1]["note"] == "outcome false_alarm: pressed by mistake"
    wait_for(lambda: len(webhook.at("responder")) == 2)  # the alert, then the reminder
    assert webhook.at("responder")[1]["title"].startswith("Reminder: help request")
    assert len(webhook.at("family")) == 1  # nothing more after the acknowledgement


def test_a_second_press_on_an_open_alert_notifies_nobody_again(
    stack, start_service, publisher_for, webhook  # noqa: F811
):
    home = factories.household()
    service = start_service(stack, [home], clock=ManualClock(T0), serve_http=True)
    care_circle(api_for(stack), home.hub, webhook)
    pub = publisher_for(stack)
    send(pub, stack, home.hub, "btn-help", T0 - timedelta(minutes=2), True, seq=1)
    wait_for(lambda: webhook.at("responder"))
    send(pub, stack, home.hub, "btn-help", T0 - timedelta(minutes=1), True, seq=2)
    wait_for(lambda: the_alert(service).count == 2)
    with service.factory() as s:
        assert len(s.scalars(select(Notification)).all()) == 1
    assert len(webhook.at("responder")) == 1


def test_a_fall_goes_to_responders_at_once_even_if_the_household_policy_starts_with_family(
    stack, start_service, publisher_for, webhook  # noqa: F811
):
    home = factories.household()
    start_service(stack, [home], clock=ManualClock(T0), serve_http=True)
    family_first = {"steps": [{"roles": ["family"], "wait_min": 15}], "repeat": 0}
    care_circle(api_for(stack), home.hub, webhook, family_first)
    send(publisher_for(stack), stack, home.hub, "fall", T0, True, seq=1)
    wait_for(lambda: webhook.at("responder") and webhook.at("family"))


def test_when_movement_resumes_whoever_was_told_of_the_inactivity_hears_all_clear(
    stack, start_service, publisher_for, webhook  # noqa: F811
):
    clock = ManualClock(T0)
    home = factories.household()
    service = start_service(stack, [home], clock=clock, serve_http=True)
    care_circle(api_for(stack), home.hub, webhook)
    pub = publisher_for(stack)
    send(pub, stack, home.hub, "m-kitchen", T0, True, seq=1)
    wait_for(lambda: (m := service.detection.engine.monitors.get(home.hub)) is not None
             and m.last_presence == T0)
    clock.set(T0 + timedelta(minutes=stack.settings.inactivity_limit_min + 1))
    service.detection.tick()
    [told] = wait_for(lambda: webhook.at("responder"))
    assert told["title"].startswith("inactivity [urgent]")
    send(pub, stack, home.hub, "m-bedroom", clock.now(), True, seq=1)
    [_, all_clear] = wait_for(lambda: len(webhook.at("responder")) == 2 and webhook.at("responder"))
    assert all_clear["title"].startswith("All clear: inactivity")
    assert "Movement resumed in the bedroom" in all_clear["message"]
    assert "/ack/" not in all_clear["message"]
    assert webhook.at("family") == []  # the family step was never reached, so they hear nothing
