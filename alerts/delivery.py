"""The delivery worker: sends what the outbox holds, after the commit, at least once.

Each due notification is sent through its contact's current channel. A failure is recorded and
retried with exponential backoff; after ``attempts_per_channel`` failures the next channel (fallback)
is tried at once; when every channel failed the notification is marked ``failed`` and the alert's
timeline shows it as a problem. A row is marked sent only after the send returned, so a crash in
between sends it again, with the same idempotency key in the title and body for receivers to drop.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from alerts import channels
from alerts.ack_links import make_token
from alerts.care_circle import Role, contacts_of, redact
from alerts.lifecycle import AlertAction, AlertStatus
from alerts.outbox import enqueue_for_alert
from telecare import metrics
from telecare.clock import Clock
from telecare.config import Settings
from telecare.db import session_scope
from telecare.logs import fields
from telecare.models import (
    Alert,
    AlertTimelineEntry,
    Contact,
    DeliveryAttempt,
    Notification,
)

log = logging.getLogger(__name__)
BATCH = 50


class DeliveryWorker:
    def __init__(self, factory: sessionmaker[Session], settings: Settings, clock: Clock,
                 senders: int = 8) -> None:
        self.factory, self.settings, self.clock = factory, settings, clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(senders, thread_name_prefix="deliver")
        self._in_flight: set[int] = set()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ running
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="delivery", daemon=True)
        self._thread.start()

    def wake(self, *_args: object) -> None:
        """Look at the outbox now (called after a commit that may have enqueued something)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(10)
        self._pool.shutdown(wait=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - the worker must outlive a database hiccup
                log.exception("delivery pass failed")
            self._wake.wait(self.settings.delivery_poll_s)
            self._wake.clear()

    def run_once(self) -> int:
        """Start sending every due notification not already being sent. Returns how many."""
        now = self.clock.now()
        with self.factory() as session:
            due = session.scalars(
                select(Notification.id)
                .where(Notification.status == "pending", Notification.next_attempt_at <= now)
                .order_by(Notification.next_attempt_at, Notification.id)
                .limit(BATCH)
            ).all()
        with self._lock:
            ids = [i for i in due if i not in self._in_flight]
            self._in_flight.update(ids)
        for notification_id in ids:
            self._pool.submit(self._deliver_and_release, notification_id)
        return len(ids)

    def _deliver_and_release(self, notification_id: int) -> None:
        try:
            self.deliver(notification_id)
        except Exception:  # noqa: BLE001 - left pending; the next pass tries again
            log.exception("delivery failed unexpectedly", extra=fields(notification=notification_id))
        finally:
            with self._lock:
                self._in_flight.discard(notification_id)
            self._wake.set()  # a fallback may be due at once

    # ------------------------------------------------------------------ one notification
    def deliver(self, notification_id: int) -> bool:
        with self.factory() as session:
            n = session.get(Notification, notification_id)
            if n is None or n.status != "pending":
                return False
            url = n.channels[n.channel_index]
            title, body = self.render(n)
        # Network I/O outside any transaction: no row lock is held while a receiver is slow.
        result = channels.send(url, title, body)
        now = self.clock.now()
        with session_scope(self.factory) as session:
            n = session.get(Notification, notification_id, with_for_update=True, populate_existing=True)
            if n is None or n.status != "pending":
                return False
            session.add(DeliveryAttempt(
                notification_id=n.id, at=now, channel_index=n.channel_index, channel=redact(url),
                ok=result.ok, result=result.result, error=result.error, duration_ms=result.duration_ms,
            ))
            if result.ok:
                n.status, n.sent_at, n.last_error = "sent", now, ""
            else:
                self._after_failure(session, n, result.error or result.result, now)
        # Counted after the commit, so a metric never shows an attempt that was not recorded.
        metrics.DELIVERY_ATTEMPTS.labels("ok" if result.ok else "failed").inc()
        if result.ok:
            metrics.NOTIFICATIONS_SENT.inc()
        elif n.status == "failed":
            metrics.NOTIFICATIONS_FAILED.inc()
        return result.ok

    def _after_failure(self, session: Session, n: Notification, error: str, now: datetime) -> None:
        s = self.settings
        n.attempts += 1
        n.last_error = error
        if n.attempts < s.delivery_attempts_per_channel:
            delay = min(s.delivery_retry_base_s * 2 ** (n.attempts - 1), s.delivery_retry_max_s)
            n.next_attempt_at = now + timedelta(seconds=delay)
            return
        if n.channel_index + 1 < len(n.channels):
            n.channel_index, n.attempts, n.next_attempt_at = n.channel_index + 1, 0, now
            return
        n.status = "failed"
        log.error("notification failed on every channel",
                  extra=fields(notification=n.id, alert=n.alert_id, contact=n.contact_id))
        if n.alert_id is not None:
            alert = session.get(Alert, n.alert_id)
            status = alert.status if alert else AlertStatus.TRIGGERED.value
            session.add(AlertTimelineEntry(
                alert_id=n.alert_id, at=now, actor="delivery", action=AlertAction.DELIVERY_FAILED.value,
                from_status=status, to_status=status,
                note=f"could not reach contact {n.contact_id} on any of {len(n.channels)} channel(s): "
                     f"{error}"[:1000],
            ))
            if alert is not None and n.purpose in ("alert", "escalation", "reminder"):
                self._escalate_undelivered(session, alert, n, now)

    def _escalate_undelivered(self, session: Session, alert: Alert, n: Notification, now: datetime) -> None:
        """Someone who should have been told was not: the household's other responders hear it."""
        unreached = session.get(Contact, n.contact_id) if n.contact_id is not None else None
        who = f"{unreached.name} ({unreached.role})" if unreached else "a contact"
        others = [c for c in contacts_of(session, alert.household_id)
                  if c.role == Role.RESPONDER.value and c.id != n.contact_id]
        if others:
            enqueue_for_alert(
                session, alert, others, "undelivered", f"undelivered-{n.id}", now,
                body=f"Could not reach {who} about this alert on any of their channels.\n\n{alert.summary}",
            )

    def render(self, n: Notification) -> tuple[str, str]:
        """Title and body as sent: the idempotency key in both, and a one-click link for alerts."""
        body = n.body
        if n.alert_id is not None and n.contact_id is not None and n.purpose in ("alert", "escalation", "undelivered"):
            expires = self.clock.now() + timedelta(seconds=self.settings.ack_link_ttl_s)
            token = make_token(self.settings.secret_key.get_secret_value(), n.alert_id, n.contact_id,
                               expires)
            body += f"\n\nAcknowledge (I'm on it): {self.settings.link_base}/ack/{token}"
        return f"{n.title} [ref {n.key}]", f"{body}\n\nRef: {n.key}"
