"""Derived data for the families' feed: one row per household and completed local day.

``DailyActivity`` holds what ``web.activity`` computes for a day (the ``DayMetrics`` fields and the
per-room quarter-hour activity counts behind the typical day), so the feed reads a few small rows
instead of four weeks of raw events. Rows are a cache: any of them may be deleted at any time and is
recomputed from the events on the next read. ``event_count`` and ``max_event_id`` describe the events
the row was computed from (all events of the household in the day's window, whatever the device) and
``source`` the rules and the devices (type, room); a row whose description no longer matches the store
(an event arrived late, a device moved room, the rules changed) is recomputed, never trusted.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from telecare.models import Base, UTCDateTime, utcnow


class DailyActivity(Base):
    __tablename__ = "daily_activity"

    # The primary key is the (household_id, day) uniqueness that concurrent writers rely on.
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)  # the household's local calendar day
    got_up: Mapped[int | None] = mapped_column(Integer, nullable=True)
    went_to_bed: Mapped[int | None] = mapped_column(Integer, nullable=True)
    night_toilet_visits: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kitchen_visits: Mapped[int | None] = mapped_column(Integer, nullable=True)
    minutes_out: Mapped[int | None] = mapped_column(Integer, nullable=True)
    activity: Mapped[int] = mapped_column(Integer)
    # {room: 96 counts}, activity events in each local quarter-hour of the day (rooms with any only).
    rooms: Mapped[dict[str, Any]] = mapped_column(JSON)
    event_count: Mapped[int] = mapped_column(Integer)
    max_event_id: Mapped[int] = mapped_column(BigInteger)  # 0 without events
    source: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
