"""The composition root: wires broker, storage, ingest, detection, scheduler and web into one process.

Only the CLI imports this module (the core packages never do). Later roles
(``serve --role ingest|detect|web``) will start a subset of the same pieces.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import UTC, timedelta

import paho.mqtt.client as mqtt
import uvicorn
from apscheduler.schedulers.background import BackgroundScheduler

from alerts import escalation, summaries
from alerts.delivery import DeliveryWorker
from alerts.service import AlertChange
from detection.cold_home import ColdLimits
from detection.safety import SafetyConfig
from detection.service import ChangeListener, DetectionService
from ingest.broker import EmbeddedBroker
from ingest.mqtt_client import PROTOCOLS
from ingest.service import Ingester
from ingest.writer import BatchResult
from telecare.clock import Clock, WallClock
from telecare.broker_address import BrokerAddress
from telecare.config import Settings
from telecare.db import make_engine, make_session_factory, migrate, ping
from telecare.logs import fields
from web.app import create_app

log = logging.getLogger(__name__)


class TelecareService:
    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        listeners: Iterable[ChangeListener] = (),
        *,
        serve_http: bool = True,
        db_schema: str | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or WallClock()
        self.listeners = list(listeners)
        self.serve_http = serve_http
        self.db_schema = db_schema
        self.embedded: EmbeddedBroker | None = None
        self.http: uvicorn.Server | None = None
        self._http_thread: threading.Thread | None = None
        self.scheduler: BackgroundScheduler | None = None
        self._stopped = False

    # ------------------------------------------------------------------ start
    def start(self) -> None:
        s = self.settings
        s.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(s.sqlalchemy_url, schema=self.db_schema)
        migrate(self.engine)
        self.factory = make_session_factory(self.engine)

        if s.uses_embedded_broker:
            self.embedded = EmbeddedBroker(s.embedded_mqtt_host, s.embedded_mqtt_port, s.mqtt_topic_prefix)
            self.embedded.start()
            broker = BrokerAddress(self.embedded.host, self.embedded.port, "telecare-service", None, False)
        else:
            broker = s.broker
        self.broker = broker
        self.protocol = mqtt.MQTTv311 if s.uses_embedded_broker else PROTOCOLS["5"]

        # The outbox is read after every commit that may have added to it, and polled besides.
        self.delivery = DeliveryWorker(self.factory, s, self.clock)
        self.detection = DetectionService(
            self.factory,
            self.clock,
            SafetyConfig(
                inactivity_limit=timedelta(minutes=s.inactivity_limit_min),
                cold=ColdLimits(s.cold_home_c, s.cold_home_clear_c, timedelta(minutes=s.cold_home_min)),
                out_limit=timedelta(minutes=s.out_limit_min),
                up_by=s.up_by,
            ),
            listeners=[*self.listeners, self.delivery.wake],
        )
        self.detection.recover()
        self.ingester = Ingester(
            s, self.factory, self.clock, broker, self.protocol, on_committed=self._on_committed
        )
        self.ingester.start()

        self.scheduler = BackgroundScheduler(timezone=UTC)
        # Ticks and snapshots are periodic housekeeping: a missed one is simply done at the next.
        common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        self.scheduler.add_job(self.detection.tick, "interval", seconds=s.tick_s, id="tick", **common)
        self.scheduler.add_job(
            self.detection.snapshot, "interval", seconds=s.snapshot_s, id="snapshot", **common
        )
        # Homes whose saved model an upgrade cannot read are relearned from their stored events in
        # the background, once, while ingest and the safety rules run.
        self.scheduler.add_job(self.detection.relearn_pending, id="relearn", **common)
        # Escalation steps and reminders are due by timestamps stored on the alerts, so a run that
        # was missed while the process was down simply finds them due at the next one.
        self.scheduler.add_job(
            self.escalation_tick, "interval", seconds=s.escalation_poll_s, id="escalation", **common
        )
        self.scheduler.add_job(
            self.summary_tick, "interval", seconds=60, id="daily_summary", **common
        )
        self.scheduler.add_job(
            self.bridge_tick, "interval", seconds=s.bridge_poll_s, id="bridges", **common
        )
        self.scheduler.start()
        self.delivery.start()

        if self.serve_http:
            app = create_app(s, self.factory, self.health)
            app.state.clock = self.clock
            app.state.wake_delivery = self.delivery.wake
            config = uvicorn.Config(
                app, host=s.http_host, port=s.http_port, log_level="warning", access_log=False
            )
            self.http = uvicorn.Server(config)
            self._http_thread = threading.Thread(target=self.http.run, name="http", daemon=True)
            self._http_thread.start()
        log.info(
            "service started",
            extra=fields(embedded_broker=s.uses_embedded_broker, database=self.engine.dialect.name),
        )

    def escalation_tick(self) -> int:
        """Fire the escalation steps and reminders due now (by ``self.clock``)."""
        fired = escalation.run_due(self.factory, self.clock.now())
        if fired:
            self.delivery.wake()
        return fired

    def bridge_tick(self) -> None:
        """Pairing mode set by an installer reaches the home's Zigbee2MQTT bridge."""
        self.ingester.bridges.poll(self.clock.now())

    def summary_tick(self) -> int:
        queued = summaries.enqueue_due(self.factory, self.clock.now(), self.settings.daily_summary_at)
        if queued:
            self.delivery.wake()
        return queued

    def _on_committed(self, result: BatchResult) -> None:
        self.detection.on_events(result.stored, result.hub_status)

    # ------------------------------------------------------------------ running
    def health(self) -> dict[str, bool]:
        return {"database": ping(self.engine), "broker": self.ingester.connected.is_set()}

    def wait_ready(self, timeout: float = 15.0) -> bool:
        if not self.ingester.wait_connected(timeout):
            return False
        if self.http is None:
            return True
        done = threading.Event()
        for _ in range(int(timeout * 20)):
            if self.http.started:
                return True
            done.wait(0.05)
        return False

    # ------------------------------------------------------------------ stop
    def stop(self) -> None:
        """Commit and acknowledge what was received, save detector state, release everything."""
        if self._stopped:
            return
        self._stopped = True
        self.detection.close()  # a detector waiting on an unreachable database gives up now
        if self.scheduler:
            self.scheduler.shutdown(wait=True)
        self.ingester.stop()
        self.delivery.stop()
        try:
            self.detection.snapshot(everything=True)
        except Exception:  # noqa: BLE001 - the next start replays from the last saved watermark
            log.exception("could not save detector state at shutdown")
        if self.http:
            self.http.should_exit = True
            if self._http_thread:
                self._http_thread.join(10)
        if self.embedded:
            self.embedded.stop()
        self.engine.dispose()
        log.info("service stopped")


def print_alert_changes(changes: list[AlertChange]) -> None:
    """A listener that prints each new or cleared alert on standard output (demo, serve)."""
    for c in changes:
        if c.created:
            print(f"ALERT {c.kind} [{c.severity}] {c.hub}: {c.summary}", flush=True)
        elif c.status == "cleared":
            print(f"CLEARED {c.kind} {c.hub}: {c.summary}", flush=True)
