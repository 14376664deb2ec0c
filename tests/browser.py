"""Browser tests: playwright driving Debian's Chromium (``/usr/bin/chromium``), and a live server.

A pytest plugin. Register it once (``pytest_plugins = ["tests.browser"]``) and use the fixtures:

``browser``     the Chromium every test shares (launched once per session, closed at the end);
``page``        a fresh context (1280x900) and page per test; a failing test leaves a screenshot in
                ``tests/artifacts/``;
``live_app``    ``base_url = live_app(app)`` serves a FastAPI app with uvicorn in a thread on a free
                port until the end of the test.

``screenshot(page, name)`` writes ``tests/artifacts/screenshots/<name>.png``; with
``REFRESH_SCREENSHOTS=1`` in the environment, ``docs/screenshots/<name>.png`` instead (committed,
shown in the README: ``REFRESH_SCREENSHOTS=1 make test`` refreshes them). Not on every run: a test
run that rewrites committed files leaves every checkout dirty, with pictures that differ by a few
pixels of rendering.

No browser is ever downloaded: ``scripts/ensure-chromium`` (run by ``make test``) installs Debian's
package. A missing browser fails the run, it never skips it.

Playwright's sync API and asyncio: while a sync playwright is alive it marks its event loop as the
main thread's running loop, so ``asyncio.run()`` in any later test of the session would refuse to
start. The browser is therefore *parked* outside browser tests (the mark is lifted) and re-armed by
the ``browser`` fixture for the tests that use it.

PYTEST_DONT_REWRITE: nothing here asserts, and a test module may register this plugin after
``--doctest-modules`` has imported it.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from ingest.broker import free_port
from tests.support import wait_for

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "tests" / "artifacts"
SCREENSHOTS = REPO / "docs" / "screenshots" if os.environ.get("REFRESH_SCREENSHOTS") == "1" else ARTIFACTS / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


# --------------------------------------------------------------------------------------- helpers
def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as ``<name>.png`` in ``SCREENSHOTS`` (see above)."""
    path = SCREENSHOTS / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


@contextmanager
def serve_app(app, *, host: str = "127.0.0.1", timeout: float = 20.0) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a background thread; yields the base URL.

    Returns once ``/health`` answers (any status: a degraded service still serves pages) and stops
    the server on exit (``should_exit``, then the thread is joined).
    """
    port = free_port(host)
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    base_url = f"http://{host}:{port}"

    def answers() -> bool:
        if not thread.is_alive():
            raise RuntimeError(f"uvicorn on port {port} stopped before it served /health")
        try:
            httpx.get(f"{base_url}/health", timeout=1.0)
        except httpx.TransportError:
            return False
        return True

    try:
        wait_for(answers, timeout=timeout)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():  # pragma: no cover - a hung shutdown is a bug worth seeing
            raise RuntimeError(f"uvicorn on port {port} did not stop within {timeout} s")


# ------------------------------------------------------------------------------ the shared browser
@dataclass
class _Chromium:
    playwright: Playwright
    browser: Browser
    loop: asyncio.AbstractEventLoop

    def arm(self) -> None:
        asyncio._set_running_loop(self.loop)  # what playwright's own sync calls expect

    def park(self) -> None:
        asyncio._set_running_loop(None)  # other tests may use asyncio.run() again

    def close(self) -> None:
        self.arm()
        try:
            self.browser.close()
        finally:
            self.playwright.stop()  # clears the mark and closes playwright's loop


@pytest.fixture(scope="session")
def _chromium() -> Iterator[_Chromium]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run scripts/ensure-chromium (make test does), "
            "not a browser download of playwright's own",
            pytrace=False,
        )
    playwright = sync_playwright().start()
    loop = asyncio.get_running_loop()  # playwright's, marked running in this thread
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
    except BaseException:
        playwright.stop()
        raise
    chromium = _Chromium(playwright, browser, loop)
    chromium.park()
    yield chromium
    chromium.close()


@pytest.fixture
def browser(_chromium: _Chromium) -> Iterator[Browser]:
    """The session's Chromium, usable for the duration of this test."""
    _chromium.arm()
    try:
        yield _chromium.browser
    finally:
        _chromium.park()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        yield page
    finally:
        reports = request.node.stash.get(_REPORTS, {})
        if any(r.failed for r in reports.values()):
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid).strip("_")
            try:
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            except Exception as exc:  # noqa: BLE001 - the test's own failure matters more
                print(f"could not save a failure screenshot: {exc}")
        context.close()


@pytest.fixture
def live_app() -> Iterator[Callable[..., str]]:
    """``base_url = live_app(app)``: served until the end of the test."""
    with ExitStack() as servers:
        yield lambda app, **kwargs: servers.enter_context(serve_app(app, **kwargs))


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item so ``page`` can tell a failed test at teardown."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report
