"""Bad input to every endpoint gets a clear error, never a 500: schemathesis against the OpenAPI document.

The app runs in-process (ASGI) on a migrated database with a few households, alerts, a contact and users,
so that valid ids and hubs exist next to the generated nonsense. Each operation in ``/openapi.json`` gets
generated requests, valid and invalid (both generation modes), sent as:

- the operations token (an administrator, every household), on PostgreSQL and on SQLite;
- a responder who sees household ``0`` only (``home-b`` answers 404; administrators' routes answer
  403), on PostgreSQL.

Every response must not be a 5xx, must use a status code the document lists for the operation, must match
the documented content type and schema, and, when it is an error, must be ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text, update

from alerts.care_circle import add_contact
from alerts.service import apply_signal
from telecare.account_models import Credential
from telecare.accounts import issue_api_token
from telecare.db import make_engine, make_session_factory, migrate, session_scope
from telecare.domain import AlertKind, AlertSignal
from telecare.households import upsert_household
from telecare.models import RejectedMessage
from tests import factories
from tests.conftest import _settings
from tests.support import PG_URL
from web.app import create_app

OPS_TOKEN = "test-api-token-0123456789"
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
# Hub "0" on purpose: it is the first string the generator tries for a hub, so the happy paths run too.
SEEN, UNSEEN = "0", "home-b"
EXAMPLES = 10  # per operation and caller (plus schemathesis' boundary cases): keeps the file near 75 s

# (database, role): the administrator on both stores; narrower roles on the production store.
# (A family caller was left out for time: a run per caller costs ~25 s on two cores.)
CALLERS = [("postgres", "admin"), ("sqlite", "admin"), ("postgres", "responder")]


@dataclass
class Api:
    app: object
    headers: dict[str, str]
    factory: object
    credential_id: int | None


def _seed(factory, role: str) -> tuple[str, int | None]:
    """Two households, two alerts, a contact, a rejected message; a user of ``role`` who sees hub 0."""
    with session_scope(factory) as s:
        seen, _ = upsert_household(s, factories.household(SEEN))
        unseen, _ = upsert_household(s, factories.household(UNSEEN))
        apply_signal(s, seen.id, AlertSignal(SEEN, AlertKind.HELP_REQUEST, T0, "Help button pressed.", "k1"))
        apply_signal(s, unseen.id, AlertSignal(UNSEEN, AlertKind.FALL, T0 + timedelta(minutes=1), "Fall.", "k2"))
        add_contact(s, seen, "Sam", "responder", ["json://localhost/"])
        add_contact(s, unseen, "Kim", "family", ["json://localhost/"])
        s.add(RejectedMessage(received_at=T0, topic="telecare/x/y/event", hub="x", reason="unknown_hub",
                              detail="no household", payload_excerpt="{}"))
        s.flush()
        if role == "admin":
            factories.user(s, "other", "responder", households=[seen])  # a user to PATCH
            return OPS_TOKEN, None
        user = factories.user(s, "fuzz", role, households=[seen])
        token = issue_api_token(s, user, "fuzz")
        s.flush()
        credential = s.query(Credential).filter_by(user_id=user.id, kind="api").one()
        return token, credential.id


def _document() -> dict:
    """The OpenAPI document, as ``/openapi.json`` serves it (it does not depend on the database)."""
    app = create_app(_settings(Path(tempfile.gettempdir())), make_session_factory(make_engine("sqlite://")),
                     lambda: {"database": True, "broker": True})
    return app.openapi()


# One schemathesis test per operation; the app it calls comes from the ``api`` fixture (one per caller).
schema = schemathesis.openapi.from_dict(_document())


@pytest.fixture(scope="module", params=CALLERS, ids=["-".join(c) for c in CALLERS])
def api(request, tmp_path_factory):
    store, role = request.param
    tmp_path = tmp_path_factory.mktemp("fuzz")
    pg_schema = None
    if store == "postgres":
        pg_schema = "t_" + uuid.uuid4().hex[:12]
        with make_engine(PG_URL).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{pg_schema}"'))
        engine = make_engine(PG_URL, schema=pg_schema)
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'fuzz.sqlite3'}")
    migrate(engine)
    factory = make_session_factory(engine)
    token, credential_id = _seed(factory, role)
    app = create_app(_settings(tmp_path), factory, lambda: {"database": True, "broker": True})
    # The live queue (server-sent events) would otherwise run for five minutes: one round, then it ends.
    app.state.stream_lifetime_s = 0.01
    yield Api(app, {"Authorization": f"Bearer {token}"}, factory, credential_id)
    engine.dispose()
    if pg_schema:
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{pg_schema}" CASCADE'))
        admin.dispose()


def error_shape(ctx, response, case) -> None:
    """Every 4xx/5xx answer of the API is ``{"error": {"code": str, "message": str}}``."""
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"error {response.status_code} is not JSON: {response.content[:200]!r}") from None
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict) and set(error) == {"code", "message"}, (
        f"error {response.status_code} is not {{'error': {{'code', 'message'}}}}: {body!r}")
    assert isinstance(error["code"], str) and error["code"], body
    assert isinstance(error["message"], str) and error["message"], body
    return None


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection, error_shape]


def _valid_poll(value) -> bool:
    try:
        return not isinstance(value, bool) and 0.2 <= float(value) <= 30
    except (TypeError, ValueError):
        return False


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_bad_input_with_a_documented_error(case, api):
    if api.credential_id is not None:
        # DELETE /api/tokens/{id} may revoke the caller's own token: keep it valid for the next request.
        with session_scope(api.factory) as s:
            s.execute(update(Credential).where(Credential.id == api.credential_id).values(revoked_at=None))
    if case.path == "/api/alerts/stream":
        if _valid_poll(case.query.get("poll_s") if isinstance(case.query, dict) else None):
            # A valid poll_s is slept once in full even after the stream's lifetime is over (web.stream):
            # keep valid ones at the minimum so a generated 30 s does not stall the run. Invalid ones
            # (out of range, not a number) are sent as generated.
            case.query["poll_s"] = 0.2
    case.call_and_validate(headers=api.headers, checks=CHECKS, app=api.app)
