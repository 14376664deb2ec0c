"""ORM models (SQLAlchemy 2.x, typed). The schema itself is owned by the Alembic migrations.

Every row that belongs to a home carries ``household_id`` so that every query can be scoped to it, and
every piece of per-household runtime state (detector state, open alerts) is keyed by the household, so
several workers can each own a share of the hubs with PostgreSQL as the one store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive ones otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[str] = mapped_column(String(20), default="learning")
    learning_days: Mapped[int] = mapped_column(Integer, default=14)
    hub_online: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    hub_status_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Away mode set by a carer ("staying with us until Sunday"): no absence alerts until then.
    away_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    away_note: Mapped[str] = mapped_column(String(200), default="")
    # Care plan (migration 0007): minutes after a door opens at night with nobody seen inside before
    # it is reported as a night exit; None is the service's default (``RoutineConfig.exit_after``).
    night_exit_after_min: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Care plan (migration 0008): nights away in the learned weeks after which a night out is taken
    # as staying away, not reported as not back; None is the default (``RoutineConfig.nights_away_known``).
    nights_away_known: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Added by migration 0005 (installers). ``status`` is "commissioning" from creation by an installer
    # until the home goes live; sensors announce themselves only while ``pairing_until`` is ahead.
    bridge: Mapped[str] = mapped_column(String(20), default="telecare")  # telecare | zigbee2mqtt
    bridge_topic: Mapped[str] = mapped_column(String(120), default="")  # Zigbee2MQTT base topic
    pairing_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # What the Zigbee2MQTT bridge was asked for and what it answered (permit_join).
    permit_join_requested: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    permit_join_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    bridge_error: Mapped[str] = mapped_column(String(300), default="")
    live_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Bumped whenever the home's device list changes (pairing, naming, unpairing): every ingest
    # worker re-reads the homes whose list changed, so an unpaired sensor stops counting everywhere.
    devices_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("household_id", "key", name="uq_devices_household_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))  # the device id in MQTT topics and household files
    type: Mapped[str] = mapped_column(String(20))
    room: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # received
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # event time
    battery: Mapped[int | None] = mapped_column(Integer, nullable=True)
    online: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    rssi: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Added by migration 0005 (installers). ``pairing``: "new" (announced, not yet named: its events
    # are refused), "paired" (active), "unpaired" (out of detection, history kept).
    pairing: Mapped[str] = mapped_column(String(12), default="paired")
    model: Mapped[str] = mapped_column(String(100), default="")
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    test_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Zigbee2MQTT: the friendly name (may contain "/"), the last state seen (so only changes become
    # events, across restarts), and the link quality (0-255).
    bridge_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    bridge_state: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    link_quality: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        # A duplicate is the same device and dedup key (seq + ts, or ts + value without seq).
        UniqueConstraint("device_id", "dedup_key", name="uq_events_device_dedup"),
        Index("ix_events_household_time", "household_id", "event_time"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    event_time: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float] = mapped_column(Float)
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    dedup_key: Mapped[str] = mapped_column(String(80))


class RejectedMessage(Base):
    __tablename__ = "rejected_messages"
    __table_args__ = (Index("ix_rejected_received", "received_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    topic: Mapped[str] = mapped_column(String(300))
    hub: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(String(40), index=True)
    detail: Mapped[str] = mapped_column(String(500), default="")
    payload_excerpt: Mapped[str] = mapped_column(String(600), default="")


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        # One open alert per household and kind: repeats update it.
        Index(
            "uq_alerts_open_kind",
            "household_id",
            "kind",
            unique=True,
            sqlite_where=text("status IN ('triggered', 'acknowledged')"),
            postgresql_where=text("status IN ('triggered', 'acknowledged')"),
        ),
        Index("ix_alerts_status_created", "status", "created_at"),
        Index("ix_alerts_household_created", "household_id", "created_at"),
        # Added by migration 0006: responders' verdicts of the last 90 days (detection.feedback).
        Index("ix_alerts_outcome_closed", "outcome", "closed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="triggered")
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    count: Mapped[int] = mapped_column(Integer, default=1)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)  # event time of the first signal
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)  # event time of the latest signal
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Added by migration 0002: the outcome, and the escalation policy copied when it triggered, with
    # the persisted schedule (step count, when the next one is due, a token that changes each time).
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    policy: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    escalation_step: Mapped[int] = mapped_column(Integer, default=0)
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    step_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(120), nullable=True)


class AlertOccurrence(Base):
    """Each detector signal behind an alert, once: replaying a stream after a crash adds nothing."""

    __tablename__ = "alert_occurrences"
    __table_args__ = (
        UniqueConstraint("household_id", "kind", "episode_key", name="uq_occurrence_episode"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    episode_key: Mapped[str] = mapped_column(String(120))
    ts: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertTimelineEntry(Base):
    """The alert's audit timeline: every change, who made it, when, with what note."""

    __tablename__ = "alert_timeline"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class DetectorState(Base):
    """A household's detector state, saved periodically and at shutdown.

    ``last_event_id`` is the watermark: on start, events stored after it are replayed through the
    restored detector so nothing accepted is ever skipped.
    """

    __tablename__ = "detector_states"

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --------------------------------------------------------------------------- care circle and delivery
class Contact(Base):
    """A person in a household's care circle. ``channels`` are Apprise URLs: first is primary."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # responder | carer | family
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_severity: Mapped[str] = mapped_column(String(20), default="info")
    quiet_start: Mapped[str | None] = mapped_column(String(5), nullable=True)  # "22:00", local
    quiet_end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    daily_summary: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EscalationPolicy(Base):
    """Ordered steps; ``household_id`` NULL is the default policy, a household row overrides it."""

    __tablename__ = "escalation_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    reminder_min: Mapped[int] = mapped_column(Integer, default=30)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Silence(Base):
    """A time-boxed silence of a household: alerts are recorded as ``silenced``, never notified."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    """The outbox: written in the alert's transaction, sent by the delivery worker after commit."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)  # idempotency key, sent in the title
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), nullable=True, index=True
    )
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), nullable=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), nullable=True
    )
    purpose: Mapped[str] = mapped_column(String(20))  # alert | escalation | reminder | test | summary
    step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    channels: Mapped[list[str]] = mapped_column(JSON)  # copied: a later edit doesn't change it
    channel_index: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # on the current channel
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sent | failed
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel_index: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(300))  # scheme and host only: no secrets
    ok: Mapped[bool] = mapped_column(Boolean)
    result: Mapped[str] = mapped_column(String(40))
    error: Mapped[str] = mapped_column(Text, default="")
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)


class AckLinkUse(Base):
    """The nonce of each acknowledgement link that was used: a link acknowledges once."""

    __tablename__ = "ack_link_uses"

    nonce: Mapped[str] = mapped_column(String(40), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime)
