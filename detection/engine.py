"""The detection engine: one monitor per household, fed in event time. No I/O here.

The live service, ``replay`` and the tests all drive this same class: the service hands it committed
events and clock ticks; replay hands it an events file and a manual clock.

Each household has its ``SafetyMonitor`` (fixed rules, from day one) in ``engine.monitors``, its
``RoutineModel`` (learned routine) in ``engine.routines``, its ``DeviceHealth`` (sensors and hub gone
quiet) in ``engine.health`` and its ``ColdHome`` (thermometers) in ``engine.cold``. ``dump`` and
``restore`` save and load them together as one versioned blob.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from detection.cold_home import ColdHome
from detection.device_health import DeviceHealth
from detection.routine import RoutineConfig, RoutineModel
from detection.safety import SafetyConfig, SafetyMonitor, Signal
from telecare.domain import AlertKind, AlertSignal, SensorEvent

# Version of the snapshot ``dump`` writes: {"safety": SafetyMonitor, "routine": RoutineModel,
# "devices": DeviceHealth}; "devices" was added in 2 and may be missing (a new one is started).
# 3: the routine model judges quiet by when it began (RoutineModel state 2).
# 4: time away per day, quiet spells in compact arrays (RoutineModel state 3, QuietSpells state 2).
# 5: company in the house (RoutineModel state 4).
# 6: quiet spells in the bedroom and elsewhere apart (RoutineModel state 5, QuietSpells state 3).
# 7: sleep and outings trends (RoutineModel state 6).
# 8: nights away counted (RoutineModel state 7); "cold" (ColdHome) added. A snapshot without "cold"
#    gets a new one, so adding a part like it alone needs no bump (no relearn).
# 9: alerted quiet spells held, learned if they recur (RoutineModel state 8, QuietSpells state 4).
# 10: kitchen visits judged as a rate per hour at home (RoutineModel state 9).
# 11: held quiet spells remember when they began; genuine verdicts unlearn them (RoutineModel state 10).
# 12: missed usual meal times add to the kitchen decline evidence (RoutineModel state 11).
# 13: quiet judged by the sign it began with too (RoutineModel state 12).
# 14: motion seen alone while out is not the resident coming home (RoutineModel state 13).
# 15: nights away that raised not_returned count once the resident is back (RoutineModel state 14).
# 16: in or out, outings and nights away in their own part (RoutineModel state 15).
# 17: a drink in the night and back to bed is not learned as getting up (RoutineModel state 16).
# 18: a door opened at night is an exit once nothing inside follows (RoutineModel state 17).
# 19: the bed mats in their own part (RoutineModel state 18).
# 20: quiet a responder found a false alarm is learned at once (RoutineModel state 19).
# 21: up and about at an unusual hour of the night (RoutineModel state 20).
# 22: night wandering in its own part (RoutineModel state 21).
# 23: a late morning a responder found a false not-up alarm is learned (RoutineModel state 22).
# 24: overlapping motion sensors learned from returns through the door (RoutineModel state 23).
# 25: evening quiet is taken as sleep from the person's learned bedtime (RoutineModel state 24).
# 26: the quiet after each door or cupboard opened (RoutineModel state 25).
# 27: any one sensor firing alone while out is stray, not the resident home (RoutineModel state 26).
# 28: an hour of the night a responder found a false alarm is the person's (RoutineModel state 27).
# 29: moving less judged on visits to the rooms of daily living too (RoutineModel state 28).
STATE_VERSION = 29
# Safety alerts about the person that mark a day as not normal. The fixed inactivity limit is left
# out: while learning it fires on ordinary long sleeps and outings, which are exactly what to learn.
_MARKS_DAY = frozenset({AlertKind.HELP_REQUEST, AlertKind.FALL})


class DetectionEngine:
    def __init__(
        self,
        config: SafetyConfig | None = None,
        routine: RoutineConfig | None = None,
        *,
        learn: bool = True,
        model: Callable[[str, str, RoutineConfig], RoutineModel] = RoutineModel,
    ) -> None:
        self.config = config or SafetyConfig()
        self.routine_config = routine or RoutineConfig(inactivity_cap=self.config.inactivity_limit)
        self.learn = learn  # False: the fixed safety rules only
        self.model = model  # what learns the routine (the evaluation swaps in the fixed rules)
        self.monitors: dict[str, SafetyMonitor] = {}
        self.routines: dict[str, RoutineModel] = {}
        self.health: dict[str, DeviceHealth] = {}
        self.cold: dict[str, ColdHome] = {}

    def add_household(self, hub: str, timezone: str, learning_days: int | None = None) -> SafetyMonitor:
        """Start monitoring a home; ``learning_days`` is its own learning period (default: the
        engine's routine settings)."""
        monitor = self.monitors.get(hub)
        if monitor is None:
            monitor = self.monitors[hub] = SafetyMonitor(hub, timezone, self.config)
        if self.learn and hub not in self.routines:
            self.routines[hub] = self.model(hub, timezone, self._routine_config(learning_days))
        if hub not in self.health:
            self.health[hub] = DeviceHealth(hub, timezone)
        if hub not in self.cold:
            self.cold[hub] = ColdHome(hub, timezone, self.config.cold)
        return monitor

    def restore(self, hub: str, blob: bytes, learning_days: int | None = None) -> SafetyMonitor:
        state = pickle.loads(blob)
        if isinstance(state, SafetyMonitor):  # a version 1 snapshot: the safety rules only
            state = {"safety": state, "routine": None}
        monitor = state["safety"]
        monitor.config = self.config  # settings may have changed since the snapshot
        self.monitors[hub] = monitor
        routine = state.get("routine")
        config = self._routine_config(learning_days)
        if routine is not None:
            routine.config = config
            self.routines[hub] = routine
        elif self.learn:
            self.routines[hub] = self.model(hub, monitor.timezone, config)
        self.health[hub] = state.get("devices") or DeviceHealth(hub, monitor.timezone)
        cold = self.cold[hub] = state.get("cold") or ColdHome(hub, monitor.timezone)
        cold.limits = self.config.cold
        return monitor

    def _routine_config(self, learning_days: int | None) -> RoutineConfig:
        if learning_days is None or learning_days == self.routine_config.learning_days:
            return self.routine_config
        return replace(self.routine_config, learning_days=learning_days)

    def dump(self, hub: str) -> bytes:
        state = {"safety": self.monitors[hub], "routine": self.routines.get(hub),
                 "devices": self.health.get(hub), "cold": self.cold.get(hub)}
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    def process(self, events: Iterable[SensorEvent]) -> list[Signal]:
        signals: list[Signal] = []
        for event in events:
            monitor = self.monitors.get(event.hub)
            if monitor is None:
                continue
            safety = monitor.observe(event)
            health = self.health.get(event.hub)
            if health is not None:
                signals += health.learn_one(event)
            if event.hub in self.cold:
                signals += self.cold[event.hub].learn_one(event)
            routine = self.routines.get(event.hub)
            if routine is not None:
                self._note(routine, safety)
                signals += safety
                signals += routine.learn_one(event)
            else:
                signals += safety
        return signals

    def hub_status(self, hub: str, online: bool, at: datetime) -> list[Signal]:
        monitor = self.monitors.get(hub)
        routine = self.routines.get(hub)
        if routine is not None and hasattr(routine, "hub_status"):
            routine.hub_status(online, at)
        health = self.health.get(hub)
        signals = health.hub_status(online, at) if health is not None else []
        return signals + (monitor.hub_status(online, at) if monitor else [])

    def set_away(self, hub: str, away: bool) -> None:
        """A carer's away mode: no absence alerts (inactivity, not up, not returned) meanwhile."""
        monitor = self.monitors.get(hub)
        if monitor is not None:
            monitor.away = away
        if hub in self.health:
            self.health[hub].set_away(away)

    def set_tolerance(self, hub: str, tolerance: dict[str, float]) -> None:
        """How much wider than learned each kind's limits are in this home (``detection.feedback``)."""
        routine = self.routines.get(hub)
        if routine is not None:
            routine.tolerance = tolerance

    def set_night_exit_after(self, hub: str, after: timedelta | None) -> bool:
        """The home's care plan: a door opened at night with nobody seen inside for ``after`` is a
        night exit (None: this engine's default, ``RoutineConfig.exit_after``). Whether it changed."""
        return self._care_plan(hub, "night", "exit_after", after, self.routine_config.exit_after)

    def set_nights_away_known(self, hub: str, nights: int | None) -> bool:
        """The home's care plan: after this many nights away in the learned weeks, a night out is
        staying away, not "not back" (None: this engine's default, ``RoutineConfig.nights_away_known``).
        Whether it changed."""
        return self._care_plan(hub, "where", "nights_known", nights, self.routine_config.nights_away_known)

    def _care_plan(self, hub: str, part: str, name: str, value: object, default: object) -> bool:
        """Set ``name`` of the home's model part ``part`` to ``value`` (None: ``default``); whether it
        changed (the service saves the model then)."""
        learned = getattr(self.routines.get(hub), part, None)
        if learned is None:  # no such home, or the fixed rules of the evaluation
            return False
        value = default if value is None else value
        if getattr(learned, name) == value:
            return False
        setattr(learned, name, value)
        return True

    def confirm_quiet(self, hub: str, began: Iterable[datetime]) -> bool:
        """Responders found the absence alerts on quiet that began at these times genuine: that
        quiet is never learned as the routine. Whether the home's model changed (save it then)."""
        return self._verdicts(hub, "confirm_quiet", began)

    def dismiss_quiet(self, hub: str, began: Iterable[datetime]) -> bool:
        """Responders found the inactivity, not-up or night-wandering alerts about what began at these
        times false alarms: that quiet, a late morning, or that hour of the night, is learned as the
        routine. Whether the home's model changed."""
        return self._verdicts(hub, "dismiss_quiet", began)

    def _verdicts(self, hub: str, verdict: str, began: Iterable[datetime]) -> bool:
        apply = getattr(self.routines.get(hub), verdict, None)
        if apply is None:  # no such home, or the fixed rules of the evaluation
            return False
        changed = [apply(b) for b in began]  # every one applied: no short cut
        return any(changed)

    def monitoring(self, hub: str) -> bool:
        """Whether the household's routine is learned (alerts on it are raised)."""
        return bool(getattr(self.routines.get(hub), "monitoring", False))

    def tick(self, now: datetime) -> list[Signal]:
        signals: list[Signal] = []
        for hub, monitor in self.monitors.items():
            safety = monitor.check(now)
            routine = self.routines.get(hub)
            if routine is not None:
                if getattr(routine, "monitoring", False):
                    # Learned: the routine model owns inactivity now (capped by the same limit).
                    safety = [s for s in safety if s.kind is not AlertKind.INACTIVITY]
                self._note(routine, safety)
                signals += safety
                if monitor.hub_online and not monitor.away:
                    signals += routine.check(now)
            else:
                signals += safety
            health = self.health.get(hub)
            if health is not None:
                signals += health.score_one(now)
            if hub in self.cold:
                signals += self.cold[hub].score_one(now)  # in away mode too: pipes freeze in an empty house
        return signals

    @staticmethod
    def _note(routine: RoutineModel, signals: list[Signal]) -> None:
        """A safety alert about the person marks the day: the routine model will not learn it."""
        for s in signals:
            if isinstance(s, AlertSignal) and s.kind in _MARKS_DAY:
                routine.note_alert(s.ts)
