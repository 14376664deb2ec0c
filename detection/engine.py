"""The detection engine: one monitor per household, fed in event time. No I/O here.

The live service, ``replay`` and the tests all drive this same class: the service hands it committed
events and clock ticks; replay hands it an events file and a manual clock.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from datetime import datetime

from detection.safety import SafetyConfig, SafetyMonitor, Signal
from telecare.domain import SensorEvent


class DetectionEngine:
    def __init__(self, config: SafetyConfig | None = None) -> None:
        self.config = config or SafetyConfig()
        self.monitors: dict[str, SafetyMonitor] = {}

    def add_household(self, hub: str, timezone: str) -> SafetyMonitor:
        monitor = self.monitors.get(hub)
        if monitor is None:
            monitor = self.monitors[hub] = SafetyMonitor(hub, timezone, self.config)
        return monitor

    def restore(self, hub: str, blob: bytes) -> SafetyMonitor:
        monitor = pickle.loads(blob)  # noqa: S301 - our own state, from our own database
        monitor.config = self.config  # settings may have changed since the snapshot
        self.monitors[hub] = monitor
        return monitor

    def dump(self, hub: str) -> bytes:
        return pickle.dumps(self.monitors[hub], protocol=pickle.HIGHEST_PROTOCOL)

    def process(self, events: Iterable[SensorEvent]) -> list[Signal]:
        signals: list[Signal] = []
        for event in events:
            monitor = self.monitors.get(event.hub)
            if monitor is not None:
                signals += monitor.observe(event)
        return signals

    def hub_status(self, hub: str, online: bool, at: datetime) -> list[Signal]:
        monitor = self.monitors.get(hub)
        return monitor.hub_status(online, at) if monitor else []

    def tick(self, now: datetime) -> list[Signal]:
        signals: list[Signal] = []
        for monitor in self.monitors.values():
            signals += monitor.check(now)
        return signals
