"""A service killed (SIGKILL) after an alert was raised but before it was delivered loses nothing.

Runs the real ``telecare serve`` process on Mosquitto and PostgreSQL, with the care circle set up
through the ``telecare contact`` command. The receiver is down when the alert is raised, so the
notification is still in the outbox at the kill; the next escalation step falls due while the
service is dead. After the restart both arrive, each once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import select

from telecare.db import make_engine
from telecare.households import household_to_dict
from telecare.models import Alert, DeliveryAttempt, Notification
from tests import factories
from tests.procs import ServiceProcess, import_households, service_env, telecare
from tests.support import MOSQUITTO, PG_URL, Publisher, wait_for
from tests.test_delivery_receivers import Webhook

POLICY = {"steps": [{"roles": ["responder"], "wait_min": 0.05}, {"roles": ["family"], "wait_min": 0}],
          "repeat": 0}


@pytest.fixture
def pg_engine(pg_schema):
    engine = make_engine(PG_URL, schema=pg_schema)
    yield engine
    engine.dispose()


def rows(engine, model):
    with engine.connect() as c:
        return c.execute(select(model)).all()


def test_notifications_and_escalation_steps_survive_a_kill_between_trigger_and_delivery(
    pg_schema, pg_engine, tmp_path
):
    prefix = f"crash-{uuid.uuid4().hex[:6]}"
    env = service_env(tmp_path / "data", mqtt_url=f"mqtt://{MOSQUITTO[0]}:{MOSQUITTO[1]}",
                      pg_schema=pg_schema, prefix=prefix,
                      TELECARE_DELIVERY_RETRY_BASE_S="0.5", TELECARE_DELIVERY_RETRY_MAX_S="0.5",
                      TELECARE_DELIVERY_ATTEMPTS_PER_CHANNEL="20")
    home = factories.household()
    import_households([household_to_dict(home)], tmp_path / "homes", env)
    hook = Webhook()  # not started: the receiver is down
    for name, role in (("Responder team", "responder"), ("Daughter", "family")):
        done = telecare("contact", "add", "--hub", home.hub, "--name", name, "--role", role,
                        "--channel", hook.url(role), env=env)
        assert done.returncode == 0, done.stderr
        assert f"to {home.hub}, 1 channel(s)" in done.stdout
    listed = telecare("contact", "list", "--hub", home.hub, env=env)
    assert "Responder team" in listed.stdout and "Daughter" in listed.stdout

    service = ServiceProcess(env, tmp_path / "service.log")
    service.start()
    try:
        token = env["TELECARE_API_TOKEN"]
        put = httpx.put(f"{service.base_url}/api/households/{home.hub}/escalation-policy",
                        json=POLICY, headers={"Authorization": f"Bearer {token}"})
        assert put.status_code == 200, put.text
        pub = Publisher(*MOSQUITTO, mqtt.MQTTv5, client_id=f"hub-{uuid.uuid4().hex[:6]}")
        pub.publish(f"{prefix}/{home.hub}/btn-help/event",
                    factories.payload(datetime.now(UTC), True, seq=1))
        pub.close()
        wait_for(lambda: rows(pg_engine, DeliveryAttempt), timeout=30)  # tried once, failed
        service.kill()

        [alert] = rows(pg_engine, Alert)
        assert alert.next_step_at is not None and alert.escalation_step == 1
        pending = rows(pg_engine, Notification)
        assert [(n.purpose, n.status) for n in pending] == [("alert", "pending")]
        # The family's step falls due while nothing is running.
        wait_for(lambda: datetime.now(UTC) > alert.next_step_at, timeout=10)
        hook.start()
        service.start()

        wait_for(lambda: hook.at("responder") and hook.at("family"), timeout=30)
        wait_for(lambda: all(n.status == "sent" for n in rows(pg_engine, Notification)), timeout=30)
        sent = rows(pg_engine, Notification)
        assert sorted(n.purpose for n in sent) == ["alert", "escalation"]
        assert {r["key"] for r in hook.received} == {n.key for n in sent}
        assert len(hook.at("family")) == 1
    finally:
        service.stop()
        hook.stop()
