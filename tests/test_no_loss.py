"""Nothing a hub published is lost or stored twice: floods, repeats, and a service killed mid-flood.

These use a real Mosquitto started with the deploy settings (persistence on, the per-client queue cap
raised): the machine's stock config drops messages past 1000 queued for a subscriber, silently.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import paho.mqtt.client as mqtt
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select, text

from telecare.db import make_engine
from telecare.models import Event
from tests import factories
from tests.procs import ServiceProcess, import_households, service_env
from tests.support import PG_URL, Publisher, wait_for


def stored_events(engine) -> int:
    with engine.connect() as c:
        return c.execute(select(func.count()).select_from(Event)).scalar_one()


def flood_payloads(hubs: list[str], n: int) -> list[tuple[str, bytes]]:
    start = factories.recent(600)
    devices = ("m-kitchen", "m-bedroom", "door-front")
    return [
        (f"{hubs[i % len(hubs)]}/{devices[i % 3]}",
         factories.payload(start + timedelta(milliseconds=137 * i), i % 2 == 0, seq=i))
        for i in range(n)
    ]


@pytest.fixture
def pg_engine(pg_schema):
    engine = make_engine(PG_URL, schema=pg_schema)
    yield engine
    engine.dispose()


def test_twenty_thousand_simulated_events_with_five_percent_repeats_arrive_exactly_once(
    private_mosquitto, pg_schema, pg_engine, tmp_path, start_service
):
    from simulator.fleet import publish_homes
    from telecare.broker_address import BrokerAddress
    from simulator.simulation import build_homes
    from telecare.households import parse_household
    from tests.conftest import Stack, _settings

    settings = _settings(tmp_path, mqtt_url=f"mqtt://127.0.0.1:{private_mosquitto.port}",
                         database_url=PG_URL, ingest_flush_ms=50)
    stack = Stack("private-mosquitto+postgres", settings, "127.0.0.1", private_mosquitto.port,
                  mqtt.MQTTv5, pg_schema)
    homes = build_homes(8, seed="exactly-once", days=6, hub_prefix=f"x{uuid.uuid4().hex[:4]}-")
    total = sum(1 for h in homes for _ in h.events())
    assert total >= 20_000
    service = start_service(stack, [parse_household(h.household) for h in homes])
    handled_before = service.ingester.messages_handled
    counts = publish_homes(homes, BrokerAddress("127.0.0.1", private_mosquitto.port),
                           topic_prefix=stack.prefix, duplicates=0.05, seed=1)
    repeats = sum(c.duplicates for c in counts.values())
    assert sum(c.published for c in counts.values()) == total
    assert 0.04 * total < repeats < 0.06 * total
    # Every copy has gone through the ingester (stored or dropped), not merely been published;
    # each hub also sent its own status and its devices' statuses when it connected.
    statuses = sum(1 + len(h.device_statuses()) for h in homes)
    expected = total + repeats + statuses
    wait_for(lambda: service.ingester.messages_handled - handled_before >= expected, timeout=120)
    with pg_engine.connect() as c:
        distinct = c.execute(text("SELECT count(DISTINCT (device_id, seq)) FROM events")).scalar_one()
        rejected = c.execute(text("SELECT count(*) FROM rejected_messages")).scalar_one()
    assert service.ingester.messages_handled - handled_before == expected
    assert stored_events(pg_engine) == total == distinct
    assert rejected == 0


def test_killing_the_service_mid_flood_loses_no_event(private_mosquitto, pg_schema, pg_engine, tmp_path):
    prefix = f"kill-{uuid.uuid4().hex[:6]}"
    env = service_env(tmp_path / "data", mqtt_url=f"mqtt://127.0.0.1:{private_mosquitto.port}",
                      pg_schema=pg_schema, prefix=prefix)
    homes = [factories.household() for _ in range(10)]
    from telecare.households import household_to_dict

    import_households([household_to_dict(h) for h in homes], tmp_path / "homes", env)
    service = ServiceProcess(env, tmp_path / "service.log")
    service.start()
    messages = flood_payloads([h.hub for h in homes], 15_000)
    published = threading.Event()

    def publish_all() -> None:
        pub = Publisher("127.0.0.1", private_mosquitto.port, mqtt.MQTTv5, client_id="kill-hub")
        for path, body in messages:
            pub.publish(f"{prefix}/{path}/event", body)
        pub.close()  # returns once every PUBACK is in: the broker has taken responsibility
        published.set()

    thread = threading.Thread(target=publish_all)
    thread.start()
    wait_for(lambda: stored_events(pg_engine) >= 2_000, timeout=60, every=0.01)
    service.kill()
    at_kill = stored_events(pg_engine)
    assert at_kill < len(messages), "the kill must land mid-flood"
    thread.join(120)
    assert published.is_set()
    service.start()  # same client id: the broker's session hands over what was not acknowledged
    wait_for(lambda: stored_events(pg_engine) >= len(messages), timeout=120)
    service.stop()
    assert stored_events(pg_engine) == len(messages)


def test_database_connections_dropped_mid_flood_lose_no_event_and_no_alert(
    private_mosquitto, pg_schema, pg_engine, tmp_path, start_service
):
    from tests.conftest import Stack, _settings

    settings = _settings(tmp_path, mqtt_url=f"mqtt://127.0.0.1:{private_mosquitto.port}",
                         database_url=PG_URL)
    stack = Stack("private-mosquitto+postgres", settings, "127.0.0.1", private_mosquitto.port,
                  mqtt.MQTTv5, pg_schema)
    homes = [factories.household() for _ in range(5)]
    service = start_service(stack, homes)
    messages = flood_payloads([h.hub for h in homes], 8_000)
    press = factories.payload(factories.recent(1), True, seq=1)

    def publish_all() -> None:
        pub = Publisher("127.0.0.1", private_mosquitto.port, mqtt.MQTTv5)
        for i, (path, body) in enumerate(messages):
            pub.publish(f"{stack.prefix}/{path}/event", body)
            if i == 4_000:
                pub.publish(f"{stack.prefix}/{homes[0].hub}/btn-help/event", press)
        pub.close()

    thread = threading.Thread(target=publish_all)
    thread.start()
    retries_before = REGISTRY.get_sample_value("telecare_ingest_storage_retries_total") or 0
    admin = make_engine(PG_URL)
    wait_for(lambda: stored_events(pg_engine) >= 1_000, timeout=60, every=0.01)
    # What a database restart or a network cut does to our sessions, again and again for two
    # seconds, so that some kills land in the middle of a batch's transaction.
    pause, until, killed = threading.Event(), time.monotonic() + 2.0, 0
    while time.monotonic() < until:
        with admin.begin() as c:
            killed += c.execute(
                text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                     "WHERE application_name = :app"), {"app": f"telecare:{pg_schema}"}
            ).scalar_one()
        pause.wait(0.02)
    admin.dispose()
    assert killed >= 5
    thread.join(120)
    wait_for(lambda: stored_events(pg_engine) >= len(messages) + 1, timeout=120)
    with pg_engine.connect() as c:
        alerts = c.execute(text("SELECT kind FROM alerts")).scalars().all()
    assert stored_events(pg_engine) == len(messages) + 1
    assert alerts == ["help_request"]
    assert service.ingester._writer.is_alive()
    retries = (REGISTRY.get_sample_value("telecare_ingest_storage_retries_total") or 0) - retries_before
    assert retries > 0, "no batch was caught mid-transaction: the retry path was not exercised"
