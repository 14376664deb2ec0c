"""A hub in pairing mode: it announces its new sensors, then an installer tests each one.

The pairing contract (QoS 1, not retained), one message per sensor::

    <prefix>/<hub>/pairing   {"device": "m-bedroom", "type": "motion", "model": "PIR motion sensor"}

``device`` matches ``DEVICE_ID``, ``type`` is a ``DeviceType`` value and ``model`` is free text of at
most ``MODEL_MAX_CHARS`` characters; the announcement carries no room, the installer names that.
The service accepts announcements only while the household is in pairing mode, so a hub in pairing
mode keeps announcing until its sensors are accepted. Once the installer has named a sensor, its
events use the normal topic ``<prefix>/<hub>/<device>/event`` and payload
(``simulator.eventsfile.mqtt_payload``).

``STANDARD_KIT`` is a typical installation; ``PairingHub`` announces it, fires one sensor at a time
as an installer walking round the home would, and ``run`` does both until told to stop::

    stop = threading.Event()
    with PairingHub.connect("h-0042", host="127.0.0.1") as hub:
        hub.run(stop)  # another thread (or a signal handler) calls stop.set()
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from simulator.faults import RawMessage
from simulator.homes import MAINS_POWERED
from simulator.publisher import HubPublisher
from telecare.domain import DeviceType, Room

__all__ = [
    "DEVICE_ID",
    "KIT_BATTERY",
    "MODEL_MAX_CHARS",
    "PAIRING_LEAF",
    "STANDARD_KIT",
    "KitSensor",
    "PairingCounts",
    "PairingHub",
    "utc_now",
]

PAIRING_LEAF = "pairing"
DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")  # hub ids follow the same rule
MODEL_MAX_CHARS = 100
KIT_BATTERY = 90  # percent: new sensors come with fresh batteries
RELEASE_GAP = timedelta(milliseconds=1)  # least time between a test activation and its release


def utc_now() -> datetime:
    return datetime.now(UTC)


def _check_value(dtype: DeviceType, value: object, device: str) -> None:
    if dtype.is_binary:
        if type(value) is not bool:
            raise ValueError(f"{device}: a {dtype.value} sensor reports true or false")
    elif type(value) not in (int, float) or not math.isfinite(value):  # type: ignore[arg-type]
        raise ValueError(f"{device}: a {dtype.value} sensor reports a finite number")


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("event times must be timezone-aware (RFC 3339 needs an offset)")
    return when


@dataclass(frozen=True, slots=True)
class KitSensor:
    """One sensor of an installation kit.

    ``room_hint`` says where an installer would put it (for people and tests: the announcement has
    no room). ``test_value`` is what the sensor reports when tested: ``True`` for binary types
    (motion seen, door opened, button pressed...), a number for measurements.
    """

    device: str
    type: DeviceType
    model: str
    room_hint: Room
    test_value: bool | float = True

    def __post_init__(self) -> None:
        if not isinstance(self.device, str) or not DEVICE_ID.fullmatch(self.device):
            raise ValueError(f"device id {self.device!r} does not match {DEVICE_ID.pattern}")
        if not isinstance(self.type, DeviceType):
            raise TypeError(f"{self.device}: type must be a DeviceType, not {self.type!r}")
        if not isinstance(self.model, str) or len(self.model) > MODEL_MAX_CHARS:
            raise ValueError(f"{self.device}: model is text of at most {MODEL_MAX_CHARS} characters")
        _check_value(self.type, self.test_value, self.device)

    def announcement(self) -> dict[str, str]:
        """The pairing payload as a dict: ``{"device", "type", "model"}``."""
        return {"device": self.device, "type": self.type.value, "model": self.model}

    def announcement_payload(self) -> bytes:
        return json.dumps(self.announcement(), separators=(",", ":"), ensure_ascii=False).encode()


# In the order an installer walks round a one-bedroom home testing them.
STANDARD_KIT: tuple[KitSensor, ...] = (
    KitSensor("d-front", DeviceType.CONTACT, "Magnetic door contact", Room.FRONT_DOOR, True),
    KitSensor("m-kitchen", DeviceType.MOTION, "PIR motion sensor, wall mount", Room.KITCHEN, True),
    KitSensor("a-kettle", DeviceType.APPLIANCE, "Smart plug, appliance on/off", Room.KITCHEN, True),
    KitSensor("m-bedroom", DeviceType.MOTION, "PIR motion sensor, ceiling mount", Room.BEDROOM, True),
    KitSensor("b-bed", DeviceType.BED, "Bed occupancy pad", Room.BEDROOM, True),
    KitSensor("m-bathroom", DeviceType.MOTION, "PIR motion sensor, ceiling mount", Room.BATHROOM, True),
    KitSensor("f-toilet", DeviceType.FLUSH, "Toilet flush sensor", Room.TOILET, True),
    KitSensor("p-help", DeviceType.BUTTON, "Help pendant, worn round the neck", Room.OTHER, True),
)


@dataclass
class PairingCounts:
    """What a ``run`` sent: announcement rounds (every sensor once each) and events."""

    rounds: int = 0
    events: int = 0


class PairingHub:
    """A hub in pairing mode over a connected ``HubPublisher``.

    Parameters
    ----------
    publisher : HubPublisher
        Connected; its hub id and topic prefix are used. ``close()`` closes it only when this object
        built it (``PairingHub.connect``).
    kit : sequence of KitSensor
        The hub's sensors; ids must differ.
    clock : callable returning an aware datetime
        Event time for ``fire`` (default: UTC now).
    """

    def __init__(
        self,
        publisher: HubPublisher,
        *,
        kit: Sequence[KitSensor] = STANDARD_KIT,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if not DEVICE_ID.fullmatch(publisher.hub):
            raise ValueError(f"hub id {publisher.hub!r} does not match {DEVICE_ID.pattern}")
        self.publisher = publisher
        self.kit = tuple(kit)
        self.clock = clock
        self._sensors = {s.device: s for s in self.kit}
        if len(self._sensors) != len(self.kit):
            raise ValueError("the kit names a device id twice")
        self._seq: dict[str, int] = {}
        self._lock = threading.Lock()
        self._owns_publisher = False

    @classmethod
    def connect(
        cls,
        hub: str,
        *,
        kit: Sequence[KitSensor] = STANDARD_KIT,
        clock: Callable[[], datetime] = utc_now,
        timeout: float = 10.0,
        **publisher_options: Any,
    ) -> PairingHub:
        """Build a ``HubPublisher`` for ``hub``, connect it (CONNACK, status online), wrap it.

        Raises ``PublishError`` when the broker cannot be reached or refuses the hub.
        """
        if not DEVICE_ID.fullmatch(hub):
            raise ValueError(f"hub id {hub!r} does not match {DEVICE_ID.pattern}")
        # host, port, username, password, tls, protocol, topic_prefix, ack_timeout: as HubPublisher's
        publisher = HubPublisher(hub, **{"ack_timeout": 30.0, **publisher_options})
        publisher.connect(timeout=timeout)
        paired = cls(publisher, kit=kit, clock=clock)
        paired._owns_publisher = True
        return paired

    @property
    def hub(self) -> str:
        return self.publisher.hub

    @property
    def pairing_topic(self) -> str:
        return f"{self.publisher.prefix}/{self.hub}/{PAIRING_LEAF}"

    def event_topic(self, device: str) -> str:
        return f"{self.publisher.prefix}/{self.hub}/{device}/event"

    def sensor(self, device: str | KitSensor) -> KitSensor:
        key = device.device if isinstance(device, KitSensor) else device
        try:
            return self._sensors[key]
        except KeyError:
            raise ValueError(f"{key!r} is not one of this hub's sensors") from None

    def announce(self, sensors: Iterable[KitSensor | str] | None = None) -> tuple[KitSensor, ...]:
        """Publish one announcement per sensor (default: the whole kit) and wait for the PUBACKs.

        Returns the sensors announced. Raises ``PublishError`` if the broker does not acknowledge.
        """
        chosen = self.kit if sensors is None else tuple(self.sensor(s) for s in sensors)
        with self._lock:
            for sensor in chosen:
                # publish_raw sends the bytes as given on <prefix>/<hub>/<suffix> at QoS 1, not
                # retained; the RawMessage's reason and time are only read by the fault records.
                self.publisher.publish_raw(
                    RawMessage(PAIRING_LEAF, sensor.announcement_payload(), "pairing", self.clock())
                )
            self.publisher.wait_for_acks()
        return chosen

    def fire(
        self, device: str | KitSensor, value: bool | float | None = None, ts: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Publish a real event from one sensor, as the installer testing it makes it send.

        With no ``value``, a binary sensor reports its ``test_value`` and then, at least a
        millisecond later, the opposite (motion cleared, door closed, out of bed, button released),
        since sensors report changes and the next test must be a change again; a measurement
        reports its ``test_value``. With a ``value``, exactly that one reading is sent. ``ts``
        (aware) defaults to the clock. Each event gets the device's next ``seq`` (from 1), the
        device type, and ``battery`` unless the type is mains-powered.

        Returns the events-file records published (payload plus ``device``), after their PUBACKs.
        """
        sensor = self.sensor(device)
        explicit = value is not None
        values = [value] if explicit else [sensor.test_value]
        _check_value(sensor.type, values[0], sensor.device)
        if not explicit and sensor.type.is_binary:
            values.append(not sensor.test_value)
        when = _aware(ts if ts is not None else self.clock())
        records = []
        with self._lock:
            for i, reading in enumerate(values):
                if i:  # the release: now, but never at or before the activation
                    when = max(_aware(self.clock()), when + RELEASE_GAP)
                number = self._seq[sensor.device] = self._seq.get(sensor.device, 0) + 1
                record: dict[str, Any] = {
                    "device": sensor.device,
                    "ts": when.isoformat(timespec="milliseconds"),
                    "value": reading if sensor.type.is_binary else float(reading),
                    "seq": number,
                }
                if sensor.type not in MAINS_POWERED:
                    record["battery"] = KIT_BATTERY
                record["type"] = sensor.type.value
                self.publisher.publish_event(record)
                records.append(record)
            self.publisher.wait_for_acks()
        return records

    def run(
        self,
        stop: threading.Event,
        announce_every_s: float = 5.0,
        fire_every_s: float = 3.0,
        *,
        on_announce: Callable[[int, tuple[KitSensor, ...]], None] | None = None,
        on_fire: Callable[[list[dict[str, Any]]], None] | None = None,
    ) -> PairingCounts:
        """Announce every sensor every ``announce_every_s`` and fire the next sensor in kit order
        every ``fire_every_s`` (both at once on entry), until ``stop`` is set.

        ``on_announce(round, sensors)`` and ``on_fire(records)`` are called after each round and
        each fire. Waiting is ``stop.wait``, so setting ``stop`` ends the run at once (a publish
        under way still gets its PUBACK). A ``PublishError`` ends the run by propagating.
        """
        if announce_every_s <= 0 or fire_every_s <= 0:
            raise ValueError("announce_every_s and fire_every_s must be positive")
        counts = PairingCounts()
        walk = itertools.cycle(self.kit)
        next_announce = next_fire = time.monotonic()
        while not stop.is_set():
            now = time.monotonic()
            if now >= next_announce:
                announced = self.announce()
                counts.rounds += 1
                next_announce = now + announce_every_s
                if on_announce is not None:
                    on_announce(counts.rounds, announced)
            if self.kit and now >= next_fire and not stop.is_set():
                records = self.fire(next(walk))
                counts.events += len(records)
                next_fire = now + fire_every_s
                if on_fire is not None:
                    on_fire(records)
            due = min(next_announce, next_fire) if self.kit else next_announce
            stop.wait(max(0.0, due - time.monotonic()))
        return counts

    def close(self, timeout: float | None = None) -> None:
        """Wait for outstanding PUBACKs (``timeout`` each, default the publisher's); disconnect
        the publisher if ``connect`` built it, even when a PUBACK is missing."""
        if self._owns_publisher:
            self.publisher.close(timeout=timeout)
        else:
            self.publisher.wait_for_acks(timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

