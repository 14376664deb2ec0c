"""The ingester: MQTT in, validated events committed, then acknowledged, then handed to detection.

paho's network thread only puts messages on a queue; one writer thread takes them in batches (up to
``ingest_batch_size`` or ``ingest_flush_ms``), validates, writes and commits the batch, and only then
acknowledges every message in it (QoS 1 manual ack). A process killed before the commit leaves the
messages unacknowledged in the broker's persistent session, which delivers them again on reconnect;
de-duplication makes that harmless.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import paho.mqtt.client as mqtt
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from ingest.bridges import BridgeCoordinator
from ingest.decode import Decoded, MessageDecoder, ReceivedMessage, Rejection
from ingest.mqtt_client import build_client, connect_persistent
from ingest.registry import DeviceRegistry, KnownHub
from ingest.topics import parse_topic, subscription
from ingest.writer import BatchResult, write_batch
from ingest.zigbee2mqtt import StateMapping
from telecare import metrics
from telecare.broker_address import BrokerAddress
from telecare.clock import Clock
from telecare.config import Settings
from telecare.db import is_transient, session_scope
from telecare.domain import DeviceType
from telecare.logs import fields

log = logging.getLogger(__name__)

OnCommitted = Callable[[BatchResult], None]
# Devices whose messages are committed (and reach detection) without waiting for a batch to fill.
NEW_DEVICE_RETRY_S = 0.5
URGENT_TYPES = frozenset({DeviceType.BUTTON, DeviceType.FALL, DeviceType.SMOKE, DeviceType.WATER_LEAK})
_SENTINEL = object()


class Ingester:
    def __init__(
        self,
        settings: Settings,
        session_factory: sessionmaker[Session],
        clock: Clock,
        broker: BrokerAddress,
        protocol: int,
        on_committed: OnCommitted | None = None,
        registry: DeviceRegistry | None = None,
    ) -> None:
        self.settings = settings
        self.factory = session_factory
        self.clock = clock
        self.broker = broker
        self.protocol = protocol
        self.on_committed = on_committed
        self.registry = registry or DeviceRegistry()
        self.decoder = MessageDecoder(
            settings.mqtt_topic_prefix,
            self._lookup_hub,
            settings.max_payload_bytes,
            timedelta(seconds=settings.max_future_skew_s),
            bridge_of=self.registry.bridge_of,
            max_inventory_bytes=settings.zigbee2mqtt_max_inventory_bytes,
            refresh_hub=self._refresh_hub,
        )
        self.mapping = StateMapping(
            frozenset(settings.zigbee2mqtt_help_actions), settings.zigbee2mqtt_power_on_w
        )
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self.connected = threading.Event()
        self.messages_handled = 0  # committed (stored, dropped as duplicate, or rejected) and acked
        self._writer: threading.Thread | None = None
        self.client: mqtt.Client | None = None
        self.bridges = BridgeCoordinator(session_factory, self.registry, lambda: self.client)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        with self.factory() as session:
            self.registry.load_all(session)
        self._writer = threading.Thread(target=self._write_loop, name="ingest-writer", daemon=True)
        self._writer.start()
        self.client = build_client(
            self.settings.mqtt_client_id, self.broker, self.protocol, manual_ack=True
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        connect_persistent(
            self.client, self.broker, self.protocol, self.settings.mqtt_session_expiry_s
        )
        self.client.loop_start()

    def stop(self, timeout: float = 10.0) -> None:
        """Commit and acknowledge what was received, then disconnect."""
        self._stop.set()
        self._queue.put(_SENTINEL)
        if self._writer:
            self._writer.join(timeout)
        if self.client:
            self.client.disconnect()
            self.client.loop_stop()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        return self.connected.wait(timeout)

    # ------------------------------------------------------------------ paho callbacks
    def _on_connect(self, client, _userdata, flags, reason_code, _props) -> None:
        if reason_code.is_failure:
            log.error("MQTT connect refused", extra=fields(reason=str(reason_code)))
            return
        client.subscribe(subscription(self.settings.mqtt_topic_prefix), qos=1)
        for base in self.registry.bridge_topics():
            client.subscribe(f"{base}/#", qos=1)
        self.connected.set()
        log.info(
            "MQTT connected",
            extra=fields(session_present=getattr(flags, "session_present", None)),
        )

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _props) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("MQTT disconnected, reconnecting", extra=fields(reason=str(reason_code)))

    def _on_message(self, _client, _userdata, msg: mqtt.MQTTMessage) -> None:
        metrics.MESSAGES_RECEIVED.inc()
        self._queue.put(
            (
                ReceivedMessage(
                    msg.topic, msg.payload, self.clock.now(), msg.mid, msg.qos, msg.retain
                ),
                time.monotonic(),
            )
        )

    # ------------------------------------------------------------------ writer thread
    def _refresh_hub(self, hub: str) -> KnownHub | None:
        if not self.registry.should_look_up(hub):
            return self.registry.get(hub)
        with self.factory() as session:
            return self.registry.refresh_hub(session, hub)

    def _lookup_hub(self, hub: str, device: str | None) -> KnownHub | None:
        known = self.registry.get(hub)
        listed = known.devices.get(device) if known is not None and device is not None else None
        if listed is not None and not listed.paired and self.registry.should_look_up(
            f"{hub}/{device}", NEW_DEVICE_RETRY_S
        ):
            # Named by the installer in another worker a moment ago? Its live test must not wait.
            with self.factory() as session:
                return self.registry.refresh_hub(session, hub)
        if (known is None or (device is not None and device not in known.devices)) and (
            self.registry.should_look_up(hub)
        ):
            with self.factory() as session:
                known = self.registry.refresh_hub(session, hub)
        return known

    def _collect(self) -> list[tuple[ReceivedMessage, float]]:
        try:
            first = self._queue.get(timeout=0.5)
        except queue.Empty:
            return []
        if first is _SENTINEL:
            return []
        batch = [first]
        if self._is_urgent(first[0]):
            return batch
        deadline = time.monotonic() + self.settings.ingest_flush_ms / 1000
        while len(batch) < self.settings.ingest_batch_size:
            remaining = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=max(remaining, 0)) if remaining > 0 else (
                    self._queue.get_nowait()
                )
            except queue.Empty:
                break
            if item is _SENTINEL:
                break
            batch.append(item)
            if self._is_urgent(item[0]):
                break  # a help press or a fall does not wait for the batch to fill
        return batch

    def _is_urgent(self, msg: ReceivedMessage) -> bool:
        parsed = parse_topic(msg.topic, self.settings.mqtt_topic_prefix)
        if parsed is None:
            found = self.registry.bridge_of(msg.topic)
            device = found[0].named(found[1]) if found else None
        elif parsed.device is None:
            return False
        else:
            hub = self.registry.get(parsed.hub)
            device = hub.devices.get(parsed.device) if hub else None
        return device is not None and device.type in URGENT_TYPES

    def _write_loop(self) -> None:
        while True:
            batch = self._collect()
            if batch:
                self._handle_until_done(batch)
            elif self._stop.is_set() and self._queue.empty():
                return
            metrics.INGEST_QUEUE.set(self._queue.qsize())

    def _handle_until_done(self, batch: list[tuple[ReceivedMessage, float]]) -> None:
        """The writer thread must never die: an unexpected failure retries the same batch."""
        delay = 0.5
        while True:
            try:
                self._handle(batch)
                return
            except Exception:
                metrics.STORAGE_RETRIES.inc()
                log.exception("ingest batch failed, retrying", extra=fields(delay_s=delay))
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, 30.0)

    def _handle(self, batch: list[tuple[ReceivedMessage, float]]) -> None:
        now = self.clock.now()
        decoded = [self.decoder.decode(msg, now) for msg, _ in batch]
        result = self._commit(decoded)
        if result is None:
            return  # stopping while storage is down: leave the messages un-acked for redelivery
        result.apply_to_registry()
        if result.hubs_changed:
            with self.factory() as session:
                for hub in result.hubs_changed:
                    self.registry.refresh_hub(session, hub)
        if self.client is not None:
            for msg, _ in batch:
                if msg.qos > 0:
                    self.client.ack(msg.mid, msg.qos)
        self.messages_handled += len(batch)
        done = time.monotonic()
        for _, arrived in batch:
            metrics.INGEST_LAG.observe(done - arrived)
        metrics.BATCH_SIZE.observe(len(batch))
        metrics.EVENTS_STORED.inc(len(result.stored))
        metrics.EVENTS_DUPLICATE.inc(result.duplicates)
        metrics.EVENTS_LATE.inc(result.late)
        for r in result.rejected:
            metrics.MESSAGES_REJECTED.labels(r.reason).inc()
        if result.rejected:
            log.info("messages rejected", extra=fields(count=len(result.rejected)))
        if self.on_committed is not None:
            try:
                self.on_committed(result)
            except Exception:
                metrics.DETECTION_ERRORS.inc()
                log.exception("detection failed on a committed batch")

    def _commit(self, decoded: list[Decoded]) -> BatchResult | None:
        delay = 0.5
        while True:
            try:
                with session_scope(self.factory) as session:
                    return write_batch(session, decoded, self.mapping)
            except DBAPIError as exc:
                if not is_transient(exc):
                    return self._commit_one_by_one(decoded)
                metrics.STORAGE_RETRIES.inc()
                log.warning("storage unavailable, retrying batch", extra=fields(delay_s=delay))
                if self._stop.wait(delay):
                    return None
                delay = min(delay * 2, 30.0)
            except Exception:
                log.exception("batch failed, writing messages one by one")
                return self._commit_one_by_one(decoded)

    def _commit_one_by_one(self, decoded: list[Decoded]) -> BatchResult:
        total = BatchResult()
        for item in decoded:
            try:
                with session_scope(self.factory) as session:
                    part = write_batch(session, [item], self.mapping)
            except Exception as exc:  # noqa: BLE001
                bad = Rejection(item.message, "storage_error", exc.__class__.__name__)
                with session_scope(self.factory) as session:
                    part = write_batch(session, [bad], self.mapping)
            total.merge(part)
        return total
