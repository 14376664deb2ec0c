"""Benchmark: end-to-end ingest throughput and help-button latency (not a test; prints figures).

For each backend it starts the real service (``telecare serve``, its own process), floods it with QoS 1
events from a publisher in another process (as fast as the broker takes them), and measures:

* sustained throughput: events published -> committed in the database, per second;
* latency from a help-button publish to the stored alert, while that flood is running.

Backends: ``mosquitto-postgres`` (a real Mosquitto started with the deploy settings, PostgreSQL in a
schema of its own) and ``embedded-sqlite`` (the no-services defaults).

    python benchmarks/ingest_throughput.py [--events 40000] [--homes 200] [--backends both]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as mqtt  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from ingest.broker import free_port  # noqa: E402
from telecare.db import make_engine  # noqa: E402
from telecare.models import Alert, Event, Household  # noqa: E402
from tests.procs import ServiceProcess, import_households, service_env  # noqa: E402
from tests.support import PG_URL, PrivateMosquitto  # noqa: E402

MOTION = ("m-kitchen", "m-hall", "m-living")


def households(n: int) -> list[dict]:
    return [
        {
            "hub": f"bench-{i:04d}",
            "name": f"Bench home {i}",
            "timezone": "UTC",
            "devices": [{"id": d, "type": "motion", "room": "kitchen"} for d in MOTION]
            + [{"id": "btn-help", "type": "button", "room": "bedroom"}],
        }
        for i in range(n)
    ]


def flood(host: str, port: int, protocol: int, prefix: str, homes: int, n: int, out) -> None:
    """Publisher process: n motion events spread over the homes, QoS 1, as fast as acknowledged."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"flood-{uuid.uuid4().hex[:6]}",
                         protocol=protocol)
    client.username_pw_set("bench-flood")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    start_ts = datetime.now(UTC) - timedelta(hours=1)
    infos = []
    t0 = time.perf_counter()
    for i in range(n):
        home = i % homes
        body = json.dumps({"ts": (start_ts + timedelta(milliseconds=i)).isoformat(),
                           "value": i % 2 == 0, "seq": i})
        infos.append(client.publish(f"{prefix}/bench-{home:04d}/{MOTION[i % 3]}/event", body, qos=1))
        if len(infos) >= 5000:
            for info in infos:
                info.wait_for_publish(60)
            infos.clear()
    for info in infos:
        info.wait_for_publish(60)
    out.put((t0, time.perf_counter()))
    client.disconnect()
    client.loop_stop()


def run(backend: str, n_events: int, n_homes: int, presses: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench-{backend}-"))
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    broker = None
    schema = None
    if backend == "mosquitto-postgres":
        broker = PrivateMosquitto(work / "mosquitto")
        broker.start()
        schema = "bench_" + uuid.uuid4().hex[:8]
        admin = make_engine(PG_URL)
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        env = service_env(work / "data", mqtt_url=f"mqtt://127.0.0.1:{broker.port}",
                          pg_schema=schema, prefix=prefix)
        host, port, protocol = "127.0.0.1", broker.port, mqtt.MQTTv5
        db = make_engine(PG_URL, schema=schema)
    else:
        port = free_port()
        env = service_env(work / "data", embedded_port=port, prefix=prefix)
        host, protocol = "127.0.0.1", mqtt.MQTTv311
        db = make_engine(f"sqlite:///{work / 'data' / 'telecare.sqlite3'}")
    homes = households(n_homes)
    import_households(homes, work / "homes", env)
    service = ServiceProcess(env, work / "service.log")
    service.start()
    try:
        return _measure(db, host, port, protocol, prefix, n_homes, n_events, presses)
    finally:
        service.stop()
        db.dispose()
        if broker:
            broker.stop()
        if schema:
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def _count(db, model) -> int:
    with db.connect() as c:
        return c.execute(select(func.count()).select_from(model)).scalar_one()


def _measure(db, host, port, protocol, prefix, n_homes, n_events, presses) -> dict:
    out: mp.Queue = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(
        target=flood, args=(host, port, protocol, prefix, n_homes, n_events, out)
    )
    started = time.perf_counter()
    proc.start()

    # Help presses during the flood, one per home so each raises a new alert.
    press_times: dict[str, float] = {}
    prober = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-probe", protocol=protocol)
    prober.username_pw_set("bench-probe")
    prober.connect(host, port)
    prober.loop_start()
    pause = threading.Event()
    committed = 0
    first_commit_wait = time.perf_counter() + 60
    while _count(db, Event) < n_events // 20 and time.perf_counter() < first_commit_wait:
        pause.wait(0.05)  # let the flood get going before probing
    for i in range(min(presses, n_homes)):
        hub = f"bench-{i:04d}"
        body = json.dumps({"ts": datetime.now(UTC).isoformat(), "value": True, "seq": 1})
        press_times[hub] = time.time()
        prober.publish(f"{prefix}/{hub}/btn-help/event", body, qos=1)
        pause.wait(0.05)
    deadline = time.perf_counter() + 600
    while time.perf_counter() < deadline:
        committed = _count(db, Event)
        if committed >= n_events + len(press_times):
            break
        pause.wait(0.02)
    finished = time.perf_counter()
    proc.join(60)
    pub_t0, pub_t1 = out.get(timeout=10)
    prober.disconnect()
    prober.loop_stop()

    with db.connect() as c:
        rows = c.execute(
            select(Household.hub, Alert.created_at).join(Alert, Alert.household_id == Household.id)
            .where(Alert.kind == "help_request")
        ).all()
    latencies = sorted(
        (created.replace(tzinfo=UTC).timestamp() if created.tzinfo is None else created.timestamp())
        - press_times[hub]
        for hub, created in rows
        if hub in press_times
    )
    elapsed = finished - started
    return {
        "events": n_events,
        "committed": committed - len(press_times),
        "elapsed_s": round(elapsed, 2),
        "throughput_eps": round(n_events / elapsed),
        "publish_rate_eps": round(n_events / (pub_t1 - pub_t0)),
        "alerts": f"{len(latencies)}/{len(press_times)}",
        "alert_latency_median_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "alert_latency_p99_ms": round(_pct(latencies, 0.99) * 1000, 1) if latencies else None,
    }


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=40000)
    parser.add_argument("--homes", type=int, default=200)
    parser.add_argument("--presses", type=int, default=100)
    parser.add_argument("--backends", choices=["both", "mosquitto-postgres", "embedded-sqlite"], default="both")
    args = parser.parse_args()
    backends = ["mosquitto-postgres", "embedded-sqlite"] if args.backends == "both" else [args.backends]
    for backend in backends:
        figures = run(backend, args.events, args.homes, args.presses)
        print(f"{backend}: " + ", ".join(f"{k}={v}" for k, v in figures.items()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
