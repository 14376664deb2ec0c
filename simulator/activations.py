"""Activations: what one sensor reported at one instant, and the stream operations on them.

Times are integer milliseconds since the Unix epoch (``ms``) inside the simulator: exact, cheap to
compare, free of daylight-saving arithmetic, and they round-trip through the millisecond timestamps
of the wire format. ``Activation.ts`` gives the timezone-aware datetime.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from telecare.domain import DeviceType

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR


class Activation(NamedTuple):
    """One reading: ``value`` is a bool for binary devices (``True``: activated), else a float."""

    ms: int
    device: str
    value: bool | float

    @property
    def ts(self) -> datetime:
        return to_datetime(self.ms)


def to_datetime(ms: int) -> datetime:
    """Milliseconds since the epoch to an aware UTC datetime (exact: no float rounding)."""
    return EPOCH + timedelta(milliseconds=ms)


def to_ms(when: datetime) -> int:
    """Aware datetime to milliseconds since the epoch (truncates sub-millisecond parts)."""
    if when.tzinfo is None:
        raise ValueError("simulator times must be timezone-aware")
    return (when - EPOCH) // timedelta(milliseconds=1)


def local_ms(day: date, hour: float, tz: ZoneInfo) -> int:
    """The instant a local clock in ``tz`` shows ``hour`` (may exceed 24) on ``day``.

    Built from the local wall time, then converted, so 07:00 stays 07:00 across a clock change.
    """
    days, rest = divmod(hour, 24.0)
    seconds = round(rest * 3600)
    wall = datetime.combine(day + timedelta(days=int(days)), time(0), tzinfo=tz)
    return to_ms(wall + timedelta(seconds=seconds))


def merge_sorted(*streams: Iterable[Activation]) -> Iterator[Activation]:
    """Merge time-ordered streams; ties keep the order of ``streams`` (deterministic)."""
    return heapq.merge(*streams, key=lambda a: a.ms)


def consistent_states(
    stream: Iterable[Activation], types: Mapping[str, DeviceType]
) -> Iterator[Activation]:
    """Drop binary readings that repeat the device's current state.

    Scenarios cut pieces out of a day (a fall silences the home); what is left can hold a ``False``
    for a mat nobody sat on, or a second ``True``. A real sensor reports changes, so repeats are
    dropped.
    """
    state: dict[str, bool] = {}
    for act in stream:
        dtype = types.get(act.device)
        if dtype is not None and dtype.is_binary:
            if state.get(act.device, False) == act.value:
                continue
            state[act.device] = bool(act.value)
        yield act


def within_window(
    stream: Iterable[Activation],
    start_ms: int,
    end_ms: int,
    types: Mapping[str, DeviceType],
) -> Iterator[Activation]:
    """Keep ``start_ms <= ms < end_ms``; at the start, re-announce the binary devices already on.

    The simulation begins a day early so the resident is somewhere when the window opens (usually in
    bed); a hub switched on at that moment would report the mat as occupied, so we do too.
    """
    active: dict[str, bool] = {}
    opened = False
    for act in stream:
        if act.ms >= end_ms:
            break
        if act.ms < start_ms:
            dtype = types.get(act.device)
            if dtype is not None and dtype.is_binary:
                active[act.device] = bool(act.value)
            continue
        if not opened:
            opened = True
            yield from (Activation(start_ms, dev, True) for dev, on in active.items() if on)
        yield act
    if not opened:
        yield from (Activation(start_ms, dev, True) for dev, on in active.items() if on)
