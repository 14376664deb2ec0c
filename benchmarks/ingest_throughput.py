"""Benchmark: end-to-end ingest throughput and help-button latency (not a test; prints figures).

For each backend it starts the real service (``telecare serve``, its own process), floods it with QoS 1
events from a publisher in another process (as fast as the broker takes them), and measures:

* sustained throughput: a flood published as fast as the broker acknowledges it, first publish ->
  last event committed in the database, per second;
* latency from a help-button publish to the stored alert, with a steady background load of
  ``--rate`` events/s running (the alert's commit time minus the publish time, same machine clock).

Backends: ``mosquitto-postgres`` (a real Mosquitto started with the deploy settings, PostgreSQL in a
schema of its own) and ``embedded-sqlite`` (the no-services defaults).

    python benchmarks/ingest_throughput.py [--events 40000] [--homes 200] [--rate 5000] [--backends both]
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
from sqlalchemy import func, select  # noqa: E402

from telecare.models import Alert, Event, Household  # noqa: E402
from benchmarks.backends import probe_client, start_background_load, start_backend  # noqa: E402
from tests.procs import ServiceProcess, import_households  # noqa: E402

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


def flood(host: str, port: int, protocol: int, prefix: str, homes: int, n: int, rate: float, first: int,
          out) -> None:
    """Publisher process: n motion events over the homes, QoS 1; ``rate`` per second, 0 = flat out."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"flood-{uuid.uuid4().hex[:6]}",
                         protocol=protocol)
    client.username_pw_set("telecare-simulator")  # plays every hub: the simulator's user
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    start_ts = datetime.now(UTC) - timedelta(hours=1)
    infos = []
    t0 = time.perf_counter()
    pause = threading.Event()
    for i in range(first, first + n):
        if rate and i % 100 == 0:  # pace in steps of 100 messages
            ahead = (i - first) / rate - (time.perf_counter() - t0)
            if ahead > 0:
                pause.wait(ahead)
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


def run(backend: str, n_events: int, n_homes: int, presses: int, rate: float) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench-{backend}-"))
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    b = start_backend(backend, work, prefix)
    db = b.engine()
    import_households(households(n_homes), work / "homes", b.env)
    service = ServiceProcess(b.env, work / "service.log")
    service.start()
    try:
        return _measure(db, b.host, b.port, b.protocol, prefix, n_homes, n_events, presses, rate)
    finally:
        service.stop()
        db.dispose()
        b.close()


def _count(db, model) -> int:
    with db.connect() as c:
        return c.execute(select(func.count()).select_from(model)).scalar_one()


def _measure(db, host, port, protocol, prefix, n_homes, n_events, presses, rate) -> dict:
    # Phase 1: throughput. The publisher floods as fast as the broker acknowledges.
    started = time.perf_counter()
    pub_t0, pub_t1 = _publisher(host, port, protocol, prefix, n_homes, n_events, 0, 0, wait=False)
    _wait_count(db, Event, n_events)
    elapsed = time.perf_counter() - started
    figures = {
        "flood_events": n_events,
        "throughput_eps": round(n_events / elapsed),
        "publish_rate_eps": round(n_events / (pub_t1 - pub_t0)),
    }
    # Phase 2: latency. A steady background load at `rate` events/s; help presses during it.
    background = int(rate * max(10.0, presses * 0.1 + 4))
    proc, out = start_background_load(host, port, protocol, prefix, n_homes, background, rate,
                                      n_events)
    prober = probe_client(host, port, protocol)
    pause = threading.Event()
    press_times: dict[str, float] = {}
    for i in range(min(presses, n_homes)):
        hub = f"bench-{i:04d}"
        body = json.dumps({"ts": datetime.now(UTC).isoformat(), "value": True, "seq": 1})
        press_times[hub] = time.time()
        prober.publish(f"{prefix}/{hub}/btn-help/event", body, qos=1)
        pause.wait(0.1)
    proc.join(600)
    bg_t0, bg_t1 = out.get(timeout=10)
    _wait_count(db, Event, n_events + background + len(press_times))
    _wait_count(db, Alert, len(press_times))
    prober.disconnect()
    prober.loop_stop()
    with db.connect() as c:
        rows = c.execute(
            select(Household.hub, Alert.created_at).join(Alert, Alert.household_id == Household.id)
            .where(Alert.kind == "help_request")
        ).all()
    latencies = sorted(
        created.replace(tzinfo=UTC).timestamp() - press_times[hub]
        if created.tzinfo is None else created.timestamp() - press_times[hub]
        for hub, created in rows
        if hub in press_times
    )
    figures.update(
        background_rate_eps=round(background / (bg_t1 - bg_t0)),
        alerts=f"{len(latencies)}/{len(press_times)}",
        alert_latency_median_ms=round(statistics.median(latencies) * 1000, 1),
        alert_latency_p99_ms=round(_pct(latencies, 0.99) * 1000, 1),
    )
    return figures


def _publisher(host, port, protocol, prefix, homes, n, rate, first, wait=True) -> tuple[float, float]:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=flood, args=(host, port, protocol, prefix, homes, n, rate, first, out))
    proc.start()
    result = out.get(timeout=600)
    proc.join(60)
    return result


def _wait_count(db, model, target: int, timeout: float = 600) -> None:
    pause = threading.Event()
    deadline = time.perf_counter() + timeout
    while _count(db, model) < target:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{model.__tablename__}: {_count(db, model)} of {target} after {timeout} s")
        pause.wait(0.02)


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=40000)
    parser.add_argument("--homes", type=int, default=200)
    parser.add_argument("--presses", type=int, default=100, help="help presses timed under load")
    parser.add_argument("--rate", type=float, default=5000, help="background events/s while timing presses")
    parser.add_argument("--backends", choices=["both", "mosquitto-postgres", "embedded-sqlite"], default="both")
    args = parser.parse_args()
    backends = ["mosquitto-postgres", "embedded-sqlite"] if args.backends == "both" else [args.backends]
    for backend in backends:
        figures = run(backend, args.events, args.homes, args.presses, args.rate)
        print(f"{backend}: " + ", ".join(f"{k}={v}" for k, v in figures.items()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
