"""A receiver that is down: retries with backoff, then the next channel, every attempt on record.

Real Apprise against real loopback receivers; a closed port makes Apprise fail at once. Backoff is
measured on the service's ManualClock, so a one-minute retry needs no waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from telecare.clock import ManualClock
from telecare.models import Alert, AlertTimelineEntry, DeliveryAttempt, Notification
from tests import factories
from tests.support import wait_for
from tests.test_alert_escalation import api_for
from tests.test_delivery_receivers import Webhook, webhook  # noqa: F401 - fixture
from tests.test_safety_alerts import send

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ONE_STEP = {"steps": [{"roles": ["responder"], "wait_min": 60}], "repeat": 0}


@pytest.fixture
def retrying(stack):
    stack.settings = stack.settings.model_copy(
        update={"delivery_retry_base_s": 60.0, "delivery_attempts_per_channel": 3}
    )
    return stack


def responder(api, hub, channels):
    r = api.post(f"/api/households/{hub}/contacts",
                 json={"name": "Responder team", "role": "responder", "channels": channels})
    assert r.status_code == 201, r.text
    assert api.put(f"/api/households/{hub}/escalation-policy", json=ONE_STEP).status_code == 200


def attempts(service):
    with service.factory() as s:
        return [(a.channel_index, a.ok, a.at) for a in
                s.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id))]


def the_notification(service) -> Notification | None:
    with service.factory() as s:
        return s.scalars(select(Notification)).one_or_none()


def waiting_or_done(service, clock) -> Notification | None:
    """The notification once its latest attempt is recorded (waiting for a retry, sent or failed)."""
    n = the_notification(service)
    if n is None or (n.status == "pending" and n.next_attempt_at <= clock.now()):
        return None
    return n


def test_primary_channel_down_is_retried_with_backoff_then_the_fallback_channel_delivers(
    retrying, start_service, publisher_for, webhook  # noqa: F811
):
    clock = ManualClock(T0)
    home = factories.household()
    service = start_service(retrying, [home], clock=clock, serve_http=True)
    down = Webhook()  # never started: its port is closed
    responder(api_for(retrying), home.hub, [down.url("primary"), webhook.url("fallback")])
    send(publisher_for(retrying), retrying, home.hub, "btn-help", T0, True, seq=1)

    wait_for(lambda: len(attempts(service)) == 1)
    clock.advance(timedelta(seconds=59))
    assert service.delivery.run_once() == 0  # backoff not over yet
    clock.advance(timedelta(seconds=1))
    wait_for(lambda: len(attempts(service)) == 2)
    clock.advance(timedelta(seconds=120))  # the backoff doubles
    [got] = wait_for(lambda: webhook.at("fallback"))
    # The receiver has it a moment before the worker commits the attempt's record.
    tried = wait_for(lambda: a if len(a := attempts(service)) == 4 else None)
    assert [(i, ok) for i, ok, _ in tried] == [(0, False), (0, False), (0, False), (1, True)]
    assert [b[2] - a[2] for a, b in zip(tried, tried[1:])] == [
        timedelta(seconds=60), timedelta(seconds=120), timedelta(0)]
    n = the_notification(service)
    assert n.status == "sent" and got["key"] == n.key


def test_a_receiver_that_comes_back_gets_the_notification_once_with_its_key(
    retrying, start_service, publisher_for  # noqa: F811
):
    clock = ManualClock(T0)
    home = factories.household()
    service = start_service(retrying, [home], clock=clock, serve_http=True)
    hook = Webhook()  # down for now
    responder(api_for(retrying), home.hub, [hook.url("only")])
    send(publisher_for(retrying), retrying, home.hub, "btn-help", T0, True, seq=1)
    wait_for(lambda: len(attempts(service)) == 1)
    hook.start()  # back on the same port
    try:
        clock.advance(timedelta(seconds=60))
        [got] = wait_for(lambda: hook.at("only"))
        n = wait_for(lambda: (x := the_notification(service)).status == "sent" and x)
        assert got["key"] == n.key and f"Ref: {n.key}" in got["message"]
        assert [(i, ok) for i, ok, _ in attempts(service)] == [(0, False), (0, True)]
        clock.advance(timedelta(hours=1))
        service.delivery.run_once()
        assert {r["key"] for r in hook.received} == {n.key}
    finally:
        hook.stop()


def test_when_every_channel_fails_the_notification_is_marked_failed_and_shown_on_the_alert(
    retrying, start_service, publisher_for  # noqa: F811
):
    clock = ManualClock(T0)
    home = factories.household()
    service = start_service(retrying, [home], clock=clock, serve_http=True)
    api = api_for(retrying)
    responder(api, home.hub, [Webhook().url("a"), Webhook().url("b")])
    send(publisher_for(retrying), retrying, home.hub, "btn-help", T0, True, seq=1)
    while (n := wait_for(lambda: waiting_or_done(service, clock))).status == "pending":
        clock.set(n.next_attempt_at)  # each retry as soon as its backoff is over
    assert [(i, ok) for i, ok, _ in attempts(service)] == [(0, False)] * 3 + [(1, False)] * 3
    [failed] = api.get("/api/notifications", params={"status": "failed"}).json()
    assert "Connection error" in failed["last_error"]
    with service.factory() as s:
        alert = s.scalars(select(Alert)).one()
        problems = s.scalars(select(AlertTimelineEntry).where(
            AlertTimelineEntry.action == "delivery_failed")).all()
    assert alert.status == "triggered"  # still open: someone must look
    assert len(problems) == 1 and "any of 2 channel(s)" in problems[0].note


def test_a_responder_who_cannot_be_reached_is_reported_to_the_other_responders(
    retrying, start_service, publisher_for, webhook  # noqa: F811
):
    clock = ManualClock(T0)
    home = factories.household()
    service = start_service(retrying, [home], clock=clock, serve_http=True)
    api = api_for(retrying)
    responder(api, home.hub, [Webhook().url("a")])  # unreachable
    r = api.post(f"/api/households/{home.hub}/contacts",
                 json={"name": "Night supervisor", "role": "responder",
                       "channels": [webhook.url("supervisor")]})
    assert r.status_code == 201, r.text
    send(publisher_for(retrying), retrying, home.hub, "btn-help", T0, True, seq=1)
    wait_for(lambda: webhook.at("supervisor"))  # the supervisor has the alert itself
    while True:  # run the unreachable responder's retries out, each as soon as it is due
        with service.factory() as s:
            waiting = s.scalars(select(Notification).where(
                Notification.status == "pending", Notification.purpose == "alert")).all()
        if not waiting:
            break
        clock.set(min(n.next_attempt_at for n in waiting))
        service.delivery.run_once()
    [_, notice] = wait_for(lambda: len(webhook.at("supervisor")) == 2 and webhook.at("supervisor"))
    assert notice["title"].startswith("Undelivered: help request")
    assert "Could not reach Responder team (responder)" in notice["message"]
    assert "/ack/" in notice["message"]  # the supervisor can take it from here
