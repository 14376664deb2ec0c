"""Detection inside the running service: engine + storage of its state + alerts out.

State is kept per household (keyed by hub) and saved as a versioned snapshot with a watermark, the id
of the last event it has seen. On start every household is restored and the events stored after its
watermark are replayed through it, so an event that was committed but not yet seen by detection when
the process died still raises its alert; alert occurrences are idempotent, so nothing is raised twice.

A snapshot saved by another version of the model cannot be read. Rather than leave that home blind
to its routine for another learning period after every upgrade, the service relearns it in the
background from the events it has stored (the last ``window_days``): the safety rules and a fresh
model run meanwhile, and the relearned model takes over once it has caught up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from alerts.service import AlertChange, apply_clear, apply_signal
from detection.engine import STATE_VERSION, DetectionEngine
from detection.feedback import confirmed_quiet, dismissed_quiet, tolerances
from detection.replay import drive
from detection.safety import SafetyConfig, Signal
from telecare import metrics
from telecare.clock import Clock
from telecare.db import is_transient, session_scope
from telecare.domain import AlertSignal, DeviceType, HouseholdSpec, HouseholdStatus, Room, SensorEvent
from telecare.logs import fields
from telecare.models import DetectorState, Device, Event, Household, utcnow

log = logging.getLogger(__name__)

ChangeListener = Callable[[list[AlertChange]], None]
REPLAY_CHUNK = 2000
CONTEXT_REFRESH = timedelta(seconds=30)  # how soon away mode set by a carer reaches detection
# Relearning ticks the model's clock every 5 minutes of event time, not every minute as live: a fifth
# of the time (0.3 s for a month of a home), and a silence that was alerted is still seen as one.
RELEARN_STEP = timedelta(minutes=5)


class DetectionService:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        safety: SafetyConfig,
        listeners: Iterable[ChangeListener] = (),
    ) -> None:
        self.factory = session_factory
        self.clock = clock
        self.engine = DetectionEngine(safety)
        self.listeners = list(listeners)
        self._household_ids: dict[str, int] = {}
        # Homes still being commissioned: the installer's tests are not the resident's routine, so
        # their events are passed over, and events from before a home went live are never learned.
        self._commissioning: set[str] = set()
        self._live_at: dict[str, datetime] = {}
        self._watermarks: dict[str, int] = {}
        self._dirty: set[str] = set()
        self._lock = threading.RLock()
        self._closing = threading.Event()
        self._context_at: datetime | None = None
        self._relearn: dict[str, int] = {}  # hub -> watermark of its unreadable snapshot

    # ------------------------------------------------------------------ start and stop
    def recover(self) -> int:
        """Restore every household's state and replay the events it has not seen. Returns how many."""
        with self._lock, self.factory() as session:
            snapshots = {s.household_id: s for s in session.scalars(select(DetectorState))}
            for h in session.scalars(select(Household)):
                self._register(h)
                if h.hub in self._commissioning:
                    continue
                snap = snapshots.get(h.id)
                if snap is not None and not self._restore(h, snap):
                    # Saved by another version of the model: it cannot be read. A fresh model takes
                    # the events after the saved watermark; ``relearn_pending`` rebuilds the routine
                    # from the stored history and swaps it in.
                    log.warning("detector state from another version: the routine is learned again",
                                extra=fields(hub=h.hub, version=snap.version, expected=STATE_VERSION))
                    self._relearn[h.hub] = snap.last_event_id
                if h.hub_online is False:
                    self.engine.hub_status(h.hub, False, h.hub_status_at or self.clock.now())
            replayed = self._replay_unseen(session)
        self.snapshot(everything=True)
        if replayed:
            log.info("detection caught up", extra=fields(events=replayed))
        return replayed

    def _restore(self, household: Household, snap: DetectorState) -> bool:
        if snap.version != STATE_VERSION:
            return False
        try:
            self.engine.restore(household.hub, snap.state, household.learning_days)
        except ValueError:  # a part of it (``VersionedState``) refused the version it was saved in
            return False
        self._watermarks[household.hub] = snap.last_event_id
        return True

    def _replay_unseen(self, session: Session) -> int:
        watermark = func.coalesce(DetectorState.last_event_id, 0)
        query = (
            select(Event, Device.key, Device.type, Device.room, Household.hub)
            .join(Device, Device.id == Event.device_id)
            .join(Household, Household.id == Event.household_id)
            .outerjoin(DetectorState, DetectorState.household_id == Event.household_id)
            .where(Event.id > watermark)
            .order_by(Event.id)
            .execution_options(yield_per=REPLAY_CHUNK)
        )
        chunk: list[SensorEvent] = []
        count = 0
        for row in session.execute(query):
            chunk.append(_sensor_event(*row))
            if len(chunk) >= REPLAY_CHUNK:
                count += self._observe(chunk)
                chunk = []
        return count + (self._observe(chunk) if chunk else 0)

    # ------------------------------------------------------------------ relearning after an upgrade
    def relearn_pending(self) -> int:
        """Relearn the routine of every home whose snapshot could not be read. Returns how many.

        Each home is rebuilt in a scratch engine from its stored events of the last ``window_days``
        up to its watermark, outside the lock; then, under the lock, the events that arrived
        meanwhile are played into it too and it replaces the fresh model. Alerts are not raised
        again: those events were judged live when they came. Until then the home is not
        snapshotted, so a crash meanwhile finds the old snapshot and relearns again.
        """
        done = 0
        for hub in list(self._relearn):
            try:
                self._relearn_one(hub)
                done += 1
            except Exception:  # one home's history must not stop the others' relearning
                log.exception("relearning failed: the routine is learned from new events",
                              extra=fields(hub=hub))
                self._relearn.pop(hub, None)
        return done

    def _relearn_one(self, hub: str) -> None:
        with self._lock:
            upto = max(self._relearn[hub], self._watermarks.get(hub, 0))
            monitor = self.engine.monitors[hub]
            routine = self.engine.routines[hub]
            learning_days = routine.config.learning_days
        spec = HouseholdSpec(hub, "", monitor.timezone, ())
        scratch = DetectionEngine(self.engine.config, self.engine.routine_config)
        scratch.add_household(hub, monitor.timezone, learning_days)
        days = max(routine.config.window_days, learning_days)
        with self.factory() as session:
            history = self._history(session, hub, 0, upto, days)
        for _ in drive(scratch, spec, history, step=RELEARN_STEP):
            pass  # judged live when they came: nothing is raised again
        with self._lock:
            latest = self._watermarks.get(hub, 0)
            if latest > upto:  # what came in while the history was replayed
                with self.factory() as session:
                    recent = self._history(session, hub, upto, latest, None)
                start = history[-1].ts if history else None
                for _ in drive(scratch, spec, recent, step=RELEARN_STEP, start=start):
                    pass
            away, online = monitor.away, monitor.hub_online
            self.engine.restore(hub, scratch.dump(hub), learning_days)
            self.engine.set_away(hub, away)  # what carers and the hub said since the start still holds
            if not online:
                self.engine.hub_status(hub, False, self.clock.now())
            self._watermarks[hub] = max(latest, upto)
            del self._relearn[hub]
            self._dirty.add(hub)
            relearned = self.engine.routines[hub].days_seen
        log.info("routine relearned from stored events",
                 extra=fields(hub=hub, events=len(history), days=relearned))

    def _history(
        self, session: Session, hub: str, after: int, upto: int, days: int | None
    ) -> list[SensorEvent]:
        """A home's stored events with ids in (``after``, ``upto``], in storage order; with ``days``,
        only those of the last ``days`` days before the last of them (and not before it went live)."""
        household_id = self._household_ids[hub]
        mine = (Event.household_id == household_id, Event.id > after, Event.id <= upto)
        query = (
            select(Event, Device.key, Device.type, Device.room, Household.hub)
            .join(Device, Device.id == Event.device_id)
            .join(Household, Household.id == Event.household_id)
            .where(*mine)
            .order_by(Event.id)
        )
        if days is not None:
            last = session.scalar(select(func.max(Event.event_time)).where(*mine))
            if last is None:
                return []
            since = last - timedelta(days=days)
            if hub in self._live_at:
                since = max(since, self._live_at[hub])
            query = query.where(Event.event_time >= since)
        return [_sensor_event(*row) for row in session.execute(query)]

    def snapshot(self, everything: bool = False) -> int:
        """Save the state of every household that changed since the last snapshot."""
        with self._lock:
            hubs = list(self.engine.monitors) if everything else list(self._dirty)
            rows = [
                (self._household_ids[h], self.engine.dump(h), self._watermarks.get(h, 0))
                for h in hubs
                if h in self._household_ids and h not in self._relearn
            ]
            self._dirty.clear()
        if not rows:
            return 0
        with session_scope(self.factory) as session:
            for household_id, blob, watermark in rows:
                session.merge(
                    DetectorState(
                        household_id=household_id,
                        version=STATE_VERSION,
                        state=blob,
                        last_event_id=watermark,
                        updated_at=utcnow(),
                    )
                )
        return len(rows)

    def close(self) -> None:
        """Stop waiting for the database (the caller is shutting down)."""
        self._closing.set()

    # ------------------------------------------------------------------ live input
    def on_events(self, events: list[SensorEvent], hub_status: Iterable = ()) -> None:
        """Called by ingest after each committed batch (events in storage order)."""
        with self._lock:
            signals: list[Signal] = []
            for change in hub_status:
                self._ensure(change.hub)
                if change.hub in self._commissioning and not self._went_live({change.hub}):
                    continue
                signals += self.engine.hub_status(change.hub, change.online, change.at)
                self._dirty.add(change.hub)
            self._persist(signals)
            self._observe(events)

    def refresh_context(self, now: datetime) -> None:
        """Read what people set (away mode, verdicts on alerts) and write what the model reached
        (learning → monitoring).

        They live in the households and alerts tables, the one store every worker and the web app
        share."""
        with self._lock, session_scope(self.factory) as session:
            widened = tolerances(session, now)
            confirmed = confirmed_quiet(session, now)
            dismissed = dismissed_quiet(session, now)
            for household in session.scalars(select(Household)):
                hub = household.hub
                if hub not in self._household_ids:
                    continue
                if hub in self._commissioning:
                    if household.status == HouseholdStatus.COMMISSIONING.value:
                        continue
                    self._register(household)
                self.engine.set_away(hub, household.away_until is not None and household.away_until > now)
                self.engine.set_tolerance(hub, widened.get(household.id, {}))
                minutes = household.night_exit_after_min
                if self.engine.set_night_exit_after(hub, None if minutes is None else timedelta(minutes=minutes)):
                    self._dirty.add(hub)
                if self.engine.set_nights_away_known(hub, household.nights_away_known):
                    self._dirty.add(hub)
                if self.engine.confirm_quiet(hub, confirmed.get(household.id, ())):
                    self._dirty.add(hub)  # a learned spell was unlearned: saved with the next snapshot
                if self.engine.dismiss_quiet(hub, dismissed.get(household.id, ())):
                    self._dirty.add(hub)
                if household.status == "learning" and self.engine.monitoring(hub):
                    household.status = "monitoring"
        self._context_at = now

    def tick(self, now: datetime | None = None) -> None:
        now = now or self.clock.now()
        if self._context_at is None or now - self._context_at >= CONTEXT_REFRESH or now < self._context_at:
            self.refresh_context(now)
        with self._lock:
            signals = self.engine.tick(now)
            self._dirty.update(s.hub for s in signals)
            self._persist(signals)

    # ------------------------------------------------------------------ internals
    def _observe(self, events: list[SensorEvent]) -> int:
        for e in events:
            self._ensure(e.hub)
        waiting = {e.hub for e in events} & self._commissioning
        if waiting:
            waiting -= self._went_live(waiting)
        if waiting or self._live_at:
            events = [e for e in events if e.hub not in waiting and not (
                e.hub in self._live_at and e.ts < self._live_at[e.hub])]
        signals = self.engine.process(events)
        self._persist(signals)
        for e in events:
            if e.id is not None and e.id > self._watermarks.get(e.hub, 0):
                self._watermarks[e.hub] = e.id
            self._dirty.add(e.hub)
        return len(events)

    def _ensure(self, hub: str) -> None:
        if hub in self._household_ids:
            return
        with self.factory() as session:
            household = session.scalars(select(Household).where(Household.hub == hub)).one()
            self._register(household)

    def _register(self, household: Household) -> None:
        self._household_ids[household.hub] = household.id
        if household.live_at is not None:
            self._live_at[household.hub] = household.live_at
        if household.status == HouseholdStatus.COMMISSIONING.value:
            self._commissioning.add(household.hub)
            return
        self._commissioning.discard(household.hub)
        self.engine.add_household(household.hub, household.timezone, household.learning_days)

    def _went_live(self, hubs: set[str]) -> set[str]:
        """Which of these commissioning homes an installer has taken live since (read each batch
        only while a home is being commissioned, so going live takes effect at the next event)."""
        with self.factory() as session:
            rows = list(session.scalars(select(Household).where(Household.hub.in_(hubs))))
        live = set()
        for household in rows:
            if household.status != HouseholdStatus.COMMISSIONING.value:
                self._register(household)
                live.add(household.hub)
        return live

    def _store_signals(self, signals: list[Signal]) -> list[AlertChange]:
        """Write the signals' alerts in one transaction; while the database is unreachable, wait and
        retry (an alert must not be dropped because the connection blinked)."""
        delay = 0.5
        while True:
            try:
                with session_scope(self.factory) as session:
                    changes = []
                    for s in signals:
                        household_id = self._household_ids[s.hub]
                        change = (
                            # Escalation runs from when the service learns of it, not from the
                            # event's own time: a late event must not arrive already overdue.
                            apply_signal(session, household_id, s, now=self.clock.now())
                            if isinstance(s, AlertSignal)
                            else apply_clear(session, household_id, s, now=self.clock.now())
                        )
                        if change is not None:
                            changes.append(change)
                    return changes
            except DBAPIError as exc:
                if not is_transient(exc):
                    raise
                metrics.STORAGE_RETRIES.inc()
                log.warning("storage unavailable, retrying alerts", extra=fields(delay_s=delay))
                # Waiting here holds back ingest too (its writer thread runs detection), so no more
                # events pile up unseen. On shutdown, give up: the watermark has not moved, so the
                # next start replays these events and raises the alerts then.
                if self._closing.wait(delay):
                    raise
                delay = min(delay * 2, 30.0)

    def _persist(self, signals: list[Signal]) -> list[AlertChange]:
        if not signals:
            return []
        changes = self._store_signals(signals)
        for change in changes:  # after the commit: nothing is announced that was not stored
            if change.created:
                metrics.ALERTS_RAISED.labels(change.kind).inc()
                log.info(
                    "alert raised",
                    extra=fields(alert=change.alert_id, hub=change.hub, kind=change.kind,
                                 severity=change.severity),
                )
            elif change.status == "cleared":
                metrics.ALERTS_CLEARED.labels(change.kind).inc()
                log.info("alert cleared", extra=fields(alert=change.alert_id, kind=change.kind))
        for listener in self.listeners if changes else ():
            try:
                listener(changes)
            except Exception:
                log.exception("alert listener failed")
        return changes


def _sensor_event(event: Event, key: str, dtype: str, room: str, hub: str) -> SensorEvent:
    return SensorEvent(hub, key, DeviceType(dtype), Room(room), event.event_time, event.value,
                       id=event.id, late=event.late)
