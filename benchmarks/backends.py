"""The two deployments the benchmarks measure, started and torn down the same way for each.

``mosquitto-postgres``: a real Mosquitto with the deploy settings (persistence, no 1000-message
queue cap) and PostgreSQL in a schema of its own. ``embedded-sqlite``: the no-services defaults.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from sqlalchemy import Engine, text

from ingest.broker import free_port
from telecare.db import make_engine
from tests.procs import service_env
from tests.support import PG_URL, PrivateMosquitto

NAMES = ("mosquitto-postgres", "embedded-sqlite")


@dataclass
class Backend:
    name: str
    env: dict[str, str]  # the service process's TELECARE_ settings
    host: str
    port: int
    protocol: int
    db_url: str
    schema: str | None = None
    broker: PrivateMosquitto | None = None

    def engine(self) -> Engine:
        return make_engine(self.db_url, schema=self.schema)

    def close(self) -> None:
        if self.broker:
            self.broker.stop()
        if self.schema:
            admin = make_engine(PG_URL)
            with admin.begin() as c:
                c.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))
            admin.dispose()


def start_backend(name: str, work: Path, prefix: str) -> Backend:
    if name == "mosquitto-postgres":
        broker = PrivateMosquitto(work / "mosquitto")
        broker.start()
        schema = "bench_" + uuid.uuid4().hex[:8]
        admin = make_engine(PG_URL)
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        env = service_env(work / "data", mqtt_url=f"mqtt://127.0.0.1:{broker.port}",
                          pg_schema=schema, prefix=prefix)
        return Backend(name, env, "127.0.0.1", broker.port, mqtt.MQTTv5, PG_URL, schema, broker)
    port = free_port()
    env = service_env(work / "data", embedded_port=port, prefix=prefix)
    return Backend(name, env, "127.0.0.1", port, mqtt.MQTTv311,
                   f"sqlite:///{work / 'data' / 'telecare.sqlite3'}")


def start_background_load(host: str, port: int, protocol: int, prefix: str, homes: int, count: int,
                          rate: float, first_seq: int):  # noqa: ANN201 - (process, result queue)
    """``count`` motion events at ``rate``/s from another process (see ``flood``); started."""
    from benchmarks.ingest_throughput import flood

    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=flood, args=(host, port, protocol, prefix, homes, count, rate,
                                           first_seq, out))
    proc.start()
    return proc, out


def probe_client(host: str, port: int, protocol: int) -> mqtt.Client:
    """The connection help presses are published on, once the background load is running."""
    prober = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-probe", protocol=protocol)
    prober.username_pw_set("telecare-simulator")  # plays every hub: the simulator's user
    prober.connect(host, port)
    prober.loop_start()
    threading.Event().wait(2.0)  # let the background load reach its rate
    return prober
