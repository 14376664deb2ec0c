"""The browser harness end to end: the app served by uvicorn, the login page in a real Chromium."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect

from telecare.db import make_engine, make_session_factory, migrate
from tests.support import PG_URL
from web.app import create_app



def test_login_page_renders_in_chromium_and_the_api_refuses_a_caller_without_credentials(
    tmp_path, pg_schema, live_app, page
):
    from tests.conftest import _settings

    engine = make_engine(PG_URL, schema=pg_schema)
    migrate(engine)
    factory = make_session_factory(engine)
    app = create_app(_settings(tmp_path), factory, lambda: {"database": True, "broker": True})
    try:
        base_url = live_app(app)

        response = page.goto(f"{base_url}/login")
        assert response is not None and response.status == 200
        expect(page.locator("h1, h2").first).to_be_visible()
        expect(page.locator("form").first).to_be_visible()

        assert httpx.get(f"{base_url}/openapi.json").status_code == 401
    finally:
        engine.dispose()
