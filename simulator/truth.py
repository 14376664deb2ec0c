"""Ground truth: what a simulation injected and when, so detection can be scored against it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class GroundTruth:
    """What was injected, to score detection. ``kind``: alert kind, "duplicate" or "malformed"."""

    kind: str
    hub: str
    start: datetime
    end: datetime | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "hub": self.hub,
            "start": self.start.isoformat(timespec="milliseconds"),
            "end": self.end.isoformat(timespec="milliseconds") if self.end else None,
            "detail": dict(self.detail),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroundTruth:
        end = data.get("end")
        return cls(
            kind=data["kind"],
            hub=data["hub"],
            start=datetime.fromisoformat(data["start"]),
            end=datetime.fromisoformat(end) if end else None,
            detail=dict(data.get("detail") or {}),
        )
