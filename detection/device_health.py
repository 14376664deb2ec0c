"""Device health: a sensor gone quiet for far longer than usual *for it*, a low battery, the hub offline.

Each device's usual silence is learned from its own history: the longest gap between its reports over
the last 14 days (after at least 7). A sensor silent for more than 1.75 times that (and at least
``min_silence``) raises ``device_offline``, so a broken sensor is reported within twice its learned
silence. Which sensors can be judged by their silence at all:

* sensors that report by themselves (anything whose longest silence is under two hours, such as a
  thermometer reporting every half hour): always;
* motion sensors: only while the person is visibly active elsewhere in the house (another sensor
  showing presence within the last half hour), so a fall, a lie-in or a day out is not a broken sensor;
* front and back door contacts: only while the person is visibly active at home, and never before
  ``EXIT_DOOR_SILENCE`` (7 days). A resident who is up and about every day but has not opened the
  door for twice as long as ever in the fortnight is more likely to have a dead door sensor than to
  have stopped going out; and a dead door sensor is dangerous, because a day out then looks the same
  as lying still at home. The alert says both, so whoever visits checks the sensor or the person;
* the rest (inside doors, beds, chairs, flush, appliances, buttons, pendants, smoke and leak alarms,
  and meters that report only on change) report
  only when used or when something happens: silence is behaviour, or good news. Their health needs the
  device's own heartbeat (status messages, Zigbee availability), not its events.

Nothing is judged while the hub is offline (that is ``hub_offline``, from the hub's Last Will) or, for
motion sensors, while the household is away.

>>> from datetime import UTC, datetime, timedelta
>>> from telecare.domain import DeviceType, Room, SensorEvent
>>> health = DeviceHealth("hub-1", "UTC")
>>> t0 = datetime(2026, 1, 5, tzinfo=UTC)
>>> for hour in range(0, 24 * 8, 2):   # a thermometer reporting every two hours for eight days
...     _ = health.learn_one(SensorEvent("hub-1", "temp", DeviceType.TEMPERATURE, Room.KITCHEN,
...                                       t0 + timedelta(hours=hour), 19.5))
>>> health.usual_silence("temp")
datetime.timedelta(seconds=7200)
>>> last = t0 + timedelta(hours=190)
>>> health.score_one(last + timedelta(hours=1, minutes=59))   # within its usual silence: nothing
[]
>>> [s.kind.value for s in health.score_one(last + timedelta(hours=3, minutes=31))]
['device_offline']
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from detection.versioned import VersionedState
from detection.wording import duration, local_time
from telecare.domain import (
    PRESENCE_TYPES,
    AlertKind,
    AlertSignal,
    ClearSignal,
    DeviceType,
    SensorEvent,
)

STATE_VERSION = 1
Signal = AlertSignal | ClearSignal
DAYS_KEPT = 14
MIN_DAYS = 7  # days of history before a device's silence is judged at all
QUANTILE = 1.0  # the longest of the fortnight: a quiet Sunday is not a fault
FACTOR = 1.75  # silence longer than this many usual silences: offline (within twice, with ticks)
BATTERY_LOW = 15  # percent: a week or two left on most sensors; change it on the next visit
BATTERY_REPLACED = 30  # back above this after a low reading: the battery was changed
SELF_REPORTING = timedelta(hours=2)  # a device never silent longer than this reports by itself
ACTIVE_ELSEWHERE = timedelta(minutes=30)
EXIT_DOOR_SILENCE = timedelta(days=7)  # never sooner: a week indoors (a cold spell, a cold) happens
EXIT_DOORS = frozenset({"front_door", "back_door"})
_NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass
class _Device:
    device_type: DeviceType
    room: str
    last: datetime | None = None
    last_active: datetime | None = None  # the latest report showing the person (not a reset)
    longest: dict[date, float] = field(default_factory=dict)  # day -> longest gap ended that day (s)
    flagged: str | None = None  # key of the silence already reported
    battery_low_since: datetime | None = None
    usual: float | None = None  # usual_silence in seconds (-1: not learned yet); None: recompute


class DeviceHealth(VersionedState):
    """Learns how often each device reports, and reports devices and hubs that went silent.

    Parameters
    ----------
    hub, timezone : str
        The household's hub id and time zone (for the wording).
    min_silence : timedelta
        Never call a device offline before this much silence, however chatty it usually is.
    """

    STATE_VERSION = STATE_VERSION  # pickled with the state (``VersionedState``)
    # When the next device can be judged silent: no tick before it scans the devices. A report only
    # moves its own device's time later, so this stays a safe lower bound until a usual silence
    # changes. ``_waiting``: a device is past its limit but could not be judged (nobody about).
    CACHES = ("_due", "_waiting")
    _due: datetime | None = None
    _waiting = True

    def __init__(self, hub: str, timezone: str, min_silence: timedelta = timedelta(minutes=30)) -> None:
        self.hub = hub
        self.timezone = timezone
        self.min_silence = min_silence
        self.devices: dict[str, _Device] = {}
        self.hub_online = True
        self.hub_offline_since: datetime | None = None
        self.away = False

    def set_away(self, away: bool) -> None:
        self.away = away
        self._due = None

    # ------------------------------------------------------------------ learning side
    def learn_one(self, event: SensorEvent) -> list[Signal]:
        """Note a report from a device; clears its ``device_offline`` if one was raised."""
        d = self.devices.get(event.device)
        if d is None:
            d = self.devices[event.device] = _Device(event.device_type, str(event.room))
        signals: list[Signal] = []
        # A silence that was reported as the device being offline is not how it usually behaves:
        # learning it would make the next outage take twice as long to report.
        if d.last is not None and event.ts > d.last and d.flagged is None:
            gap = (event.ts - d.last).total_seconds()
            day = event.ts.date()
            if gap > d.longest.get(day, 0.0):
                new_day = day not in d.longest
                d.longest[day] = gap
                d.usual = None
                self._due = None  # its usual silence may have changed: so may when it is due
                if new_day:
                    for old in [k for k in d.longest if (day - k).days >= DAYS_KEPT]:
                        del d.longest[old]
        if d.flagged is not None:
            d.flagged = None
            self._due = None  # it was left out of when the next device is due: it counts again
            signals.append(ClearSignal(self.hub, AlertKind.DEVICE_OFFLINE, event.ts,
                                       f"The {self._name(event.device)} is reporting again "
                                       f"({local_time(event.ts, self.timezone)})."))
        signals += self._battery(event, d)
        if d.last is None or event.ts > d.last:
            d.last = event.ts
        if event.device_type in PRESENCE_TYPES and event.active:
            d.last_active = max(filter(None, (d.last_active, event.ts)))
            if self._waiting:  # a motion sensor's silence can be judged now someone is about
                self._due = None
        return signals

    def _battery(self, event: SensorEvent, d: _Device) -> list[Signal]:
        """``battery_low`` once when a reading drops to ``BATTERY_LOW``; cleared when it is replaced."""
        level = event.battery
        if level is None:
            return []
        name = self._name(event.device)
        if d.battery_low_since is None and level <= BATTERY_LOW:
            d.battery_low_since = event.ts
            return [AlertSignal(
                hub=self.hub, kind=AlertKind.BATTERY_LOW, ts=event.ts,
                key=f"{event.device}-battery@{event.ts.isoformat()}",
                summary=f"The {name}'s battery is at {level}%: replace it at the next visit.",
                evidence={"device": event.device, "room": d.room, "battery": level},
            )]
        if d.battery_low_since is not None and level >= BATTERY_REPLACED:
            d.battery_low_since = None
            if any(o.battery_low_since is not None for o in self.devices.values()):
                return []  # one alert a household: it stays open while another battery is low
            return [ClearSignal(self.hub, AlertKind.BATTERY_LOW, event.ts,
                                f"The {name}'s battery was replaced ({level}%).")]
        return []

    def hub_status(self, online: bool, at: datetime) -> list[Signal]:
        """The hub's Last Will (offline) or its return: ``hub_offline`` raised, then cleared."""
        if online == self.hub_online:
            return []
        self.hub_online = online
        self._due = None
        when = local_time(at, self.timezone)
        if not online:
            self.hub_offline_since = at
            return [AlertSignal(
                hub=self.hub, kind=AlertKind.HUB_OFFLINE, ts=at, key=f"hub-offline@{at.isoformat()}",
                summary=f"The home hub went offline at {when}: no sensor data is arriving. Checks on "
                        "movement are paused until it is back (this is not the person being inactive).",
                evidence={"offline_since": at.isoformat()},
            )]
        # Back: the silence it caused is nobody's fault; every device's clock restarts now.
        down = at - (self.hub_offline_since or at)
        for d in self.devices.values():
            if d.last is not None:
                d.last = max(d.last, at)
        self.hub_offline_since = None
        return [ClearSignal(self.hub, AlertKind.HUB_OFFLINE, at,
                            f"The home hub is back online at {when} after {duration(down)}.")]

    # ------------------------------------------------------------------ scoring side
    def usual_silence(self, device: str) -> timedelta | None:
        """The learned usual longest silence of ``device``, or None while it is still being learned."""
        d = self.devices.get(device)
        if d is None:
            return None
        if d.usual is None:  # recomputed only when a day's longest silence changed
            values = sorted(d.longest.values())
            d.usual = (-1.0 if len(values) < MIN_DAYS
                       else values[min(len(values) - 1, math.ceil(QUANTILE * len(values)) - 1)])
        return None if d.usual < 0 else timedelta(seconds=d.usual)

    def score_one(self, now: datetime) -> list[AlertSignal]:
        """``device_offline`` for each device silent far longer than usual for it (once per silence)."""
        if not self.hub_online or (self._due is not None and now <= self._due):
            return []
        signals: list[AlertSignal] = []
        # Until a report comes, a device can only become due when its silence passes its limit; one
        # already reported, or not judgeable now (which only another report can change), never.
        due, waiting = _NEVER, False
        for key, d in self.devices.items():
            usual = self.usual_silence(key) if d.last is not None else None
            if usual is None:  # nothing heard yet, or still learning (only a report changes that)
                continue
            limit = d.last + max(EXIT_DOOR_SILENCE if _exit(d) else self.min_silence, usual * FACTOR)
            if now <= limit:
                due = min(due, limit)
                continue
            silent = now - d.last
            flag = f"{key}@{d.last.isoformat()}"
            if d.flagged == flag:
                continue
            if not self._judged(key, d, usual, now):
                # A motion sensor waits for someone to be about; the others only a new usual
                # silence (or the end of away mode) can make judgeable, and those recompute.
                waiting = waiting or ((d.device_type is DeviceType.MOTION or _exit(d)) and not self.away)
                continue
            d.flagged = flag
            check = ("Check its battery and that it is still in place." if not _exit(d) else
                     "The person has been active at home meanwhile: if they have not been out, that is "
                     "why; if they have, the sensor is not seeing it, and a day out will look like lying "
                     "still at home. Check its battery and that the magnet lines up.")
            signals.append(AlertSignal(
                hub=self.hub, kind=AlertKind.DEVICE_OFFLINE, ts=now, key=flag,
                summary=f"The {self._name(key)} has sent nothing since "
                        f"{local_time(d.last, self.timezone)} ({duration(silent)}). It usually reports "
                        f"at least every {duration(usual)} ({len(d.longest)} days learned). {check}",
                evidence={"device": key, "room": d.room, "silent_s": int(silent.total_seconds()),
                          "usual_silence_s": int(usual.total_seconds())},
            ))
        self._due, self._waiting = due, waiting
        return signals

    def _judged(self, key: str, d: _Device, usual: timedelta, now: datetime) -> bool:
        """Whether this device's silence says anything about the device (see the module notes)."""
        if usual <= SELF_REPORTING:
            return True
        if (d.device_type is not DeviceType.MOTION and not _exit(d)) or self.away:
            return False
        others = [o.last_active for k, o in self.devices.items()
                  if k != key and o.device_type in PRESENCE_TYPES and o.last_active is not None]
        return bool(others) and now - max(others) <= ACTIVE_ELSEWHERE

    def _name(self, key: str) -> str:
        d = self.devices[key]
        return f"{d.room.replace('_', ' ')} {d.device_type.value.replace('_', ' ')} sensor"


def _exit(d: _Device) -> bool:
    """A front or back door contact (see the module notes)."""
    return d.device_type is DeviceType.CONTACT and d.room in EXIT_DOORS
