"""The one-click "I'm on it" link in a notification: it acknowledges once, and only as sent.

The link is taken from the message the real webhook received, as a carer's phone would show it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from telecare.clock import ManualClock
from tests import factories
from tests.support import wait_for
from tests.test_alert_escalation import api_for, care_circle, the_alert
from tests.test_delivery_receivers import webhook  # noqa: F401 - fixture
from tests.test_safety_alerts import send

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
JSON = {"Accept": "application/json"}


@pytest.fixture
def link_setup(embedded_stack, start_service, publisher_for, webhook):  # noqa: F811
    clock = ManualClock(T0)
    home = factories.household()
    service = start_service(embedded_stack, [home], clock=clock, serve_http=True)
    care_circle(api_for(embedded_stack), home.hub, webhook)
    send(publisher_for(embedded_stack), embedded_stack, home.hub, "btn-help", T0, True, seq=1)
    [msg] = wait_for(lambda: webhook.at("responder"))
    link = re.search(r"(http://\S+/ack/\S+)", msg["message"]).group(1)
    return service, clock, link


def test_opening_the_link_only_shows_a_button_and_pressing_it_acknowledges(link_setup):
    service, _clock, link = link_setup
    page = httpx.get(link)
    assert page.status_code == 200 and "<button" in page.text
    assert the_alert(service).status == "triggered"  # a link preview does not acknowledge
    r = httpx.post(link, headers=JSON)
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged_by"] == "Responder team (contact 1)"
    alert = the_alert(service)
    assert alert.status == "acknowledged" and alert.next_step_at is None


def test_a_used_link_is_refused_when_replayed(link_setup):
    _service, _clock, link = link_setup
    assert httpx.post(link, headers=JSON).status_code == 200
    again = httpx.post(link, headers=JSON)
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "ack_link_used", "message": "this acknowledgement link was already used; it works once"}


def test_an_altered_link_is_refused_and_acknowledges_nothing(link_setup):
    service, _clock, link = link_setup
    base, token = link.rsplit("/ack/", 1)
    payload, sig = token.split(".")
    other_alert = httpx.post(f"{base}/ack/{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}"
                             f"{payload[-1]}.{sig}", headers=JSON)
    assert other_alert.status_code == 400
    assert other_alert.json()["error"]["code"] == "ack_link_invalid"
    page = httpx.get(f"{base}/ack/{token}x")
    assert page.status_code == 400 and "altered" in page.text
    assert the_alert(service).status == "triggered"


def test_an_expired_link_is_refused_with_a_way_forward(link_setup):
    service, clock, link = link_setup
    clock.advance(timedelta(hours=24, seconds=1))
    r = httpx.post(link, headers=JSON)
    assert r.status_code == 410
    assert r.json()["error"]["code"] == "ack_link_expired"
    assert "console" in r.json()["error"]["message"]
    assert the_alert(service).status == "triggered"
