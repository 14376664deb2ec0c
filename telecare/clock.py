"""Clocks. Detection never calls ``datetime.now()``: it asks the clock it was given.

Live, the clock is the wall clock. In a demo it is an accelerated clock shared by the simulator and the
service. In replay and tests it is a manual clock that the driver moves, so a simulated month runs in
seconds and every run gives the same answer.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:  # timezone-aware UTC
        ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to. Thread-safe; never goes backwards.

    >>> from datetime import datetime, timedelta, UTC
    >>> c = ManualClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    >>> c.advance(timedelta(minutes=5)).isoformat()
    '2026-01-05T08:05:00+00:00'
    >>> c.set(datetime(2026, 1, 5, 7, 0, tzinfo=UTC)).isoformat()  # ignored: earlier
    '2026-01-05T08:05:00+00:00'
    """

    def __init__(self, start: datetime) -> None:
        _require_aware(start)
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> datetime:
        _require_aware(when)
        with self._lock:
            if when > self._now:
                self._now = when
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


class AcceleratedClock:
    """Runs ``speed`` times faster than the wall clock from ``start`` (the demo's simulated day)."""

    def __init__(self, start: datetime, speed: float) -> None:
        _require_aware(start)
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.start = start
        self.speed = speed
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._origin) * self.speed)

    def wall_seconds_until(self, when: datetime) -> float:
        return max(0.0, (when - self.now()).total_seconds() / self.speed)


def _require_aware(when: datetime) -> None:
    if when.tzinfo is None:
        raise ValueError("clock times must be timezone-aware")
