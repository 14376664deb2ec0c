"""Events, ground-truth and malformed-message files (JSON Lines), written and read line by line.

An events file holds one hub's events, sorted by ``ts``: each line is the MQTT event payload plus
``"device"``, e.g.
``{"device":"m-kitchen","ts":"2026-01-05T07:41:13.250+00:00","value":true,"seq":12}``. Lines are
compact and keys keep their order, so the same events always give the same bytes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from simulator.faults import RawMessage
from simulator.scenarios import GroundTruth


def event_line(event: dict[str, Any]) -> str:
    """One events-file line (without the newline)."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def write_events(
    path: str | Path,
    events: Iterable[dict[str, Any]],
    repeat: Callable[[], bool] | None = None,
) -> tuple[int, int]:
    """Stream ``events`` to ``path``; return (events written, duplicate lines written).

    ``repeat`` is asked after each event whether to write it a second time, identically, as a hub
    re-sending an unacknowledged message would (see ``simulator.faults.DuplicateChooser``).
    """
    written = repeated = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for event in events:
            line = event_line(event) + "\n"
            out.write(line)
            written += 1
            if repeat is not None and repeat():
                out.write(line)
                repeated += 1
    return written, repeated


def read_events(path: str | Path) -> Iterator[dict[str, Any]]:
    """Yield the events of ``path`` in file order; blank lines are skipped.

    Raises
    ------
    ValueError
        On a line that is not a JSON object, naming the file and line number.
    """
    with open(path, encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from exc
            if not isinstance(event, dict):
                raise ValueError(f"{path}:{number}: an event is a JSON object")
            yield event


def mqtt_payload(event: dict[str, Any]) -> bytes:
    """The bytes a hub publishes for an events-file record: the record without ``device``."""
    return json.dumps(
        {k: v for k, v in event.items() if k != "device"}, separators=(",", ":")
    ).encode()


def write_truth(path: str | Path, truths: Iterable[GroundTruth]) -> int:
    """Write ground-truth records as JSON Lines; return how many."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for truth in truths:
            out.write(json.dumps(truth.to_dict(), separators=(",", ":")) + "\n")
            count += 1
    return count


def read_truth(path: str | Path) -> list[GroundTruth]:
    with open(path, encoding="utf-8") as source:
        return [GroundTruth.from_dict(json.loads(line)) for line in source if line.strip()]


def write_raw_messages(path: str | Path, messages: Iterable[RawMessage]) -> int:
    """Save malformed payloads (base64: some are not text) so a replay can publish them later."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for message in messages:
            record = {
                "at": message.at.isoformat(timespec="milliseconds"),
                "topic": message.topic_suffix,
                "reason": message.reason,
                "payload_b64": base64.b64encode(message.payload).decode("ascii"),
            }
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
            count += 1
    return count


def read_raw_messages(path: str | Path) -> list[RawMessage]:
    with open(path, encoding="utf-8") as source:
        records = [json.loads(line) for line in source if line.strip()]
    return [
        RawMessage(
            r["topic"],
            base64.b64decode(r["payload_b64"]),
            r["reason"],
            datetime.fromisoformat(r["at"]),
        )
        for r in records
    ]
