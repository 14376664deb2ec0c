"""Zigbee2MQTT's MQTT API, read as our own contract: what each message under a hub's base topic means.

Zigbee2MQTT (https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html) publishes, under
its base topic:

- ``bridge/state``: ``{"state": "online"|"offline"}`` (retained; the bridge's Last Will): the hub;
- ``bridge/devices``: the whole inventory, retained: ieee address, friendly name, definition;
- ``bridge/event``: ``device_joined``, ``device_interview`` (``started``/``successful``/``failed``),
  ``device_leave``;
- ``bridge/response/permit_join``: the answer to our ``bridge/request/permit_join``;
- ``<friendly_name>``: the device's whole cached state, every time anything changes;
- ``<friendly_name>/availability``: ``{"state": "online"|"offline"}``.

Friendly names may contain ``/``, so a topic is resolved against the names this hub's devices have,
never by splitting it. Only state **changes** become events (``state_events``); the last state is
stored with the device so a repeat after a restart is still a repeat.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ingest.registry import KnownDevice, KnownHub
from telecare.domain import DeviceType

# Fields kept from a state message; everything else (illuminance, voltage, ...) is ignored.
_KEPT = ("occupancy", "presence", "contact", "water_leak", "smoke", "temperature", "power", "state",
         "vibration", "battery", "linkquality")
_IGNORED_BRIDGE = ("info", "logging", "config", "extensions", "groups", "definitions", "options",
                   "converters", "health")


@dataclass(frozen=True, slots=True)
class InventoryEntry:
    ieee: str
    friendly_name: str
    model: str
    suggested: DeviceType | None


@dataclass(frozen=True, slots=True)
class BridgeMessage:
    """One message under a hub's base topic, understood. ``kind`` says which of the fields matter."""

    kind: str  # state | availability | bridge_state | inventory | joined | interview | leave
    #          | permit_join | ignored
    device: KnownDevice | None = None
    fields: dict[str, Any] | None = None  # state: the kept fields; availability: {"online": bool}
    entries: tuple[InventoryEntry, ...] = ()  # inventory, joined, interview
    online: bool | None = None  # bridge_state, availability
    status: str = ""  # interview: started | successful | failed; permit_join: ok | error
    seconds: int | None = None  # permit_join
    detail: str = ""
    ieee: str = ""  # leave


class BadBridgeMessage(ValueError):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def read(hub: KnownHub, rest: str, payload: bytes) -> BridgeMessage:
    """Understand the message on ``<base>/<rest>``; ``BadBridgeMessage`` says why not."""
    if not payload:
        return BridgeMessage("ignored")  # a retained message being cleared
    if rest.startswith("bridge/"):
        return _bridge(rest[len("bridge/"):], payload)
    if rest.endswith(("/set", "/get")) or "/set/" in rest:
        return BridgeMessage("ignored")  # commands to Zigbee2MQTT, ours or another client's
    if rest.endswith("/availability") and (device := hub.named(rest[: -len("/availability")])):
        state = _object(payload, plain_ok=True).get("state")
        if state not in ("online", "offline"):
            raise BadBridgeMessage("bad_status", "availability 'state' must be online or offline")
        return BridgeMessage("availability", device, online=state == "online")
    device = hub.named(rest)
    if device is None:
        raise BadBridgeMessage("unknown_device", "no device of this home has that friendly name")
    body = _object(payload)
    fields = {k: body[k] for k in _KEPT if k in body}
    if isinstance(body.get("action"), str) and body["action"]:
        fields["action"] = body["action"]
    if isinstance(body.get("last_seen"), str):
        fields["last_seen"] = body["last_seen"]
    return BridgeMessage("state", device, fields=fields)


def _bridge(what: str, payload: bytes) -> BridgeMessage:
    if what == "state":
        state = _object(payload, plain_ok=True).get("state")
        if state not in ("online", "offline"):
            raise BadBridgeMessage("bad_status", "bridge state must be online or offline")
        return BridgeMessage("bridge_state", online=state == "online")
    if what == "devices":
        return BridgeMessage("inventory", entries=tuple(_inventory(_json(payload))))
    if what == "event":
        return _event(_object(payload))
    if what == "response/permit_join":
        body = _object(payload)
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        seconds = data.get("time")
        if body.get("status") == "ok":
            if data.get("value") is False:
                seconds = 0
            return BridgeMessage("permit_join", status="ok",
                                 seconds=seconds if type(seconds) is int and seconds >= 0 else 254)
        return BridgeMessage("permit_join", status="error", detail=str(body.get("error", ""))[:300])
    if what.startswith(("request/", "response/")) or what.split("/")[0] in _IGNORED_BRIDGE:
        return BridgeMessage("ignored")
    raise BadBridgeMessage("bad_topic", "not a Zigbee2MQTT bridge topic this service reads")


def _event(body: dict) -> BridgeMessage:
    kind, data = body.get("type"), body.get("data")
    if not isinstance(data, dict):
        raise BadBridgeMessage("bad_bridge_event", "bridge event without a 'data' object")
    ieee, name = data.get("ieee_address"), data.get("friendly_name")
    if not isinstance(ieee, str) or not ieee:
        raise BadBridgeMessage("bad_bridge_event", "bridge event without an ieee_address")
    if kind == "device_leave":
        return BridgeMessage("leave", ieee=ieee)
    if not isinstance(name, str) or not name:
        raise BadBridgeMessage("bad_bridge_event", "bridge event without a friendly_name")
    if kind == "device_joined":
        return BridgeMessage("joined", entries=(InventoryEntry(ieee, name, "", None),))
    if kind == "device_interview":
        status = data.get("status")
        if status not in ("started", "successful", "failed"):
            raise BadBridgeMessage("bad_bridge_event", "interview status must be started, successful or failed")
        entry = _entry(ieee, name, data.get("definition"))
        return BridgeMessage("interview", entries=(entry,), status=status)
    return BridgeMessage("ignored")  # device_announce and others say nothing we keep


def _inventory(body: Any) -> Iterable[InventoryEntry]:
    if not isinstance(body, list):
        raise BadBridgeMessage("not_object", "bridge/devices must be a JSON list")
    for item in body:
        if not isinstance(item, dict) or item.get("type") == "Coordinator":
            continue
        ieee, name = item.get("ieee_address"), item.get("friendly_name")
        if isinstance(ieee, str) and isinstance(name, str) and ieee and name:
            yield _entry(ieee, name, item.get("definition"))


def _entry(ieee: str, name: str, definition: Any) -> InventoryEntry:
    definition = definition if isinstance(definition, dict) else {}
    model = " ".join(str(definition.get(k, "")) for k in ("vendor", "model")).strip()
    return InventoryEntry(ieee, name, model[:100], suggest_type(_exposed(definition.get("exposes"))))


def _exposed(exposes: Any) -> set[str]:
    """Every property a definition exposes, including those nested in composite features."""
    found: set[str] = set()
    stack = list(exposes) if isinstance(exposes, list) else []
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("property"), str):
                found.add(item["property"])
            if isinstance(item.get("features"), list):
                stack.extend(item["features"])
    return found


def suggest_type(exposed: set[str]) -> DeviceType | None:
    """What the installer most likely paired, from what it exposes (they confirm or change it)."""
    for prop, dtype in (("smoke", DeviceType.SMOKE), ("water_leak", DeviceType.WATER_LEAK),
                        ("action", DeviceType.BUTTON), ("contact", DeviceType.CONTACT),
                        ("occupancy", DeviceType.MOTION), ("presence", DeviceType.MOTION),
                        ("power", DeviceType.APPLIANCE), ("temperature", DeviceType.TEMPERATURE)):
        if prop in exposed:
            return dtype
    return None


def _json(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadBridgeMessage("not_json", "payload is not JSON") from None


def _object(payload: bytes, plain_ok: bool = False) -> dict:
    if plain_ok and payload.strip() in (b"online", b"offline"):  # Zigbee2MQTT before 1.x's JSON
        return {"state": payload.strip().decode()}
    body = _json(payload)
    if not isinstance(body, dict):
        raise BadBridgeMessage("not_object", "payload is not a JSON object")
    return body


# --------------------------------------------------------------------------- state -> events
@dataclass(frozen=True, slots=True)
class StateMapping:
    help_actions: frozenset[str]
    power_on_w: float


def state_events(dtype: DeviceType, before: dict, now: dict, mapping: StateMapping) -> list[tuple[str, float]]:
    """The events a state message means for a device of this type: ``(field, value)`` per change.

    >>> m = StateMapping(frozenset({"emergency"}), 5.0)
    >>> state_events(DeviceType.CONTACT, {"contact": True}, {"contact": False}, m)  # false = open
    [('contact', 1.0)]
    >>> state_events(DeviceType.CONTACT, {"contact": False}, {"contact": False}, m)  # a repeat
    []
    >>> state_events(DeviceType.BUTTON, {}, {"action": "emergency"}, m)
    [('action', 1.0)]
    >>> state_events(DeviceType.APPLIANCE, {"power": 0.4}, {"power": 1800.0}, m)
    [('power', 1.0)]
    """
    out: list[tuple[str, float]] = []

    def changed(field: str) -> bool:
        return field in now and now[field] != before.get(field)

    def flag(field: str, value_if_true: float = 1.0) -> None:
        if changed(field) and isinstance(now[field], bool):
            out.append((field, value_if_true if now[field] else 1.0 - value_if_true))

    if dtype in (DeviceType.MOTION, DeviceType.BED, DeviceType.CHAIR):
        flag("occupancy")
        flag("presence")
    elif dtype is DeviceType.CONTACT:
        flag("contact", 0.0)  # contact true = closed
    elif dtype in (DeviceType.BUTTON, DeviceType.FALL):
        if now.get("action") in mapping.help_actions:
            out.append(("action", 1.0))
    elif dtype is DeviceType.FLUSH:
        flag("vibration")
        if now.get("action"):
            out.append(("action", 1.0))
    elif dtype is DeviceType.WATER_LEAK:
        flag("water_leak")
    elif dtype is DeviceType.SMOKE:
        flag("smoke")
    elif dtype is DeviceType.TEMPERATURE:
        if changed("temperature") and _number(now["temperature"]):
            out.append(("temperature", float(now["temperature"])))
    elif dtype is DeviceType.POWER:
        if changed("power") and _number(now["power"]):
            out.append(("power", float(now["power"])))
    elif dtype is DeviceType.APPLIANCE:
        if "power" in now and _number(now["power"]):
            on = now["power"] > mapping.power_on_w
            was = before.get("power")
            if not _number(was) or (was > mapping.power_on_w) != on:
                out.append(("power", 1.0 if on else 0.0))
        elif changed("state") and now["state"] in ("ON", "OFF"):
            out.append(("state", 1.0 if now["state"] == "ON" else 0.0))
    return out


def remembered(fields: dict) -> dict:
    """What is kept as the device's last state: actions are moments, not state."""
    return {k: v for k, v in fields.items() if k not in ("action", "last_seen", "linkquality")}


def event_time(fields: dict, received_at: datetime) -> datetime:
    """Zigbee2MQTT's ``last_seen`` (ISO 8601, when configured) or the time the message arrived."""
    raw = fields.get("last_seen")
    if isinstance(raw, str):
        try:
            ts = datetime.fromisoformat(raw)
        except ValueError:
            return received_at
        if ts.tzinfo is not None and abs((ts - received_at).total_seconds()) < 3600:
            return ts
    return received_at


def _number(v: Any) -> bool:
    return type(v) in (int, float) and math.isfinite(v)


def int_field(fields: dict, name: str, lo: int, hi: int) -> int | None:
    v = fields.get(name)
    return int(v) if _number(v) and lo <= v <= hi else None
