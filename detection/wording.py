"""Plain-language pieces shared by every detector's summaries."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def local_time(ts: datetime, timezone: str) -> str:
    return ts.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def duration(delta: timedelta) -> str:
    """``duration(timedelta(hours=3, minutes=5))`` -> ``'3 h 05 min'``."""
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes:02d} min"
    if hours:
        return f"{hours} h"
    return f"{minutes} min"


def in_room(room: str | None) -> str:
    """Where, as words that follow a verb: ``'in the kitchen'``; empty when the room is unknown."""
    if not room or room == "other":
        return ""
    return {"front_door": "at the front door", "back_door": "at the back door"}.get(
        room, f"in the {room.replace('_', ' ')}"
    )


def joined(*parts: str) -> str:
    """Words joined by single spaces, skipping empty ones."""
    return " ".join(p for p in parts if p)
