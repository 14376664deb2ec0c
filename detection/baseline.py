"""The fixed-rule baseline the routine model has to beat: the rules a basic telecare box applies.

No movement for 4 hours (the safety monitor with a 4 h limit), not up by 10:00 (no activity in the
kitchen or living areas between 04:00 and 10:00 local time), and a door opened between 23:00 and
06:00. Same interface as ``RoutineModel`` so ``DetectionEngine`` can run it in its place.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from detection.routine_day import DOORS, LIVING
from detection.wording import local_time
from telecare.domain import AlertKind, AlertSignal, ClearSignal, SensorEvent

Signal = AlertSignal | ClearSignal


class FixedRules:
    """Not up by ``up_by`` o'clock; door opened at night.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> from telecare.domain import SensorEvent, DeviceType, Room
    >>> r = FixedRules("h-1", "UTC")
    >>> r.learn_one(SensorEvent("h-1", "d", DeviceType.CONTACT, Room.FRONT_DOOR,
    ...                         datetime(2026, 1, 5, 2, 30, tzinfo=UTC), 1.0))[0].kind.value
    'night_wandering'
    >>> [s.kind.value for s in r.check(datetime(2026, 1, 5, 10, 1, tzinfo=UTC))]
    ['not_up']
    """

    def __init__(self, hub: str, timezone: str, config: object = None, up_by: int = 10) -> None:
        self.hub = hub
        self.timezone = timezone
        self.config = config
        self.up_by = up_by
        self.tz = ZoneInfo(timezone)
        self.up_date = None  # local date on which the person was last seen up
        self.flagged_date = None

    def learn_one(self, event: SensorEvent) -> list[Signal]:
        if not event.active:
            return []
        local = event.ts.astimezone(self.tz)
        signals: list[Signal] = []
        if event.room in LIVING and local.hour >= 4:
            self.up_date = local.date()
        if event.room in DOORS and (local.hour >= 23 or local.hour < 6):
            signals.append(AlertSignal(
                self.hub, AlertKind.NIGHT_WANDERING, event.ts,
                f"Door opened at night, at {local_time(event.ts, self.timezone)}.",
                f"night-door:{event.ts.isoformat()}",
            ))
        return signals

    def note_alert(self, ts: datetime) -> None:
        pass

    def check(self, now: datetime) -> list[Signal]:
        local = now.astimezone(self.tz)
        today = local.date()
        if local.hour < self.up_by or self.up_date == today or self.flagged_date == today:
            return []
        self.flagged_date = today
        return [AlertSignal(
            self.hub, AlertKind.NOT_UP, now, f"No activity in the kitchen or living areas by {self.up_by}:00.",
            f"not-up:{today.isoformat()}",
        )]
