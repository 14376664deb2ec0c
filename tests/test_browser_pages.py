"""The pages in a real browser (Debian's Chromium driven by playwright), against the real services.

A responder on the console sees a help request arrive live, acknowledges it (escalation to the family
stops) and resolves it as a false alarm. A daughter sees her mother's feed with its charts, sets away
mode, and cannot open another household's pages by editing the URL. Screenshots of both go to
docs/screenshots/ for the README when asked for (``tests.browser``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from alerts.service import apply_signal
from telecare.clock import ManualClock
from telecare.db import make_engine, make_session_factory, migrate, session_scope
from telecare.domain import AlertKind, AlertSignal
from telecare.households import upsert_household
from telecare.models import Alert, Device, Household
from tests import factories
from tests.browser import screenshot
from tests.history import lived_in_home
from tests.support import PG_URL, wait_for
from tests.test_alert_escalation import api_for, care_circle, the_alert
from tests.test_delivery_receivers import webhook  # noqa: F401 - fixture
from tests.test_safety_alerts import send

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
    .filter(el => el.type !== 'hidden' && el.type !== 'radio' && el.labels.length === 0)
    .map(el => el.name)"""
RADIOS_OUTSIDE_LABELS = """() => Array.from(document.querySelectorAll('input[type=radio]'))
    .filter(el => el.labels.length === 0).map(el => el.value)"""


def accessible_forms(page: Page) -> None:
    """Every field has a label a screen reader can read out."""
    assert page.evaluate(UNLABELLED) == [] and page.evaluate(RADIOS_OUTSIDE_LABELS) == []


def fits_a_phone(page: Page) -> None:
    """At a phone's width nothing needs sideways scrolling."""
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_responder_sees_a_help_request_arrive_live_acknowledges_and_resolves_it_as_a_false_alarm(
    real_stack, start_service, publisher_for, webhook, page  # noqa: F811
):
    clock = ManualClock(T0)
    home = factories.household()
    service = start_service(real_stack, [home], clock=clock, serve_http=True)
    care_circle(api_for(real_stack), home.hub, webhook)
    with session_scope(service.factory) as s:
        household = s.scalar(select(Household).where(Household.hub == home.hub))
        household.name = "Mrs Elsie Morgan"
        factories.user(s, "sam.responder", "responder", [household], display_name="Sam")
    base = f"http://127.0.0.1:{real_stack.settings.http_port}"

    sign_in(page, base, "sam.responder")
    expect(page).to_have_url(f"{base}/console")
    expect(page.get_by_text("No open alerts")).to_be_visible()
    page.evaluate("window.notReloaded = true")

    send(publisher_for(real_stack), real_stack, home.hub, "btn-help", T0, True, seq=1)
    row = page.locator("#queue tbody tr", has_text="Mrs Elsie Morgan")
    expect(row).to_be_visible(timeout=15_000)  # pushed by the server: no reload
    assert page.evaluate("window.notReloaded") is True
    expect(row).to_contain_text("Help button pressed")
    expect(row).to_contain_text("critical")
    screenshot(page, "console")

    row.get_by_role("link", name="Help button pressed").click()
    expect(page.get_by_role("heading", name="Activity around the alert")).to_be_visible()
    expect(page.locator("figure.chart svg")).to_have_count(1)
    accessible_forms(page)
    page.get_by_role("button", name="Acknowledge: I'm on it").focus()
    page.keyboard.press("Enter")  # keyboard alone is enough
    expect(page.locator("#alert-status")).to_have_text("acknowledged")
    expect(page.get_by_text("acknowledged by Sam")).to_be_visible()
    screenshot(page, "alert")

    # The escalation stopped: when the family's step falls due, nobody else is told.
    assert the_alert(service).next_step_at is None
    clock.set(T0 + timedelta(minutes=30))
    service.escalation_tick()
    assert webhook.at("family") == []

    page.get_by_label("false alarm").check()
    page.get_by_label("Note (optional)").fill("Pressed by mistake while dusting")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#alert-status")).to_have_text("resolved")
    expect(page.get_by_text("(false alarm)").first).to_be_visible()
    alert = the_alert(service)
    assert (alert.status, alert.outcome) == ("resolved", "false_alarm")

    fits_a_phone(page)
    page.goto(f"{base}/console")  # resolved: gone from the queue
    expect(page.get_by_text("No open alerts")).to_be_visible()
    fits_a_phone(page)


def test_a_daughter_sees_her_mothers_feed_with_charts_sets_away_mode_and_cannot_reach_another_home(
    pg_schema, page, live_app, tmp_path
):
    from tests.conftest import _settings
    from web.app import create_app

    engine = make_engine(PG_URL, schema=pg_schema)
    migrate(engine)
    factory = make_session_factory(engine)
    now = datetime(2026, 3, 9, 15, 10, tzinfo=UTC)
    mum = lived_in_home(factory, "hub-mum", start=date(2026, 2, 7), days=31, name="Mum's flat",
                        until=now - timedelta(minutes=12))
    with session_scope(factory) as s:
        other, _ = upsert_household(s, factories.household("hub-neighbour"))
        apply_signal(s, other.id, AlertSignal("hub-neighbour", AlertKind.FALL, now, "Fall detected.", "f1"),
                     now=now)
        factories.user(s, "dana.daughter", "family", [mum], display_name="Dana")
        device_keys = s.scalars(select(Device.key).where(Device.household_id == mum)).all()
    with factory() as s:
        neighbours_alert = s.scalar(select(Alert.id).where(Alert.household_id == other.id))
    app = create_app(_settings(tmp_path), factory,
                     lambda: {"database": True, "broker": True})
    app.state.clock = ManualClock(now)
    base = live_app(app)

    sign_in(page, base, "dana.daughter")
    expect(page).to_have_url(f"{base}/feed/hub-mum")
    expect(page.get_by_role("heading", name="Mum's flat")).to_be_visible()
    expect(page.locator("#last-activity")).to_have_text(re.compile(r"Last activity \d+ minutes ago in the \w+"))
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    charts = page.locator("figure.chart svg[role=img]")
    expect(charts).to_have_count(6)  # today by room + five weekly trends
    for title in ("Getting up", "Going to bed", "Night-time toilet visits", "Kitchen use",
                  "Time out of the house"):
        expect(page.locator("figcaption", has_text=title)).to_be_visible()
    text = page.locator("main").inner_text()
    ids = [k for k in device_keys if re.search(r"[-_\d]", k)]  # "bed" is also a word in "Going to bed"
    assert len(ids) >= 5
    shown = [k for k in ids if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", text)]
    assert not shown, "the feed shows no sensor ids"
    accessible_forms(page)
    fits_a_phone(page)
    page.set_viewport_size({"width": 1100, "height": 900})
    screenshot(page, "feed")

    page.get_by_label("Away until").fill("2026-03-15")
    page.get_by_label("Note for the care team").fill("Staying with us until Sunday")
    page.get_by_role("button", name="Set away").click()
    expect(page.get_by_text("Staying with us until Sunday").first).to_be_visible()
    with factory() as s:
        assert s.get(Household, mum).away_until is not None

    for path in ("/feed/hub-neighbour", "/households/hub-neighbour", f"/alerts/{neighbours_alert}"):
        response = page.goto(f"{base}{path}")
        assert response.status == 404, path
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        assert "Fall detected" not in page.content()
    api = page.request.get(f"{base}/api/households/hub-neighbour/feed")
    assert api.status == 404 and api.json()["error"]["code"] == "not_found"
    engine.dispose()
