"""Publishing as a real hub does: status, retained device status, then events at QoS 1.

``HubPublisher`` is one hub's MQTT connection (paho-mqtt 2.x). It sets the Last Will, announces
``{"online": true}`` (retained) on every connect, and keeps at most ``max_unacked`` QoS-1 messages
waiting for their PUBACK, so a month of events never piles up inside paho (whose message ids wrap at
65,535). ``Pacer`` (from ``simulator.pacing``) holds events back until a clock reaches their
timestamp: real time, accelerated, or not at all.
"""

from __future__ import annotations

import collections
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt

from telecare.broker_address import BrokerAddress

from simulator.eventsfile import mqtt_payload
from simulator.faults import DuplicateChooser, RawMessage
from simulator.pacing import Pacer

__all__ = ["PROTOCOLS", "BrokerAddress", "HubPublisher", "Pacer", "PublishCounts", "PublishError"]

PROTOCOLS = {"5": mqtt.MQTTv5, "3.1.1": mqtt.MQTTv311}


class PublishError(RuntimeError):
    """The broker refused us, went away, or did not acknowledge in time."""


@dataclass
class PublishCounts:
    published: int = 0  # events, each counted once
    duplicates: int = 0  # extra identical copies
    raw: int = 0  # malformed payloads


class HubPublisher:
    """One simulated hub's MQTT session: ``connect()``, publish, ``close()`` (or use ``with``)."""

    def __init__(
        self,
        hub: str,
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        username: str | None = None,
        password: str | None = None,
        tls: bool = False,
        protocol: int = mqtt.MQTTv5,
        topic_prefix: str = "telecare",
        max_unacked: int = 500,
        keepalive: int = 30,
        ack_timeout: float = 60.0,
    ) -> None:
        self.hub, self.host, self.port = hub, host, port
        self.prefix = topic_prefix.rstrip("/")
        self.ack_timeout = ack_timeout
        self.keepalive = keepalive
        self.device_statuses: Mapping[str, Mapping[str, Any]] = {}
        self._window = max(1, max_unacked)
        self._unacked: collections.deque[mqtt.MQTTMessageInfo] = collections.deque()
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._refused: str | None = None
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"sim-{hub}", protocol=protocol
        )
        # The embedded broker refuses anonymous clients: a hub with no credentials names itself.
        self.client.username_pw_set(username if username is not None else hub, password)
        if tls:
            self.client.tls_set()
        self.client.max_inflight_messages_set(self._window)
        self.client.will_set(self.status_topic, json.dumps({"online": False}), qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect

    @property
    def status_topic(self) -> str:
        return f"{self.prefix}/{self.hub}/status"

    @property
    def window(self) -> int:
        """Most QoS-1 messages unacknowledged at once (lowered to an MQTT 5 Receive Maximum)."""
        return self._window

    @property
    def unacknowledged(self) -> int:
        """Messages published without a PUBACK seen yet (an upper bound: checked lazily)."""
        with self._lock:
            return len(self._unacked)

    def connect(
        self, device_statuses: Mapping[str, Mapping[str, Any]] | None = None, timeout: float = 10.0
    ) -> None:
        """Connect and wait for CONNACK; every connect publishes hub and device status, retained."""
        self.device_statuses = dict(device_statuses or {})
        try:
            self.client.connect(self.host, self.port, keepalive=self.keepalive)
        except OSError as exc:
            raise PublishError(f"cannot reach MQTT broker {self.host}:{self.port}: {exc}") from exc
        self.client.loop_start()
        if not self._connected.wait(timeout) or self._refused:
            self.client.loop_stop()
            raise PublishError(
                f"{self.hub}: broker did not accept the connection ({self._refused or 'timeout'})"
            )

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            self._refused = str(reason)
            self._connected.set()
            return
        receive_maximum = getattr(properties, "ReceiveMaximum", None) if properties else None
        if (
            receive_maximum
        ):  # an MQTT 5 broker may accept fewer unacknowledged messages than we would send
            self._window = min(self._window, int(receive_maximum))
        self._send(
            self.status_topic, json.dumps({"online": True}).encode(), retain=True, wait_room=False
        )
        for device, status in self.device_statuses.items():
            self._send(
                self._topic(device, "status"),
                json.dumps(status).encode(),
                retain=True,
                wait_room=False,
            )
        self._connected.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        self._connected.clear()

    def _topic(self, device: str, leaf: str) -> str:
        return f"{self.prefix}/{self.hub}/{device}/{leaf}"

    def _send(
        self, topic: str, payload: bytes, retain: bool = False, wait_room: bool = True
    ) -> None:
        if wait_room:
            self._make_room()
            if not self._connected.wait(self.ack_timeout):
                raise PublishError(f"{self.hub}: not connected to the broker")
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise PublishError(f"{self.hub}: publish failed: {mqtt.error_string(info.rc)}")
        with self._lock:
            self._unacked.append(info)

    def _make_room(self) -> None:
        """Wait for PUBACKs until fewer than the window's worth of messages are unacknowledged."""
        while True:
            with self._lock:
                while self._unacked and self._unacked[0].is_published():
                    self._unacked.popleft()
                if len(self._unacked) < self._window:
                    return
                oldest = self._unacked[0]
            oldest.wait_for_publish(self.ack_timeout)
            if not oldest.is_published():
                raise PublishError(f"{self.hub}: no PUBACK within {self.ack_timeout:.0f}s")

    def publish_event(self, event: Mapping[str, Any]) -> None:
        """Publish one events-file record on ``<prefix>/<hub>/<device>/event`` at QoS 1."""
        self._send(self._topic(event["device"], "event"), mqtt_payload(dict(event)))

    def publish_raw(self, message: RawMessage) -> None:
        """Publish a (malformed) payload exactly as given, at QoS 1."""
        self._send(f"{self.prefix}/{self.hub}/{message.topic_suffix}", message.payload)

    def publish_device_status(self, device: str, status: Mapping[str, Any]) -> None:
        self._send(self._topic(device, "status"), json.dumps(dict(status)).encode(), retain=True)

    def publish_events(
        self,
        events: Iterable[Mapping[str, Any]],
        *,
        pacer: Pacer | None = None,
        duplicates: float = 0.0,
        seed: int | str = 0,
        repeat: Callable[[], bool] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> PublishCounts:
        """Publish ``events`` in order, each when ``pacer`` lets it go (no pacer: at once).

        A ``duplicates`` fraction of events, chosen by a generator seeded with ``seed`` and the hub,
        is published twice in a row, identically; ``repeat`` replaces that choice if given.
        ``progress`` is called with the number of events published so far.
        """
        if repeat is None and duplicates > 0:
            repeat = DuplicateChooser(duplicates, seed, self.hub)
        counts = PublishCounts()
        for event in events:
            if pacer is not None and not pacer.wait_until(datetime.fromisoformat(event["ts"])):
                break
            self.publish_event(event)
            counts.published += 1
            if repeat is not None and repeat():
                self.publish_event(event)
                counts.duplicates += 1
            if progress is not None:
                progress(counts.published)
        return counts

    def wait_for_acks(self, timeout: float | None = None) -> None:
        """Block until every message published so far has its PUBACK."""
        with self._lock:
            pending = list(self._unacked)
            self._unacked.clear()
        for info in pending:
            info.wait_for_publish(timeout or self.ack_timeout)
            if not info.is_published():
                raise PublishError(
                    f"{self.hub}: no PUBACK within {timeout or self.ack_timeout:.0f}s"
                )

    def close(self, *, offline: bool = False, timeout: float | None = None) -> None:
        """Wait for every PUBACK, then disconnect cleanly (the broker then keeps the Will unsent).

        ``offline=True`` first publishes ``{"online": false}`` (retained), as a hub switched off on
        purpose would; otherwise the hub's retained status stays online.
        """
        try:
            if offline and self._connected.is_set():
                self._send(self.status_topic, json.dumps({"online": False}).encode(), retain=True)
            self.wait_for_acks(timeout)
        finally:
            self.client.disconnect()
            self.client.loop_stop()

    def __enter__(self) -> HubPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
