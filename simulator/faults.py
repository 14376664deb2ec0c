"""Ingest-level faults a real deployment sees: duplicated messages and malformed payloads.

These change what reaches the broker, not what the resident does, so they live outside the events
stream: the publisher (or the events-file writer) asks ``DuplicateChooser`` which events to send
twice, and ``malformed_messages`` builds raw payloads to publish as they are.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from simulator.scenarios import GroundTruth

# Each is something ingest must reject without falling over; the order is the order they are
# produced, so asking for at least len(MALFORMED_REASONS) messages covers every case.
MALFORMED_REASONS = (
    "not_json",
    "missing_ts",
    "bad_ts",
    "missing_value",
    "bad_value_type",
    "unknown_device",
    "type_mismatch",
    "oversized",
    "future_ts",
)
OVERSIZED_BYTES = 5 * 1024  # over the 4 KiB limit ingest applies


@dataclass(frozen=True, slots=True)
class RawMessage:
    """A payload to publish as-is on ``<prefix>/<hub>/<topic_suffix>`` at event time ``at``."""

    topic_suffix: str
    payload: bytes
    reason: str
    at: datetime

    def truth(self, hub: str) -> GroundTruth:
        return GroundTruth(
            "malformed", hub, self.at, None, {"reason": self.reason, "topic": self.topic_suffix}
        )


class DuplicateChooser:
    """Decides, event by event, whether to send it twice; seeded, so file and broker runs agree."""

    def __init__(self, fraction: float, seed: int | str, hub: str) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("the duplicate fraction must be between 0 and 1")
        self.fraction = fraction
        self._rng = random.Random(f"{seed}/{hub}/duplicates")

    def __call__(self) -> bool:
        return self.fraction > 0 and self._rng.random() < self.fraction


def duplicates_truth(
    hub: str, start: datetime, end: datetime, fraction: float, count: int
) -> GroundTruth:
    """One record per home saying how many events were repeated."""
    return GroundTruth("duplicate", hub, start, end, {"fraction": fraction, "count": count})


def malformed_messages(
    household: dict[str, Any], count: int, start: datetime, end: datetime, seed: int | str
) -> list[RawMessage]:
    """``count`` bad messages for the household's hub, spread over ``[start, end)`` in time order.

    Reasons cycle through ``MALFORMED_REASONS``. Topics use real device ids except for
    ``unknown_device``, so the only thing wrong with each message is its stated reason.
    """
    rng = random.Random(f"{seed}/{household['hub']}/malformed")
    # Motion and door sensors only: were a bad message wrongly accepted, it must not raise a smoke
    # alarm.
    devices = [d for d in household["devices"] if d["type"] in ("motion", "contact")] or household[
        "devices"
    ]
    span = (end - start).total_seconds()
    times = sorted(start + timedelta(seconds=round(rng.uniform(0, span), 3)) for _ in range(count))
    messages = []
    for index, at in enumerate(times):
        reason = MALFORMED_REASONS[index % len(MALFORMED_REASONS)]
        device = rng.choice(devices)
        messages.append(_malformed(reason, device, at, index))
    return messages


def _malformed(reason: str, device: dict[str, Any], at: datetime, index: int) -> RawMessage:
    ts = at.isoformat(timespec="milliseconds")
    good: dict[str, Any] = {"ts": ts, "value": True, "type": device["type"]}
    topic = f"{device['id']}/event"
    if reason == "not_json":
        payload: bytes = b"\x00not json {" + str(index).encode()
    elif reason == "missing_ts":
        payload = _json({"value": True})
    elif reason == "bad_ts":
        payload = _json({"ts": "yesterday at noon", "value": True})
    elif reason == "missing_value":
        payload = _json({"ts": ts})
    elif reason == "bad_value_type":
        payload = _json({"ts": ts, "value": "on"})
    elif reason == "unknown_device":
        topic, payload = f"ghost-{index}/event", _json(good)
    elif reason == "type_mismatch":
        wrong = "temperature" if device["type"] != "temperature" else "motion"
        payload = _json({**good, "type": wrong})
    elif reason == "oversized":
        payload = _json({**good, "note": "x" * OVERSIZED_BYTES})
    elif reason == "future_ts":
        payload = _json({**good, "ts": (at + timedelta(days=2)).isoformat(timespec="milliseconds")})
    else:  # pragma: no cover - MALFORMED_REASONS and this chain are kept together
        raise ValueError(reason)
    return RawMessage(topic, payload, reason, at)


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()
