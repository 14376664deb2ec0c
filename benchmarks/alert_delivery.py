"""Benchmark: help-button publish -> notification received at a webhook, under background load.

Not a test; prints figures. For each backend it starts the real service (``telecare serve``, its own
process) with a care circle per home (a responder and a family contact, both webhooks on a local
HTTP receiver) and an escalation policy "responders now, family after ``--wait-s`` seconds". With a
steady background load of ``--rate`` motion events/s from another process, it presses the help
button in ``--presses`` homes and measures:

* delivery latency: publish of the press -> the responder's webhook request arrives (same clock);
* escalation lateness: the family's webhook request arrives - the step's due time (press + wait).

    python benchmarks/alert_delivery.py [--presses 100] [--rate 1000] [--wait-s 3] [--backends both]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from alerts.care_circle import add_contact, household_by_hub  # noqa: E402
from alerts.escalation import set_policy  # noqa: E402
from benchmarks.backends import probe_client, start_background_load, start_backend  # noqa: E402
from benchmarks.ingest_throughput import households  # noqa: E402
from ingest.broker import free_port  # noqa: E402
from telecare.db import make_engine, make_session_factory, migrate, session_scope  # noqa: E402
from tests.procs import ServiceProcess, import_households  # noqa: E402


class Receiver:
    """Loopback webhook receiver noting when each request arrived, by path."""

    def __init__(self) -> None:
        self.port = free_port()
        self.arrivals: dict[str, float] = {}
        lock = threading.Lock()
        arrivals = self.arrivals

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    arrivals.setdefault(self.path, time.time())
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_a) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def setup_care_circles(url: str, schema: str | None, hubs: list[str], rx: Receiver, wait_s: float):
    engine = make_engine(url, schema=schema)
    migrate(engine)
    with session_scope(make_session_factory(engine)) as s:
        for hub in hubs:
            h = household_by_hub(s, hub)
            for role in ("responder", "family"):
                add_contact(s, h, f"{role} of {hub}", role,
                            [f"json://127.0.0.1:{rx.port}/{hub}/{role}"])
        set_policy(s, None, {"steps": [{"roles": ["responder"], "wait_min": wait_s / 60},
                                       {"roles": ["family"], "wait_min": 0}], "repeat": 0})
    engine.dispose()


def run(backend: str, presses: int, rate: float, wait_s: float) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"bench-alerts-{backend}-"))
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    b = start_backend(backend, work, prefix)
    homes = households(max(presses, 50))
    import_households(homes, work / "homes", b.env)
    rx = Receiver()
    setup_care_circles(b.db_url, b.schema, [h["hub"] for h in homes[:presses]], rx, wait_s)
    service = ServiceProcess(b.env, work / "service.log")
    service.start()
    try:
        return _measure(rx, b.host, b.port, b.protocol, prefix, len(homes), presses, rate, wait_s)
    finally:
        service.stop()
        rx.server.shutdown()
        b.close()


def _measure(rx, host, port, protocol, prefix, n_homes, presses, rate, wait_s) -> dict:
    duration = presses * 0.1 + wait_s + 8
    proc, out = start_background_load(host, port, protocol, prefix, n_homes, int(rate * duration),
                                      rate, 0)
    prober = probe_client(host, port, protocol)
    pause = threading.Event()
    pressed: dict[str, float] = {}
    for i in range(presses):
        hub = f"bench-{i:04d}"
        now = datetime.now(UTC)
        pressed[hub] = now.timestamp()
        body = json.dumps({"ts": now.isoformat(), "value": True, "seq": 1})
        prober.publish(f"{prefix}/{hub}/btn-help/event", body, qos=1)
        pause.wait(0.1)
    deadline = time.time() + wait_s + 60
    while len(rx.arrivals) < 2 * presses and time.time() < deadline:
        pause.wait(0.05)
    proc.join(600)
    bg_t0, bg_t1 = out.get(timeout=10)
    prober.disconnect()
    prober.loop_stop()
    first = sorted(rx.arrivals[f"/{h}/responder"] - t for h, t in pressed.items()
                   if f"/{h}/responder" in rx.arrivals)
    late = sorted(rx.arrivals[f"/{h}/family"] - (t + wait_s) for h, t in pressed.items()
                  if f"/{h}/family" in rx.arrivals)
    return {
        "background_rate_eps": round(int(rate * duration) / (bg_t1 - bg_t0)),
        "delivered": f"{len(first)}/{presses}",
        "delivery_median_ms": round(statistics.median(first) * 1000, 1),
        "delivery_p99_ms": round(_pct(first, 0.99) * 1000, 1),
        "escalated": f"{len(late)}/{presses}",
        "escalation_late_median_ms": round(statistics.median(late) * 1000, 1),
        "escalation_late_max_ms": round(max(late) * 1000, 1),
    }


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presses", type=int, default=100, help="help presses timed under load")
    parser.add_argument("--rate", type=float, default=1000, help="background events/s")
    parser.add_argument("--wait-s", type=float, default=3.0, help="escalation step wait")
    parser.add_argument("--backends", choices=["both", "mosquitto-postgres", "embedded-sqlite"],
                        default="both")
    args = parser.parse_args()
    backends = ["mosquitto-postgres", "embedded-sqlite"] if args.backends == "both" else [args.backends]
    for backend in backends:
        figures = run(backend, args.presses, args.rate, args.wait_s)
        print(f"{backend}: " + ", ".join(f"{k}={v}" for k, v in figures.items()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
