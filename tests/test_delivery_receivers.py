"""Real receivers on loopback (an HTTP webhook, an SMTP server) and what reaches them.

The webhook and mailbox here are imported by the other alert tests. Apprise sends to them for real:
``json://127.0.0.1:PORT/path`` and ``mailto://127.0.0.1:PORT?from=...&to=...``; nothing is mocked.
"""

from __future__ import annotations

import json
import re
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from aiosmtpd.controller import Controller

from alerts.channels import send
from ingest.broker import free_port
from tests.support import wait_for

REF = re.compile(r"\[ref ([^\]]+)\]")


class Webhook:
    """A JSON webhook receiver; ``start()`` again on the same port brings a 'down' receiver back."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[dict] = []  # {"path", "title", "message", "key"}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def start(self) -> Webhook:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                match = REF.search(body.get("title", ""))
                with outer._lock:
                    outer.received.append({"path": self.path, "title": body.get("title", ""),
                                           "message": body.get("message", ""),
                                           "key": match.group(1) if match else None})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def at(self, path: str) -> list[dict]:
        with self._lock:
            return [r for r in self.received if r["path"] == "/" + path.lstrip("/")]


class Mailbox:
    """A real SMTP server (aiosmtpd) collecting the messages it is handed."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list = []
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, _server, _session, envelope) -> str:  # noqa: N802 - aiosmtpd hook
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def url(self, to: str = "family@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=svc@example.org&to={to}"

    def start(self) -> Mailbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


@pytest.fixture
def webhook():
    hook = Webhook().start()
    yield hook
    hook.stop()


@pytest.fixture
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


def test_a_message_sent_to_a_webhook_channel_arrives_with_its_title(webhook):
    result = send(webhook.url("hooks/ann"), "Help request [ref k-1]", "Help button pressed.")
    assert result.ok and result.result == "SUCCESS"
    [got] = webhook.at("hooks/ann")
    assert got["key"] == "k-1" and got["message"] == "Help button pressed."


def test_a_message_sent_to_an_email_channel_arrives_in_the_inbox(mailbox):
    result = send(mailbox.url(), "Daily summary [ref k-2]", "A quiet, ordinary day.")
    assert result.ok
    [msg] = wait_for(lambda: mailbox.messages)
    assert "ref k-2" in msg["Subject"] and msg["To"] == "family@example.org"


def test_a_channel_that_is_down_fails_at_once_with_the_reason():
    result = send(f"json://127.0.0.1:{free_port()}/x", "t", "b")
    assert not result.ok and result.result == "FAILURE"
    assert "Connection error" in result.error


def test_a_contact_test_message_goes_out_by_email_through_the_service(
    embedded_stack, start_service, mailbox
):
    from tests import factories

    home = factories.household()
    service = start_service(embedded_stack, [home], serve_http=True)
    api = httpx.Client(base_url=f"http://127.0.0.1:{embedded_stack.settings.http_port}",
                       headers={"Authorization": "Bearer test-api-token-0123456789"})
    contact = api.post(f"/api/households/{home.hub}/contacts",
                       json={"name": "Ann", "role": "family", "channels": [mailbox.url()]})
    assert contact.status_code == 201, contact.text
    sent = api.post(f"/api/contacts/{contact.json()['id']}/test")
    assert sent.status_code == 202
    [msg] = wait_for(lambda: mailbox.messages)
    assert "Telecare test message" in msg["Subject"]
    assert f"ref {sent.json()['key']}" in msg["Subject"]
    assert service.delivery is not None


def test_a_channel_apprise_cannot_use_is_refused_with_the_reason(embedded_stack, start_service):
    from tests import factories

    home = factories.household()
    start_service(embedded_stack, [home], serve_http=True)
    api = httpx.Client(base_url=f"http://127.0.0.1:{embedded_stack.settings.http_port}",
                       headers={"Authorization": "Bearer test-api-token-0123456789"})
    r = api.post(f"/api/households/{home.hub}/contacts",
                 json={"name": "Bob", "role": "carer", "channels": ["mailto://127.0.0.1:25"]})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_contact"


def test_telecare_channel_test_sends_to_the_url_and_says_it_worked(webhook, tmp_path):
    from tests.procs import service_env, telecare

    done = telecare("channel", "test", "--url", webhook.url("cli"), env=service_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"json://127.0.0.1:{webhook.port}: SUCCESS in ")
    [got] = webhook.at("cli")
    assert got["title"] == "Telecare test message"


def test_telecare_contact_add_list_and_remove(tmp_path, webhook):
    from telecare.households import household_to_dict
    from tests import factories
    from tests.procs import import_households, service_env, telecare

    env = service_env(tmp_path / "data")
    home = factories.household()
    import_households([household_to_dict(home)], tmp_path / "homes", env)
    added = telecare("contact", "add", "--hub", home.hub, "--name", "Ann", "--role", "family",
                     "--channel", webhook.url("ann"), "--quiet-hours", "22:00-07:00", env=env)
    assert added.returncode == 0, added.stderr
    contact_id = added.stdout.split()[2].rstrip(":")
    listed = telecare("contact", "list", "--hub", home.hub, env=env).stdout
    assert "Ann" in listed and "quiet 22:00-07:00" in listed
    assert telecare("channel", "test", "--contact", contact_id, env=env).returncode == 0
    assert webhook.at("ann")
    assert telecare("contact", "remove", contact_id, env=env).returncode == 0
    assert "Ann" not in telecare("contact", "list", "--hub", home.hub, env=env).stdout
    bad = telecare("contact", "add", "--hub", home.hub, "--name", "Bo", "--role", "carer",
                   "--channel", "nonsense://x", env=env)
    assert bad.returncode == 1 and "not a channel Apprise can send to" in bad.stderr
