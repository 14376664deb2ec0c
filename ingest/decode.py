"""Decode and validate one MQTT message. Never raises: a bad message becomes a ``Rejection``.

Reasons are stable codes (stored, counted in metrics, shown in the API):
``oversized``, ``bad_topic``, ``unknown_hub``, ``unknown_device``, ``not_json``, ``not_object``,
``missing_ts``, ``bad_ts``, ``future_ts``, ``missing_value``, ``bad_value``, ``type_mismatch``,
``bad_seq``, ``bad_battery``, ``bad_status``; for pairing ``bad_announcement``, ``not_paired`` (a
sensor that announced itself and is not named yet) and ``not_pairing`` (from the writer: pairing
mode is off); for Zigbee2MQTT bridges ``bad_bridge_event`` and ``interview_failed``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ingest import zigbee2mqtt
from ingest.registry import KnownDevice, KnownHub
from ingest.topics import ParsedTopic, TopicKind, parse_topic
from telecare.domain import DeviceType
from telecare.households import ID_PATTERN


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """One MQTT message as it arrived (the edge of the service)."""

    topic: str
    payload: bytes
    received_at: datetime
    mid: int = 0
    qos: int = 0
    retain: bool = False


@dataclass(frozen=True, slots=True)
class Rejection:
    message: ReceivedMessage
    reason: str
    detail: str
    hub: str | None = None


@dataclass(frozen=True, slots=True)
class DecodedEvent:
    message: ReceivedMessage
    hub: KnownHub
    device: KnownDevice
    ts: datetime
    value: float
    seq: int | None
    battery: int | None
    dedup_key: str


@dataclass(frozen=True, slots=True)
class DecodedStatus:
    message: ReceivedMessage
    hub: KnownHub
    device: KnownDevice | None  # None: the hub's own status
    online: bool
    battery: int | None
    rssi: int | None


@dataclass(frozen=True, slots=True)
class DecodedAnnouncement:
    """A sensor announcing itself on ``<prefix>/<hub>/pairing``."""

    message: ReceivedMessage
    hub: KnownHub
    device: str
    type: DeviceType
    model: str


@dataclass(frozen=True, slots=True)
class DecodedBridge:
    """A Zigbee2MQTT message under the hub's base topic (the writer turns it into rows and events)."""

    message: ReceivedMessage
    hub: KnownHub
    bridge: zigbee2mqtt.BridgeMessage


Decoded = DecodedEvent | DecodedStatus | DecodedAnnouncement | DecodedBridge | Rejection


class _Bad(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        self.reason, self.detail = reason, detail


class MessageDecoder:
    def __init__(
        self,
        prefix: str,
        lookup_hub: Any,  # Callable[[str, str | None], KnownHub | None]: hub id, device wanted
        max_payload_bytes: int,
        max_future_skew: timedelta,
        bridge_of: Any = None,  # Callable[[str], tuple[KnownHub, str] | None]: see DeviceRegistry
        max_inventory_bytes: int = 1_000_000,
        refresh_hub: Any = None,  # Callable[[str], KnownHub | None]: re-read (rate-limited)
    ) -> None:
        self.refresh_hub = refresh_hub
        self.prefix = prefix
        self.lookup_hub = lookup_hub
        self.max_payload_bytes = max_payload_bytes
        self.max_future_skew = max_future_skew
        self.bridge_of = bridge_of
        self.max_inventory_bytes = max_inventory_bytes

    def decode(self, msg: ReceivedMessage, now: datetime) -> Decoded:
        if self.bridge_of is not None and not msg.topic.startswith(self.prefix + "/"):
            found = self.bridge_of(msg.topic)
            if found is not None:
                return self._bridge(msg, *found)
        parsed = parse_topic(msg.topic, self.prefix)
        hub_id = parsed.hub if parsed else None
        try:
            if parsed is None:
                raise _Bad("bad_topic", "topic is not <prefix>/<hub>/<device>/event or a status topic")
            if len(msg.payload) > self.max_payload_bytes:
                raise _Bad("oversized", f"{len(msg.payload)} bytes, limit {self.max_payload_bytes}")
            hub = self.lookup_hub(parsed.hub, parsed.device)
            if hub is None:
                raise _Bad("unknown_hub", "no household has this hub id")
            device = None
            if parsed.device is not None:
                device = hub.devices.get(parsed.device)
                if device is None:
                    raise _Bad("unknown_device", f"device {parsed.device!r} is not paired with this hub")
            body = _json_object(msg.payload)
            if parsed.kind is TopicKind.PAIRING:
                return _announcement(msg, hub, body)
            if parsed.kind is TopicKind.EVENT:
                assert device is not None
                if not device.paired:
                    raise _Bad("not_paired", f"device {parsed.device!r} announced itself and is not "
                               "named by the installer yet")
                return self._event(msg, hub, device, body, now)
            return _status(msg, hub, device, body)
        except _Bad as bad:
            return Rejection(msg, bad.reason, bad.detail, hub_id)

    def _event(
        self, msg: ReceivedMessage, hub: KnownHub, device: KnownDevice, body: dict, now: datetime
    ) -> DecodedEvent:
        if "ts" not in body:
            raise _Bad("missing_ts", "'ts' is required (RFC 3339 with offset)")
        ts = _timestamp(body["ts"])
        if ts - now > self.max_future_skew:
            raise _Bad("future_ts", f"'ts' is {(ts - now)} ahead of the service clock")
        declared = body.get("type")
        if declared is not None and declared != device.type.value:
            raise _Bad("type_mismatch", f"payload says {declared!r}, device is {device.type.value!r}")
        if "value" not in body:
            raise _Bad("missing_value", "'value' is required")
        value = _value(body["value"], device)
        seq = _optional_int(body.get("seq"), "bad_seq", 0, 2**62)
        battery = _optional_int(body.get("battery"), "bad_battery", 0, 100)
        stamp = int(ts.timestamp() * 1000)
        dedup = f"q{seq}@{stamp}" if seq is not None else f"t{stamp}:{value:g}"
        return DecodedEvent(msg, hub, device, ts, value, seq, battery, dedup)


    def _bridge(self, msg: ReceivedMessage, hub: KnownHub, rest: str) -> Decoded:
        limit = self.max_inventory_bytes if rest == "bridge/devices" else self.max_payload_bytes
        try:
            if len(msg.payload) > limit:
                raise _Bad("oversized", f"{len(msg.payload)} bytes, limit {limit}")
            try:
                understood = zigbee2mqtt.read(hub, rest, msg.payload)
            except zigbee2mqtt.BadBridgeMessage as bad:
                if bad.reason == "unknown_device" and self.refresh_hub is not None:
                    fresh = self.refresh_hub(hub.hub)  # a device renamed or joined in another worker
                    if fresh is not None and fresh.named(rest.removesuffix("/availability")):
                        return self._bridge(msg, fresh, rest)
                raise _Bad(bad.reason, bad.detail) from None
            if understood.kind == "state" and understood.device and not understood.device.paired:
                fresh = self.lookup_hub(hub.hub, understood.device.key)  # named a moment ago?
                if fresh is not None and fresh is not hub:
                    understood = zigbee2mqtt.read(fresh, rest, msg.payload)
                    hub = fresh
            return DecodedBridge(msg, hub, understood)
        except _Bad as bad:
            return Rejection(msg, bad.reason, bad.detail, hub.hub)


def _announcement(msg: ReceivedMessage, hub: KnownHub, body: dict) -> DecodedAnnouncement:
    device, dtype, model = body.get("device"), body.get("type"), body.get("model", "")
    if not isinstance(device, str) or not ID_PATTERN.match(device):
        raise _Bad("bad_announcement", "'device' must be an id of letters, digits and '_.:-'")
    try:
        dtype = DeviceType(dtype)
    except ValueError:
        raise _Bad("bad_announcement", f"'type' must be one of {', '.join(DeviceType)}") from None
    if not isinstance(model, str) or len(model) > 100:
        raise _Bad("bad_announcement", "'model' must be a string of at most 100 characters")
    return DecodedAnnouncement(msg, hub, device, dtype, model)


def _json_object(payload: bytes) -> dict:
    try:
        body = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _Bad("not_json", f"payload is not JSON: {exc.__class__.__name__}") from None
    if not isinstance(body, dict):
        raise _Bad("not_object", f"payload is JSON {type(body).__name__}, not an object")
    return body


def _timestamp(raw: Any) -> datetime:
    if not isinstance(raw, str):
        raise _Bad("bad_ts", "'ts' must be an RFC 3339 string")
    try:
        ts = datetime.fromisoformat(raw)
    except ValueError:
        raise _Bad("bad_ts", "'ts' is not an RFC 3339 timestamp") from None
    if ts.tzinfo is None or "T" not in raw.upper():
        raise _Bad("bad_ts", "'ts' must be a full RFC 3339 timestamp with a UTC offset")
    return ts


def _value(raw: Any, device: KnownDevice) -> float:
    if device.type.is_binary:
        if type(raw) is not bool:
            raise _Bad("bad_value", f"'value' must be true or false for a {device.type.value} sensor")
        return 1.0 if raw else 0.0
    if type(raw) not in (int, float) or not math.isfinite(raw):
        raise _Bad("bad_value", f"'value' must be a finite number for a {device.type.value} sensor")
    return float(raw)


def _optional_int(raw: Any, reason: str, lo: int, hi: int) -> int | None:
    if raw is None:
        return None
    if type(raw) is not int or not lo <= raw <= hi:
        raise _Bad(reason, f"must be an integer from {lo} to {hi}")
    return raw


def _status(
    msg: ReceivedMessage, hub: KnownHub, device: KnownDevice | None, body: dict
) -> DecodedStatus:
    online = body.get("online")
    if type(online) is not bool:
        raise _Bad("bad_status", "'online' must be true or false")
    battery = _optional_int(body.get("battery"), "bad_battery", 0, 100)
    rssi = body.get("rssi")
    if rssi is not None and (type(rssi) is not int or not -200 <= rssi <= 200):
        raise _Bad("bad_status", "'rssi' must be an integer")
    return DecodedStatus(msg, hub, device, online, battery, rssi)


__all__ = [
    "Decoded",
    "DecodedAnnouncement",
    "DecodedBridge",
    "DecodedEvent",
    "DecodedStatus",
    "MessageDecoder",
    "ParsedTopic",
    "ReceivedMessage",
    "Rejection",
]
