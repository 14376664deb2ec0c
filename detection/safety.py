"""Safety rules that need no learning: they fire from the first day a home is live.

Help button, fall detector, smoke, water leak, and no sign of the person for longer than an absolute
limit (a cold home is ``detection.cold_home``, kept apart). The routine model (issue "routine
learning") adds the learned kinds on top of these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from detection.cold_home import ColdLimits
from detection.wording import duration, in_room, joined, local_time
from telecare.domain import AlertKind, AlertSignal, ClearSignal, DeviceType, Room, SensorEvent

Signal = AlertSignal | ClearSignal

STATE_VERSION = 1

_HAZARDS = {
    DeviceType.BUTTON: (AlertKind.HELP_REQUEST, "Help button pressed"),
    DeviceType.FALL: (AlertKind.FALL, "Fall detected by the fall sensor"),
    DeviceType.SMOKE: (AlertKind.SMOKE, "Smoke detected"),
    DeviceType.WATER_LEAK: (AlertKind.WATER_LEAK, "Water leak detected"),
}
# Edges that only a person makes: a door closing counts, a motion sensor timing out does not.
_BOTH_EDGES = frozenset({DeviceType.CONTACT, DeviceType.BED, DeviceType.CHAIR, DeviceType.APPLIANCE})


_EXITS = frozenset({Room.FRONT_DOOR.value, Room.BACK_DOOR.value})
_NIGHT_FROM, _NIGHT_TO = time(21), time(5)  # a silence that begins in these hours is bedtime


@dataclass(frozen=True, slots=True)
class SafetyConfig:
    """The absolute limits.

    ``inactivity_limit`` is for a silence at home. Before a routine is learned, an ordinary night's
    sleep or a day out would break it every day, so a silence that began at an exit door (gone out)
    has ``out_limit`` instead, and one that began at bedtime (21:00-05:00) is judged no earlier than
    ``up_by`` the next morning. ``None`` turns either off (the plain fixed rule).
    """

    inactivity_limit: timedelta = timedelta(hours=6)
    cold: ColdLimits = field(default_factory=ColdLimits)
    out_limit: timedelta | None = timedelta(hours=12)
    up_by: time | None = time(10)


class SafetyMonitor:
    """One household's safety rules, fed events in event time and ticked by a clock.

    Parameters
    ----------
    hub
        The household's hub id (every signal carries it).
    timezone
        IANA zone of the home, for the times written in summaries.
    config
        Limits; the inactivity limit is absolute (the learned model replaces it after learning).

    Examples
    --------
    >>> from datetime import datetime, timedelta, UTC
    >>> from telecare.domain import SensorEvent, DeviceType, Room
    >>> m = SafetyMonitor("h-1", "UTC", SafetyConfig(inactivity_limit=timedelta(hours=2)))
    >>> t = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    >>> m.observe(SensorEvent("h-1", "m-k", DeviceType.MOTION, Room.KITCHEN, t, 1.0))
    []
    >>> m.check(t + timedelta(hours=1))
    []
    >>> [s.summary for s in m.check(t + timedelta(hours=2, minutes=5))]
    ['No sign of movement since 09:00 (2 h 05 min): longer than the 2 h limit. Last seen in the kitchen.']
    >>> m.observe(SensorEvent("h-1", "m-k", DeviceType.MOTION, Room.KITCHEN, t + timedelta(hours=3), 1.0))[0].kind
    <AlertKind.INACTIVITY: 'inactivity'>
    """

    def __init__(self, hub: str, timezone: str, config: SafetyConfig | None = None) -> None:
        self.hub = hub
        self.timezone = timezone
        self.config = config or SafetyConfig()
        self.last_presence: datetime | None = None
        self.last_room: str | None = None
        self.quiet_since: datetime | None = None  # the start of the current quiet period
        self.beds_occupied: set[str] = set()
        self.hub_online = True
        self.away = False
        self.flagged_quiet: str | None = None  # key of the quiet period already alerted

    # ------------------------------------------------------------------ learning side
    def observe(self, event: SensorEvent) -> list[Signal]:
        signals: list[Signal] = []
        hazard = _HAZARDS.get(event.device_type)
        if hazard and event.active:
            kind, what = hazard
            signals.append(
                AlertSignal(
                    hub=self.hub,
                    kind=kind,
                    ts=event.ts,
                    key=f"{event.device}@{event.ts.isoformat()}",
                    summary=joined(what, in_room(event.room), f"at {local_time(event.ts, self.timezone)}.",),
                    evidence={"device": event.device, "room": str(event.room)},
                )
            )
        if event.device_type is DeviceType.BED:
            (self.beds_occupied.add if event.active else self.beds_occupied.discard)(event.device)
        if self._shows_person(event):
            signals += self._presence(event)
        return signals

    def hub_status(self, online: bool, at: datetime) -> list[Signal]:
        """A silent house because the hub is down is not inactivity: restart the quiet clock."""
        if online and not self.hub_online:
            self.quiet_since = max(filter(None, (self.quiet_since, at)))
        self.hub_online = online
        return []

    # ------------------------------------------------------------------ scoring side
    def check(self, now: datetime) -> list[Signal]:
        if (
            self.quiet_since is None
            or not self.hub_online
            or self.away
            # Asleep or resting in bed (the routine model judges how long); a mat left pressed while
            # the person was seen outside the bedroom since is something on the bed, or stuck.
            or (self.beds_occupied and self.last_room == Room.BEDROOM)
        ):
            return []
        quiet = now - self.quiet_since
        if quiet <= min(filter(None, (self.config.inactivity_limit, self.config.out_limit))):
            return []  # within every limit: most ticks end here, without working out which applies
        key = f"quiet-since:{self.quiet_since.isoformat()}"
        due, why = self._due()
        if now <= due or self.flagged_quiet == key:
            return []
        self.flagged_quiet = key
        since = local_time(self.last_presence or self.quiet_since, self.timezone)
        where = f" Last seen {in_room(self.last_room)}." if in_room(self.last_room) else ""
        return [
            AlertSignal(
                hub=self.hub,
                kind=AlertKind.INACTIVITY,
                ts=now,
                key=key,
                summary=f"No sign of movement since {since} ({duration(quiet)}): {why}.{where}",
                evidence={
                    "quiet_since": self.quiet_since.isoformat(),
                    "quiet_minutes": int(quiet.total_seconds() // 60),
                    "limit_minutes": int((due - self.quiet_since).total_seconds() // 60),
                },
            )
        ]

    def _due(self) -> tuple[datetime, str]:
        """When the current silence becomes inactivity, and the rule in words."""
        assert self.quiet_since is not None
        limit = self.config.inactivity_limit
        plain = (self.quiet_since + limit, f"longer than the {duration(limit)} limit")
        out = self.config.out_limit
        if out is not None and self.last_room in _EXITS:
            why = f"nobody seen at home since the door, for longer than the {duration(out)} limit for time out"
            return self.quiet_since + out, why
        if self.config.up_by is None:
            return plain
        tz = ZoneInfo(self.timezone)
        began = self.quiet_since.astimezone(tz)
        if not (began.time() >= _NIGHT_FROM or began.time() < _NIGHT_TO):
            return plain
        morning = began.date() + timedelta(days=1 if began.time() >= _NIGHT_FROM else 0)
        up_by = datetime.combine(morning, self.config.up_by, tz)
        if up_by <= plain[0]:
            return plain
        return up_by, f"quiet since bedtime and not up by {self.config.up_by.strftime('%H:%M')}"

    # ------------------------------------------------------------------ helpers
    def _shows_person(self, event: SensorEvent) -> bool:
        if not event.device_type.shows_presence:
            return False
        return event.active or event.device_type in _BOTH_EDGES

    def _presence(self, event: SensorEvent) -> list[Signal]:
        if self.last_presence is not None and event.ts <= self.last_presence:
            return []  # a late event does not move time backwards
        self.last_presence = event.ts
        self.last_room = str(event.room)
        self.quiet_since = event.ts
        if self.flagged_quiet is None:
            return []
        self.flagged_quiet = None
        return [
            ClearSignal(
                hub=self.hub,
                kind=AlertKind.INACTIVITY,
                ts=event.ts,
                summary=joined(
                    "Movement resumed", in_room(event.room), f"at {local_time(event.ts, self.timezone)}."
                ),
            )
        ]

    # ------------------------------------------------------------------ persistence
    def __getstate__(self) -> dict:
        state = {k: getattr(self, k) for k in _STATE_FIELDS}
        state["version"] = STATE_VERSION
        return state

    def __setstate__(self, state: dict) -> None:
        version = state.pop("version", None)
        if version != STATE_VERSION:
            raise ValueError(f"safety monitor state version {version}, expected {STATE_VERSION}")
        for k in _STATE_FIELDS:
            setattr(self, k, state[k])


_STATE_FIELDS = (
    "hub",
    "timezone",
    "config",
    "last_presence",
    "last_room",
    "quiet_since",
    "beds_occupied",
    "hub_online",
    "away",
    "flagged_quiet",
)
