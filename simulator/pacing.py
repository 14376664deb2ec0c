"""Pacing: holding events back until a clock reaches their time, and capping the event rate."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from telecare.clock import AcceleratedClock, Clock


class Pacer:
    """Waits until ``clock.now()`` reaches an event's time; with no clock, never waits.

    ``max_rate`` (events per second, 0: none) also spaces events out in wall time. A broker
    queues only so much for each subscriber (Mosquitto: 1000 messages by default) and silently
    drops the rest, so a consumer slower than an unpaced simulator loses events without it.
    Waiting uses ``threading.Event.wait`` with a timeout: ``stop.set()`` ends it at once.
    """

    def __init__(
        self,
        clock: Clock | None = None,
        stop: threading.Event | None = None,
        max_rate: float = 0.0,
    ) -> None:
        self.clock = clock
        self.stop = stop or threading.Event()
        self.max_rate = max_rate
        self._released = 0
        self._began: float | None = None

    @classmethod
    def at_speed(
        cls,
        start: datetime,
        speed: float,
        stop: threading.Event | None = None,
        max_rate: float = 0.0,
    ) -> Pacer:
        """``speed`` 0: as fast as possible; 1: real time from ``start``; N: N times faster."""
        return cls(AcceleratedClock(start, speed) if speed > 0 else None, stop, max_rate)

    def wait_until(self, when: datetime) -> bool:
        """Block until the clock reaches ``when`` and the rate allows; ``False`` if stopped."""
        while self.clock is not None and not self.stop.is_set():
            now = self.clock.now()
            if now >= when:
                break
            if isinstance(self.clock, AcceleratedClock):
                wait = self.clock.wall_seconds_until(when)
            else:  # a clock moved by someone else: look again soon
                wait = 0.05
            self.stop.wait(min(max(wait, 0.001), 1.0))
        if self.max_rate > 0:
            self._began = self._began if self._began is not None else time.monotonic()
            due = self._began + self._released / self.max_rate
            while not self.stop.is_set() and time.monotonic() < due:
                self.stop.wait(min(due - time.monotonic(), 1.0))
            self._released += 1
        return not self.stop.is_set()
