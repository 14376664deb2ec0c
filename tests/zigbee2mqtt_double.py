"""A Zigbee2MQTT (Z2M) bridge on one home's hub, as a test double speaking Z2M's MQTT API on a real broker.

Shapes come from zigbee2mqtt.io "MQTT Topics and Messages" (docs/guide/usage/mqtt_topics_and_messages.md:
bridge/state, bridge/info, bridge/devices with its coordinator entry, bridge/event device_joined /
device_interview started|successful|failed / device_leave / device_announce, bridge/request/+ answered
on bridge/response/+ with status, data, error and the request's transaction) and from Z2M 2.x itself
(lib/extension/bridge.ts, lib/state.ts): permit_join takes ``{"time": N}`` and answers
``{"data": {"time": N}, "status": "ok"}``, an error's data is ``{}`` (2.0.0), zigbee-herdsman refuses
more than 254 s; bridge/info has permit_join and permit_join_end (epoch ms, absent when closed);
inventory entries carry disabled, manufacturer and interview_state next to interviewing /
interview_completed, and are republished *before* each join/interview/leave event; JSON keys are sorted
(json-stable-stringify); with cache_state a device message is its whole cached state, and
``action``/``action_*`` is published but never cached. 1.x requests (``{"value": bool[, "time": N]}``)
are accepted and answered as 1.x did, with ``value`` in data. bridge/state (also the retained Last
Will) and <name>/availability are ``{"state": "online"|"offline"}`` (2.x); last_seen is UTC ISO 8601.

Devices follow their zigbee2mqtt.io pages (docs/devices/<MODEL>.md) and zigbee-herdsman-converters 2.x
definitions: Aqara RTCGQ11LM, MCCGQ11LM, SJCGQ11LM (lumi.ts); Tuya TS0601_bed_presence_sensor
(_TZE200_seq9cm6u, a pressure strap: occupancy, raw pressure as illuminance, work_state), TS0215A_sos
(action ["emergency"]) and TS011F_plug_1; expose objects as Z2M puts them in bridge/devices (label,
category "diagnostic", value_on/value_off, values, unit, value_min/value_max). A device keeps
the friendly name given (as if pre-set in Z2M's ``devices:``); ``None`` means its IEEE address, the
name Z2M gives a new device.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt

Json = dict[str, Any]
TIMEOUT = 10.0
MAX_PERMIT_S = 254  # one byte on the air, and 255 would mean "forever"


def _expose(kind: str, name: str, description: str, access: int = 1, **extra: Any) -> Json:
    return {"type": kind, "name": name, "property": name, "access": access, "description": description,
            "label": name.replace("_", " ").capitalize(), **extra}


def _binary(name: str, description: str, on: Any = True, off: Any = False, **extra: Any) -> Json:
    return _expose("binary", name, description, value_on=on, value_off=off, **extra)


def _enum(name: str, description: str, values: Iterable[str], access: int = 1) -> Json:
    return _expose("enum", name, description, access, values=list(values))


def _num(name: str, description: str, unit: str | None = None, access: int = 1, **extra: Any) -> Json:
    return _expose("numeric", name, description, access, **({"unit": unit} if unit else {}), **extra)


_DIAG = {"category": "diagnostic"}
BATTERY = _num("battery", "Remaining battery in %, can take up to 24 hours before reported", "%",
               value_min=0, value_max=100, **_DIAG)
VOLTAGE = _num("voltage", "Voltage of the battery in millivolts", "mV", **_DIAG)
DEVICE_TEMPERATURE = _num("device_temperature", "Temperature of the device", "°C", **_DIAG)
POWER_OUTAGES = _num("power_outage_count", "Number of power outages", **_DIAG)
TRIGGERS = _num("trigger_count", "Indicates how many times the sensor was triggered (since last scheduled "
                "report)", **_DIAG)
LINKQUALITY = _num("linkquality", "Link quality (signal strength)", "lqi", value_min=0, value_max=255, **_DIAG)
OCCUPANCY = _binary("occupancy", "Indicates whether the device detected occupancy")


@dataclass(frozen=True)
class FakeDevice:
    """One device as Zigbee2MQTT knows it once interviewed."""

    ieee_address: str
    friendly_name: str
    model: str
    vendor: str
    description: str
    exposes_fields: tuple[Json, ...]
    power_source: str = "Battery"
    model_id: str = ""
    manufacturer: str = ""
    initial_state: Json = field(default_factory=dict, compare=False)  # seeds the state cache

    def definition(self) -> Json:
        return {"model": self.model, "vendor": self.vendor, "description": self.description,
                "exposes": [*self.exposes_fields, LINKQUALITY], "options": [], "supports_ota": False}

    def actions(self) -> list[str]:
        return next((e["values"] for e in self.exposes_fields if e.get("name") == "action"), [])


def _ieee(oui: str) -> str:
    return "0x" + oui + "".join(random.choices("0123456789abcdef", k=16 - len(oui)))


def _device(name: str | None, ieee: str | None, vendor: str, model: str, description: str,
            model_id: str, manufacturer: str, exposes: tuple[Json, ...], initial: Json,
            power: str = "Battery") -> FakeDevice:
    address = ieee or _ieee({"Aqara": "00158d00", "Tuya": "a4c138"}[vendor])  # their real OUIs
    return FakeDevice(address, name or address, model, vendor, description, exposes, power, model_id,
                      manufacturer, initial)


def motion_sensor(name: str | None = None, ieee: str | None = None) -> FakeDevice:
    return _device(name, ieee, "Aqara", "RTCGQ11LM", "Motion sensor", "lumi.sensor_motion.aq2", "LUMI",
                   (BATTERY, OCCUPANCY, DEVICE_TEMPERATURE, VOLTAGE,
                    _num("illuminance", "Measured illuminance", "lx"), POWER_OUTAGES),
                   {"battery": 100, "voltage": 3025, "occupancy": False, "illuminance": 87,
                    "device_temperature": 23})


def door_contact(name: str | None = None, ieee: str | None = None) -> FakeDevice:
    contact = _binary("contact", "Indicates if the contact is closed (= true) or open (= false)", False, True)
    return _device(name, ieee, "Aqara", "MCCGQ11LM", "Door and window sensor", "lumi.sensor_magnet.aq2",
                   "LUMI", (BATTERY, contact, DEVICE_TEMPERATURE, VOLTAGE, POWER_OUTAGES, TRIGGERS),
                   {"battery": 100, "voltage": 3025, "contact": True, "device_temperature": 22})


def leak_sensor(name: str | None = None, ieee: str | None = None) -> FakeDevice:
    return _device(name, ieee, "Aqara", "SJCGQ11LM", "Water leak sensor", "lumi.sensor_wleak.aq1", "LUMI",
                   (_binary("water_leak", "Indicates whether the device detected a water leak"),
                    _binary("battery_low", "Indicates if the battery of this device is almost empty", **_DIAG),
                    BATTERY, VOLTAGE, DEVICE_TEMPERATURE, POWER_OUTAGES, TRIGGERS),
                   {"battery": 100, "voltage": 3025, "water_leak": False, "battery_low": False})


def bed_sensor(name: str | None = None, ieee: str | None = None) -> FakeDevice:
    """Tuya TS0601_bed_presence_sensor, a pressure strap under the mattress: ``occupancy`` = in bed."""
    delay = {"value_min": 0, "value_max": 3600}
    return _device(name, ieee, "Tuya", "TS0601_bed_presence_sensor",
                   "Pressure Sensing Strap/Bed Occupancy Sensor", "TS0601", "_TZE200_seq9cm6u",
                   (OCCUPANCY, BATTERY, _num("illuminance", "Raw pressure value", "lux", value_min=0,
                                             value_max=10000),
                    _enum("sensitivity", "Sensitivity", ("low", "middle", "high"), 7),
                    _num("interval_time", "Sampling interval", "min", 7, value_min=5, value_max=720),
                    _num("presence_delay", "Delay to report no presence", "s", 7, **delay),
                    _num("presence_time", "Delay to report presence", "s", 7, **delay),
                    _enum("work_state", "Summary of the state of the device",
                          ("presence", "none", "presence_5min", "presence_30min", "none_5min", "none_30min"))),
                   {"battery": 100, "occupancy": False, "sensitivity": "middle", "work_state": "none"})


def sos_button(name: str | None = None, ieee: str | None = None) -> FakeDevice:
    return _device(name, ieee, "Tuya", "TS0215A_sos", "SOS button", "TS0215A", "_TZ3000_4fsgukof",
                   (BATTERY, VOLTAGE, _enum("action", "Triggered action (e.g. a button click)", ["emergency"])),
                   {"battery": 100, "voltage": 3000})


def smart_plug(name: str | None = None, ieee: str | None = None) -> FakeDevice:
    state = _binary("state", "On/off state of the switch", "ON", "OFF", access=7, value_toggle="TOGGLE")
    return _device(name, ieee, "Tuya", "TS011F_plug_1", "Smart plug (with power monitoring)", "TS011F",
                   "_TZ3000_gjnozsaz",
                   ({"type": "switch", "features": [state]}, _num("power", "Instantaneous measured power", "W"),
                    _num("current", "Instantaneous measured electrical current", "A"),
                    _num("voltage", "Measured electrical potential value", "V"),
                    _num("energy", "Sum of consumed energy", "kWh"),
                    _enum("power_outage_memory", "Recover state after power outage", ("on", "off", "restore"), 2)),
                   {"state": "OFF", "power": 0, "current": 0, "voltage": 230, "energy": 0},
                   power="Mains (single phase)")


class Zigbee2MqttDouble:
    """One Zigbee2MQTT bridge under ``base_topic``. Every wait is on a condition, with a timeout."""

    VERSION = "2.1.3"

    def __init__(self, base_topic: str = "zigbee2mqtt", host: str = "127.0.0.1", port: int = 1883,
                 username: str | None = None, password: str | None = None, client_id: str | None = None,
                 *, devices: Iterable[FakeDevice] = (), last_seen: bool = False, qos: int = 1,
                 linkquality: int = 120) -> None:
        self.base, self.host, self.port = base_topic, host, port
        self.username, self.password = username, password
        self.last_seen, self.qos, self.linkquality = last_seen, qos, linkquality
        self.client_id = client_id or f"zigbee2mqtt-double-{uuid.uuid4().hex[:8]}"
        self.coordinator = _ieee("00124b00")  # a TI Z-Stack adapter
        self.requests: list[tuple[str, Any]] = []  # (topic, payload parsed as Z2M parses it)
        self.permit_join_until: float | None = None  # time.monotonic(); inf for a 1.x window without time
        self._permit_end_ms: int | None = None
        self._cond = threading.Condition()
        self._subscribed = False
        self._devices: dict[str, FakeDevice] = {}  # by friendly name, in join order
        self._interview: dict[str, str] = {}  # ieee -> PENDING | IN_PROGRESS | SUCCESSFUL | FAILED
        self._nwk: dict[str, int] = {}
        self._cache: dict[str, Json] = {}
        self._retained: set[str] = set()
        self._timer: threading.Timer | None = None
        self._client: mqtt.Client | None = None
        for device in devices:  # paired before this bridge started
            self._add(device, "SUCCESSFUL")

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Connect (with the offline state as Last Will), then publish state, info and inventory, retained."""
        self._subscribed = False
        client = self._new_client(self.client_id)
        client.will_set(self._t("bridge/state"), '{"state":"offline"}', qos=1, retain=True)
        client.on_connect, client.on_message = self._on_connect, self._on_message
        client.on_subscribe = lambda *_: self._notify(subscribed=True)
        self._client = client
        client.connect(self.host, self.port, keepalive=60)
        client.loop_start()
        with self._cond:
            subscribed = self._cond.wait_for(lambda: self._subscribed, TIMEOUT)
        if not subscribed:
            client.loop_stop()
            raise TimeoutError(f"the Zigbee2MQTT double could not subscribe on {self.host}:{self.port}")
        self._publish("bridge/state", {"state": "online"}, retain=True, qos=1)
        self._publish_info()
        self._publish_devices()

    def stop(self, *, clear_retained: bool = True) -> None:
        """A clean shutdown: offline state, then DISCONNECT (so no will); then wipe what it retained."""
        self._cancel_timer()
        if self._client is not None:
            self._publish("bridge/state", {"state": "offline"}, retain=True, qos=1)
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None
        if clear_retained:
            self.clear_retained()

    def crash(self) -> None:
        """A power cut: TCP drops without DISCONNECT, so the broker publishes the Last Will."""
        self._cancel_timer()
        client, self._client = self._client, None
        if client is not None:
            client.loop_stop()  # first, or the network thread would reconnect
            if (sock := client.socket()) is not None:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def clear_retained(self) -> None:
        """Empty every retained topic this bridge set; works after ``stop()`` and ``crash()`` too."""
        if not self._retained:
            return
        connected = threading.Event()
        cleaner = self._new_client(f"{self.client_id}-clear")
        cleaner.on_connect = lambda *_: connected.set()
        cleaner.connect(self.host, self.port)
        cleaner.loop_start()
        try:
            if not connected.wait(TIMEOUT):  # a publish before CONNACK fails with MQTT_ERR_NO_CONN
                raise TimeoutError("could not connect to clear retained messages")
            for info in [cleaner.publish(topic, b"", qos=1, retain=True) for topic in sorted(self._retained)]:
                info.wait_for_publish(TIMEOUT)
        finally:
            cleaner.disconnect()
            cleaner.loop_stop()
        self._retained.clear()

    def _new_client(self, client_id: str) -> mqtt.Client:
        # Z2M's default mqtt.version is 4, i.e. MQTT 3.1.1
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
        if self.username is not None:
            client.username_pw_set(self.username, self.password)
        return client

    # ------------------------------------------------------------------ requests
    def wait_for_request(self, predicate: Callable[[str, Any], bool] = lambda _t, _p: True,
                         timeout: float = TIMEOUT) -> tuple[str, Any]:
        """The first request ``(topic, payload)`` matching ``predicate``; its response is already queued."""
        with self._cond:
            match = self._cond.wait_for(lambda: next((r for r in self.requests if predicate(*r)), None), timeout)
        if match is None:
            raise TimeoutError(f"no matching request within {timeout} s; got {self.requests!r}")
        return match

    @property
    def permit_join_open(self) -> bool:
        return self.permit_join_until is not None and time.monotonic() < self.permit_join_until

    def _notify(self, *, subscribed: bool = False, request: tuple[str, Any] | None = None) -> None:
        with self._cond:
            self._subscribed |= subscribed
            if request is not None:
                self.requests.append(request)
            self._cond.notify_all()

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not reason.is_failure:
            client.subscribe(self._t("bridge/request/#"), qos=1)
            if self._subscribed:  # a reconnect: Z2M says it is online again
                self._publish("bridge/state", {"state": "online"}, retain=True, qos=1, wait=False)

    def _on_message(self, _c: mqtt.Client, _u: Any, message: mqtt.MQTTMessage) -> None:
        raw = message.payload.decode("utf-8", "replace")
        try:
            payload: Any = json.loads(raw)
        except json.JSONDecodeError:
            payload = raw  # Z2M's utils.parseJSON(message, message): not JSON stays a string
        key = message.topic[len(self._t("bridge/request/")):]
        handler = {"permit_join": self._permit_join, "health_check": lambda _: {"healthy": True}}.get(key)
        if handler is not None:  # Z2M ignores request keys it does not know; so does the double
            try:
                response: Json = {"data": handler(payload), "status": "ok"}
            except ValueError as error:
                response = {"data": {}, "status": "error", "error": str(error)}
            if isinstance(payload, dict) and "transaction" in payload:
                response["transaction"] = payload["transaction"]
            self._publish(f"bridge/response/{key}", response, wait=False)
        self._notify(request=(message.topic, payload))  # after answering: a waiter sees it answered

    def _permit_join(self, request: Any) -> Json:
        if isinstance(request, bool) or request in ("true", "false"):  # 1.x bare booleans
            request = {"value": request in (True, "true")}
        if isinstance(request, dict):
            if "time" not in request and not isinstance(request.get("value"), bool):
                raise ValueError("Invalid payload")
            if request.get("value") is False or "time" not in request:  # 1.x, no time: until closed
                self._open(math.inf if request["value"] else 0)
                return {"value": request["value"]}
            seconds = _seconds(request["time"])
        else:
            seconds = _seconds(request)  # 2.x also takes a bare number of seconds
        if seconds > MAX_PERMIT_S:
            raise ValueError(f"Cannot permit join for more than {MAX_PERMIT_S} seconds.")
        self._open(seconds)
        if isinstance(request, dict) and "value" in request:  # 1.x {"value": true, "time": N}
            return {"value": seconds > 0, "time": seconds}
        return {"time": seconds}

    def _open(self, seconds: float) -> None:
        self._cancel_timer()
        self.permit_join_until = time.monotonic() + seconds if seconds > 0 else None
        self._permit_end_ms = int((time.time() + seconds) * 1000) if 0 < seconds < math.inf else None
        if self._permit_end_ms is not None:  # Z2M publishes bridge/info again when the window closes
            self._timer = threading.Timer(seconds, self._open, args=(0,))
            self._timer.daemon = True
            self._timer.start()
        with contextlib.suppress(RuntimeError):  # the timer may fire just after stop()
            self._publish_info(wait=False)

    def _cancel_timer(self) -> None:
        if self._timer is not None and self._timer is not threading.current_thread():
            self._timer.cancel()
        self._timer = None

    # ------------------------------------------------------------------ the Zigbee side
    def join(self, device: FakeDevice, *, force: bool = False, interview_fails: bool = False) -> bool:
        """A device asks to join: a closed network never hears it (False) unless ``force`` (someone else
        opened it). A failed interview leaves the device listed, unsupported, as real Z2M does."""
        if not (self.permit_join_open or force):
            return False
        known = self._devices.get(device.friendly_name)
        if known is not None and self._interview.get(known.ieee_address) == "SUCCESSFUL":
            self._publish_devices()  # a known device rejoining is only announced
            self._event("device_announce", device)
            return True
        self._add(device, "PENDING")
        outcome = ("failed", "FAILED") if interview_fails else ("successful", "SUCCESSFUL")
        steps = [("device_joined", None, "PENDING"), ("device_interview", "started", "IN_PROGRESS"),
                 ("device_interview", *outcome)]
        for kind, status, state in steps:
            self._interview[device.ieee_address] = state
            self._publish_devices()  # Z2M republishes the inventory before each event
            data: Json = {} if status is None else {"status": status}
            if status == "successful":
                data |= {"supported": True, "definition": device.definition()}
            self._event(kind, device, **data)
        return True

    def leave(self, name: str) -> None:
        device = self._devices.pop(name)
        self._interview.pop(device.ieee_address, None)
        self._cache.pop(name, None)
        self._publish_devices()
        self._event("device_leave", device)

    def availability(self, name: str, online: bool) -> None:
        self._publish(f"{self._devices[name].friendly_name}/availability",
                      {"state": "online" if online else "offline"}, retain=True, qos=1)

    def report(self, name: str, *, qos: int | None = None, retain: bool = False, **fields: Any) -> Json:
        """Publish (and return) what Z2M with ``cache_state`` sends: the whole cached state plus ``fields``."""
        if self._interview.get(self._devices[name].ieee_address) != "SUCCESSFUL":
            raise ValueError(f"{name!r} was never interviewed: Z2M has no converter for its messages")
        fields.setdefault("linkquality", self.linkquality)  # every Zigbee frame carries one
        message = {**self._cache[name], **fields}
        self._cache[name] = {k: v for k, v in message.items() if k != "action" and not k.startswith("action_")}
        if self.last_seen:
            message["last_seen"] = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._publish(name, message, retain=retain, qos=self.qos if qos is None else qos)
        return message

    def motion(self, name: str, occupied: bool) -> Json:
        return self.report(name, occupancy=occupied)

    def door(self, name: str, open: bool) -> Json:
        return self.report(name, contact=not open)  # contact true = magnet near = closed

    def press(self, name: str, action: str = "emergency") -> Json:
        if action not in (allowed := self._devices[name].actions()):
            raise ValueError(f"{name!r} ({self._devices[name].model}) only sends actions {allowed}")
        return self.report(name, action=action)

    def bed(self, name: str, occupied: bool) -> Json:
        return self.report(name, occupancy=occupied, work_state="presence" if occupied else "none")

    # ------------------------------------------------------------------ publishing
    def _add(self, device: FakeDevice, interview: str) -> None:
        self._devices[device.friendly_name] = device
        self._interview[device.ieee_address] = interview
        self._nwk.setdefault(device.ieee_address, random.randint(1, 0xFFF7))
        self._cache[device.friendly_name] = dict(device.initial_state)

    def _entry(self, d: FakeDevice | None) -> Json:
        if d is None:  # the coordinator, as in the docs' example (2.x counts it as supported)
            return {"ieee_address": self.coordinator, "type": "Coordinator", "network_address": 0,
                    "supported": True, "friendly_name": "Coordinator", "disabled": False, "definition": None,
                    "power_source": None, "model_id": None, "manufacturer": None, "interviewing": False,
                    "interview_completed": True, "interview_state": "SUCCESSFUL", "endpoints": _endpoint([], [])}
        state = self._interview[d.ieee_address]
        done = state == "SUCCESSFUL"
        return {"ieee_address": d.ieee_address, "type": "EndDevice" if d.power_source == "Battery" else "Router",
                "network_address": self._nwk[d.ieee_address], "supported": done, "friendly_name": d.friendly_name,
                "disabled": False, "definition": d.definition() if done else None, "power_source": d.power_source,
                "software_build_id": None, "date_code": None, "model_id": d.model_id if done else None,
                "manufacturer": d.manufacturer if done else None, "interviewing": state == "IN_PROGRESS",
                "interview_completed": done, "interview_state": state,
                "endpoints": _endpoint(["genBasic", "genPowerCfg"], ["genOta"])}

    def _publish_devices(self) -> None:
        self._publish("bridge/devices", [self._entry(None), *map(self._entry, self._devices.values())],
                      retain=True, qos=1)

    def _publish_info(self, wait: bool = True) -> None:
        info: Json = {"version": self.VERSION, "commit": "double", "log_level": "info", "restart_required": False,
                      "coordinator": {"ieee_address": self.coordinator, "type": "zStack3x0", "meta": {}},
                      "network": {"channel": 11, "pan_id": 6754, "extended_pan_id": "0xdddddddddddddddd"},
                      "permit_join": self.permit_join_until is not None, "config": {
                          "mqtt": {"base_topic": self.base},
                          "advanced": {"cache_state": True,
                                       "last_seen": "ISO_8601" if self.last_seen else "disable"}}}
        if self._permit_end_ms is not None:
            info["permit_join_end"] = self._permit_end_ms
        self._publish("bridge/info", info, retain=True, qos=1, wait=wait)

    def _event(self, kind: str, device: FakeDevice, **data: Any) -> None:
        self._publish("bridge/event", {"type": kind, "data": {
            "friendly_name": device.friendly_name, "ieee_address": device.ieee_address, **data}})

    def _publish(self, rest: str, payload: Any, *, retain: bool = False, qos: int = 0, wait: bool = True) -> None:
        # Retained bridge topics go at QoS 1 (Z2M: 0) so that a PUBACK means the broker holds them.
        if self._client is None:
            raise RuntimeError("the Zigbee2MQTT double is not running")
        topic = self._t(rest)
        body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        info = self._client.publish(topic, body, qos=qos, retain=retain)
        if retain:
            self._retained.add(topic)
        if wait:  # never on the network thread, which is the one that would end the wait
            info.wait_for_publish(TIMEOUT)

    def _t(self, rest: str) -> str:
        return f"{self.base}/{rest}"


def _endpoint(inputs: list[str], outputs: list[str]) -> Json:
    return {"1": {"bindings": [], "configured_reportings": [], "scenes": [],
                  "clusters": {"input": inputs, "output": outputs}}}


def _seconds(value: Any) -> int:
    """``Number.parseInt(time, 10)`` as Z2M 2.x does, except that NaN is refused rather than read as 0."""
    number = math.nan
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        with contextlib.suppress(ValueError):
            number = float(value)
    if not math.isfinite(number):
        raise ValueError("Invalid payload")
    return int(number)
