"""An installer commissions a home in a real browser (Debian's Chromium driven by playwright), against
the real service on Mosquitto + PostgreSQL, with the simulated hub speaking our own MQTT contract.

Wall-clock time throughout: the hub stamps its events with real time, and the live tests compare the
events' arrival with the moment the installer pressed "Test".
"""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect
from sqlalchemy import select

from simulator.pairing import STANDARD_KIT, PairingHub
from telecare import pairing
from telecare.db import session_scope
from telecare.models import Household
from tests import factories
from tests.browser import screenshot
from tests.test_browser_pages import accessible_forms, fits_a_phone, sign_in
from web.wording import room_label

TESTED = re.compile(r"^Tested ✓ at \d\d:\d\d:\d\d$")
LIVE = 15_000  # ms: the page polls every 1.5 s; ingest commits within a fraction of a second


def still_the_same_page(page: Page) -> None:
    """What appeared since the marker was set came from the live refresh, not a reload."""
    assert page.evaluate("window.notReloaded") is True


def test_an_installer_pairs_names_and_live_tests_a_simulated_home_and_takes_it_live_in_the_browser(
    real_stack, start_service, publisher_for, page
):
    service = start_service(real_stack, [], serve_http=True)
    with session_scope(service.factory) as s:
        factories.user(s, "ivy.installer", "installer", [], display_name="Ivy")
    base = f"http://127.0.0.1:{real_stack.settings.http_port}"
    hub_id = f"hub-{uuid.uuid4().hex[:8]}"

    sign_in(page, base, "ivy.installer")
    page.get_by_role("link", name="Installations").click()
    expect(page.get_by_role("heading", name="Install a new home")).to_be_visible()
    accessible_forms(page)
    page.get_by_label("Hub id").fill(hub_id)
    page.get_by_label("Household name").fill("Flat 3, Mill Lane")
    page.get_by_label("Time zone").fill("Europe/London")
    page.get_by_label("Our hub (telecare MQTT)").check()
    page.get_by_role("button", name="Create the household").click()
    expect(page).to_have_url(f"{base}/install/{hub_id}")
    expect(page.get_by_role("heading", name="Flat 3, Mill Lane")).to_be_visible()
    expect(page.locator("#home-status")).to_have_text("Being installed")
    page.evaluate("window.notReloaded = true")

    hub = PairingHub.connect(hub_id, host=real_stack.mqtt_host, port=real_stack.mqtt_port,
                             protocol=real_stack.protocol, topic_prefix=real_stack.prefix)
    try:
        # The hub's status on connecting: online, on the page without a reload.
        expect(page.locator("#hub-state")).to_have_text("✓ Hub online", timeout=LIVE)
        # A sensor announcing itself before pairing mode is refused, and the page says why.
        hub.announce(["p-help"])
        expect(page.locator("#refused-list")).to_contain_text("not_pairing", timeout=LIVE)
        expect(page.locator("#new-devices li")).to_have_count(0)
        still_the_same_page(page)

        page.get_by_role("button", name="Start pairing (10 min)").click()
        expect(page.locator("#pairing-state")).to_contain_text("Pairing mode on")
        expect(page.get_by_role("button", name="Stop pairing")).to_be_visible()
        page.evaluate("window.notReloaded = true")
        hub.announce()
        expect(page.locator("#new-devices li")).to_have_count(len(STANDARD_KIT), timeout=LIVE)
        still_the_same_page(page)
        accessible_forms(page)

        for sensor in STANDARD_KIT:
            label = f"{room_label(sensor.room_hint.value)} {sensor.type.value.replace('_', ' ')}"
            new = page.locator(f"#new-{sensor.device}")
            new.get_by_label(f"Type of {sensor.device}", exact=True).select_option(sensor.type.value)
            new.get_by_label(f"Room of {sensor.device}", exact=True).select_option(sensor.room_hint.value)
            new.get_by_label(f"Label of {sensor.device}", exact=True).fill(label)
            new.get_by_role("button", name=f"Pair {sensor.device}", exact=True).click()
            row = page.locator(f"#dev-{sensor.device}")
            expect(row).to_contain_text(label)
            expect(row).to_contain_text("Not tested yet")

            row.get_by_role("button", name="Test").click()
            expect(row).to_contain_text(pairing.live_test_instruction(sensor.type, sensor.room_hint))
            page.evaluate("window.notReloaded = true")
            hub.fire(sensor)
            expect(row.locator(".tested")).to_have_text(TESTED, timeout=LIVE)
            still_the_same_page(page)

        expect(page.locator("#new-devices li")).to_have_count(0)
        items = page.locator("#checklist-items li")
        expect(items).to_have_count(8)
        expect(page.locator("#checklist-items li.not-ok")).to_have_count(0, timeout=LIVE)
        for text in ("Bedroom covered", "Kitchen covered", "Front door covered", "Every announced sensor named",
                     "Every sensor tested", "Batteries fine", "Hub online"):
            expect(page.locator("#checklist-items")).to_contain_text(text)
        expect(page.locator("#go-live-note")).to_contain_text("Everything checks out")
        expect(page.locator("#refused-list")).to_contain_text("not_pairing")
        accessible_forms(page)
        page.set_viewport_size({"width": 1100, "height": 900})
        screenshot(page, "install")
        fits_a_phone(page)

        page.get_by_role("button", name="Go live").click()
        expect(page.locator("#home-status")).to_have_text("Learning the routine")
        expect(page.locator("#pairing-state")).to_contain_text("Pairing mode off")
        with service.factory() as s:
            household = s.scalar(select(Household).where(Household.hub == hub_id))
            assert (household.status, household.pairing_until) == ("learning", None)
            assert household.live_at is not None

        page.get_by_role("link", name="All installations").click()  # device health across homes
        home = page.locator("article.home-health", has_text="Flat 3, Mill Lane")
        expect(home).to_contain_text("Hub online")
        expect(home).to_contain_text(f"{len(STANDARD_KIT)} sensors")
        fits_a_phone(page)
    finally:
        hub.close()
        publisher_for(real_stack).publish(hub.publisher.status_topic, b"", retain=True)  # no leftovers
