"""Alert actions through the API: notes, silencing one alert, silencing a household, clear errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from telecare.clock import ManualClock
from telecare.models import Alert, Notification
from tests import factories
from tests.support import wait_for
from tests.test_alert_escalation import api_for, care_circle, the_alert
from tests.test_delivery_receivers import webhook  # noqa: F401 - fixture
from tests.test_safety_alerts import send

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_a_note_is_added_to_the_timeline_and_silencing_an_alert_stops_its_escalation(
    embedded_stack, start_service, publisher_for, webhook  # noqa: F811
):
    clock = ManualClock(T0)
    home = factories.household()
    service = start_service(embedded_stack, [home], clock=clock, serve_http=True)
    api = api_for(embedded_stack)
    care_circle(api, home.hub, webhook)
    send(publisher_for(embedded_stack), embedded_stack, home.hub, "btn-help", T0, True, seq=1)
    wait_for(lambda: webhook.at("responder"))
    alert_id = the_alert(service).id
    r = api.post(f"/api/alerts/{alert_id}/notes", json={"by": "Sam", "note": "calling her now"})
    assert r.status_code == 200 and r.json()["timeline"][-1]["note"] == "calling her now"
    r = api.post(f"/api/alerts/{alert_id}/silence", json={"by": "Sam", "note": "son is there"})
    assert r.json()["status"] == "silenced" and r.json()["next_step_at"] is None
    clock.advance(timedelta(hours=1))
    service.escalation_tick()
    assert webhook.at("family") == []


def test_acting_on_an_unknown_alert_or_acknowledging_twice_gives_a_clear_error(
    embedded_stack, start_service, publisher_for, webhook  # noqa: F811
):
    home = factories.household()
    service = start_service(embedded_stack, [home], clock=ManualClock(T0), serve_http=True)
    api = api_for(embedded_stack)
    care_circle(api, home.hub, webhook)
    missing = api.post("/api/alerts/999999/acknowledge", json={})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    send(publisher_for(embedded_stack), embedded_stack, home.hub, "btn-help", T0, True, seq=1)
    wait_for(lambda: webhook.at("responder"))
    alert_id = the_alert(service).id
    assert api.post(f"/api/alerts/{alert_id}/acknowledge", json={}).json()["acknowledged_by"] == "Operations token"
    again = api.post(f"/api/alerts/{alert_id}/acknowledge", json={})
    assert again.status_code == 409
    assert again.json()["error"] == {"code": "invalid_transition",
                                     "message": "cannot acknowledge an alert that is acknowledged"}
    bad = api.post(f"/api/alerts/{alert_id}/resolve", json={"outcome": "fixed"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"


def test_a_household_silenced_through_the_api_records_alerts_without_notifying(
    embedded_stack, start_service, publisher_for, webhook  # noqa: F811
):
    home = factories.household()
    service = start_service(embedded_stack, [home], clock=ManualClock(T0), serve_http=True)
    api = api_for(embedded_stack)
    care_circle(api, home.hub, webhook)
    r = api.post(f"/api/households/{home.hub}/silences",
                 json={"minutes": 120, "reason": "installing sensors", "author": "Kim"})
    assert r.status_code == 201, r.text
    send(publisher_for(embedded_stack), embedded_stack, home.hub, "smoke", T0 + timedelta(minutes=1),
         True, seq=1)
    wait_for(lambda: stored(service, Alert))
    [alert] = stored(service, Alert)
    assert alert.status == "silenced" and "installing sensors" in alert_detail(api, alert.id)
    assert stored(service, Notification) == []


def stored(service, model) -> list:
    with service.factory() as s:
        return s.scalars(select(model)).all()


def alert_detail(api, alert_id) -> str:
    return api.get(f"/api/alerts/{alert_id}").json()["timeline"][0]["note"]
