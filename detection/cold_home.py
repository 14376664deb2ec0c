"""A cold home: a thermometer at or below an absolute limit for an hour. No learning needed.

Cold is a danger on its own (falls, chest infections, hypothermia for someone who sits still), and
an older person living alone may not notice or may be rationing the heating. So ``cold_home`` is a
safety rule: it fires from the first day a home is live, in away mode too (pipes freeze in an empty
house), and never depends on a learned normal. The default limits follow UK public-health guidance
(below 16 °C raises the risk of respiratory illness): cold at 16 °C or less for an hour, warm again
at 17 °C or more (the gap stops one reading either side of 16 °C opening and closing alerts).

Each thermometer's usual temperature is followed (a slow average of the readings that were not cold)
only to say in the alert how far today is from it. A reading older than ``fresh`` says nothing about
now: a thermometer that stopped reporting is ``device_offline``, not a cold home.

>>> from datetime import UTC, datetime, timedelta
>>> from telecare.domain import DeviceType, Room, SensorEvent
>>> cold = ColdHome("hub-1", "UTC")
>>> t0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
>>> def reading(minutes, celsius):
...     at = t0 + timedelta(minutes=minutes)
...     return cold.learn_one(SensorEvent("hub-1", "temp", DeviceType.TEMPERATURE, Room.LIVING_ROOM,
...                                       at, celsius))
>>> sum((reading(30 * n - 360, 19.5) for n in range(12)), [])   # a warm evening
[]
>>> reading(0, 19.5) + reading(30, 15.8) + reading(60, 15.5)   # cold for 30 min: not yet
[]
>>> [s.summary for s in cold.score_one(t0 + timedelta(minutes=91))]
['The living room is 15.5 °C: at or below 16 °C since 01:30 (1 h 01 min). It is usually about 19.5 °C.']
>>> reading(120, 16.6)   # between the limits: still cold
[]
>>> [type(s).__name__ for s in reading(150, 17.2)]
['ClearSignal']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from detection.versioned import VersionedState
from detection.wording import duration, in_room, local_time
from telecare.domain import AlertKind, AlertSignal, ClearSignal, DeviceType, SensorEvent

Signal = AlertSignal | ClearSignal
_USUAL_WEIGHT = 0.01  # a slow average: about the last 100 readings (two days at one per half hour)
_USUAL_AFTER = 12  # readings before "usually" is said at all


@dataclass(frozen=True, slots=True)
class ColdLimits:
    """When a home is cold. ``cold_c`` and ``lasting`` make the alert; ``warm_c`` clears it."""

    cold_c: float = 16.0
    warm_c: float = 17.0
    lasting: timedelta = timedelta(hours=1)
    fresh: timedelta = timedelta(hours=3)

    def __post_init__(self) -> None:
        if self.warm_c <= self.cold_c:
            raise ValueError("the warm limit must be above the cold limit")


@dataclass(slots=True)
class _Thermometer:
    room: str
    at: datetime
    celsius: float
    cold_since: datetime | None = None
    usual: float | None = None
    readings: int = 0  # readings that went into ``usual``


class ColdHome(VersionedState):
    """One household's thermometers, judged against absolute limits.

    Parameters
    ----------
    hub
        The household's hub id (every signal carries it).
    timezone
        IANA zone of the home, for the times written in summaries.
    limits
        When the home counts as cold; the defaults suit a home where someone older lives.
    """

    STATE_VERSION = 1

    def __init__(self, hub: str, timezone: str, limits: ColdLimits | None = None) -> None:
        self.hub = hub
        self.timezone = timezone
        self.limits = limits or ColdLimits()
        self.thermometers: dict[str, _Thermometer] = {}
        self.alerted: str | None = None  # key of the open alert

    def learn_one(self, event: SensorEvent) -> list[Signal]:
        if event.device_type is not DeviceType.TEMPERATURE:
            return []
        t = self.thermometers.get(event.device)
        if t is None:
            t = self.thermometers[event.device] = _Thermometer(str(event.room), event.ts, event.value)
        elif event.ts <= t.at:
            return []  # a late reading does not move time backwards
        t.at, t.celsius, t.room = event.ts, event.value, str(event.room)
        if event.value <= self.limits.cold_c:
            t.cold_since = t.cold_since or event.ts
        elif event.value >= self.limits.warm_c or t.cold_since is None:
            t.cold_since = None
            # Protect the usual from what is flagged: cold readings are never learned.
            t.usual = event.value if t.usual is None else t.usual + _USUAL_WEIGHT * (event.value - t.usual)
            t.readings += 1
        if self.alerted is not None and all(x.cold_since is None for x in self.thermometers.values()):
            self.alerted = None
            where = in_room(t.room)
            return [
                ClearSignal(
                    hub=self.hub,
                    kind=AlertKind.COLD_HOME,
                    ts=event.ts,
                    summary=f"Warm again: {event.value:.1f} °C {where} at {local_time(event.ts, self.timezone)}.",
                )
            ]
        return self.score_one(event.ts)

    def score_one(self, now: datetime) -> list[AlertSignal]:
        if self.alerted is not None:
            return []
        cold = [
            (t.cold_since, device, t)
            for device, t in self.thermometers.items()
            if t.cold_since is not None
            and now - t.cold_since >= self.limits.lasting
            and now - t.at <= self.limits.fresh
        ]
        if not cold:
            return []
        since, device, t = min(cold, key=lambda c: c[0])
        self.alerted = key = f"{device}@{since.isoformat()}"
        place = t.room.replace("_", " ") if in_room(t.room) else "home"
        usual = (
            f" It is usually about {t.usual:.1f} °C."
            if t.usual is not None and t.readings >= _USUAL_AFTER
            else ""
        )
        return [
            AlertSignal(
                hub=self.hub,
                kind=AlertKind.COLD_HOME,
                ts=now,
                key=key,
                summary=(
                    f"The {place} is {t.celsius:.1f} °C: at or below {self.limits.cold_c:g} °C since "
                    f"{local_time(since, self.timezone)} ({duration(now - since)}).{usual}"
                ),
                evidence={
                    "device": device,
                    "room": t.room,
                    "celsius": t.celsius,
                    "cold_since": since.isoformat(),
                    "limit_celsius": self.limits.cold_c,
                    "usual_celsius": round(t.usual, 1) if t.usual is not None else None,
                },
            )
        ]
