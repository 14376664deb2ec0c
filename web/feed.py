"""What a household looks like to people: its state, the families' feed, and the household page data.

One place composes these so the JSON API and the pages say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.lifecycle import OPEN_STATUSES
from alerts.summaries import day_summary
from telecare.models import Alert, Device, Event, Household, Silence
from web import activity, daily_rollups, device_health
from web.wording import HOUSEHOLD_STATES, ago, kind_label, room_label

QUIET_WORTH_A_CHECK = timedelta(hours=4)  # daytime silence after which the feed suggests a call
SERIOUS = ("critical", "urgent")
TRENDS = (
    # metric on DayMetrics, title, unit, how to print a value
    ("got_up", "Getting up", "time of day", "clock"),
    ("went_to_bed", "Going to bed", "time of day", "clock"),
    ("night_toilet_visits", "Night-time toilet visits", "visits", "count"),
    ("kitchen_visits", "Kitchen use", "visits", "count"),
    ("minutes_out", "Time out of the house", "hours", "hours"),
)


@dataclass(frozen=True)
class HouseholdState:
    code: str  # learning | monitoring | away | silenced | commissioning | suspended
    label: str
    detail: str
    learning_progress: float | None  # 0..1 while learning


def state(session: Session, household: Household, now: datetime) -> HouseholdState:
    if household.away_until is not None and household.away_until > now:
        note = f": {household.away_note}" if household.away_note else ""
        until = household.away_until.astimezone(ZoneInfo(household.timezone))
        return HouseholdState("away", HOUSEHOLD_STATES["away"],
                              f"Away until {until:%A %d %B %H:%M}{note}", None)
    silence = session.scalars(
        select(Silence).where(Silence.household_id == household.id, Silence.starts_at <= now,
                              Silence.ends_at > now).order_by(Silence.ends_at.desc())
    ).first()
    if silence is not None:
        return HouseholdState("silenced", HOUSEHOLD_STATES["silenced"],
                              f"Alerts paused until {silence.ends_at:%d %b %H:%M} UTC: {silence.reason}",
                              None)
    if household.status == "learning":
        # Learning starts when the installer took the home live (their tests are not the routine).
        first = household.live_at or session.scalar(
            select(func.min(Event.event_time)).where(Event.household_id == household.id))
        days = (now - first).total_seconds() / 86400 if first else 0.0
        progress = max(0.0, min(1.0, days / max(1, household.learning_days)))
        return HouseholdState("learning", HOUSEHOLD_STATES["learning"],
                              f"Learning the daily routine: day {int(days)} of {household.learning_days}. "
                              "Until then only safety alerts are raised.", progress)
    code = household.status if household.status in HOUSEHOLD_STATES else "monitoring"
    return HouseholdState(code, HOUSEHOLD_STATES[code], "", None)


def open_alerts(session: Session, household_id: int) -> list[Alert]:
    return list(session.scalars(
        select(Alert).where(Alert.household_id == household_id,
                            Alert.status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(Alert.opened_at.desc())))


def glance(household_state: HouseholdState, alerts: list[Alert], last: activity.LastActivity | None,
           now: datetime) -> tuple[str, str]:
    """The status at a glance: (all_well | worth_a_check | alert_open, a sentence)."""
    serious = [a for a in alerts if a.severity in SERIOUS]
    if serious:
        return "alert_open", f"{kind_label(serious[0].kind)}: the care team has been told."
    if alerts:
        return "worth_a_check", f"{kind_label(alerts[0].kind)}. Worth a call."
    if household_state.code == "away":
        return "all_well", household_state.detail
    if last is None:
        return "worth_a_check", "No activity recorded yet."
    if last.went_out is not None:  # out is not quiet: not_returned says when it is too long
        return "all_well", last_activity_text(last, now)
    if now - last.at > QUIET_WORTH_A_CHECK:
        return "worth_a_check", f"No activity for {ago(last.at, now).removesuffix(' ago')}. Worth a call."
    return "all_well", "Nothing unusual: the day looks like a normal one."


def last_activity_text(last: activity.LastActivity | None, now: datetime) -> str:
    if last is None:
        return "No activity recorded yet."
    if last.went_out is not None:
        return f"Went out {ago(last.went_out, now)}; nothing seen at home since."
    return f"Last activity {ago(last.at, now)} in the {room_label(last.room).lower()}."


def feed(session: Session, household: Household, now: datetime) -> dict[str, Any]:
    """Everything the families' feed shows, with no sensor ids in it."""
    tz = ZoneInfo(household.timezone)
    today = now.astimezone(tz).date()
    hstate = state(session, household, now)
    alerts = open_alerts(session, household.id)
    days = daily_rollups.feed_activity(session, household, now, days=28, typical_days=14)  # stored days
    last = days.last
    code, sentence = glance(hstate, alerts, last, now)
    metrics = days.metrics
    trends = []
    for field, title, unit, fmt in TRENDS:
        values = [getattr(m, field) for m in metrics]
        if fmt == "hours":
            values = [None if v is None else round(v / 60, 2) for v in values]
        history = values[:-7] if len(values) > 7 else values
        trends.append({"metric": field, "title": title, "unit": unit, "format": fmt,
                       "days": [m.day.isoformat() for m in metrics], "values": values,
                       "normal_band": activity.normal_band(history)})
    local_now = now.astimezone(tz)
    return {
        "hub": household.hub,
        "name": household.name,
        "glance": {"code": code, "text": sentence},
        "state": {"code": hstate.code, "label": hstate.label, "detail": hstate.detail,
                  "learning_progress": hstate.learning_progress},
        "away": ({"until": household.away_until, "note": household.away_note}
                 if hstate.code == "away" else None),
        "last_activity": ({"at": last.at, "room": room_label(last.room),
                           "text": last_activity_text(last, now)} if last else None),
        "today_summary": day_summary(session, household, today),
        "open_alerts": [{"kind": a.kind, "label": kind_label(a.kind), "severity": a.severity,
                         "opened_at": a.opened_at, "summary": a.summary} for a in alerts],
        "timeline": {
            "day": today.isoformat(),
            "now_bin": (local_now.hour * 60 + local_now.minute) // 15,
            "rooms": days.timeline,  # by room (not device) id
            "typical": days.typical,
        },
        "trends": trends,
    }


def devices(session: Session, household: Household, now: datetime) -> list[dict[str, Any]]:
    """Devices and their health, for responders and installers (not shown to families)."""
    rows = session.scalars(select(Device).where(Device.household_id == household.id)
                           .order_by(Device.room, Device.key)).all()
    return [device_health.device_row(d, now) for d in rows]


def recent_alerts(session: Session, household_id: int, limit: int = 20) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.household_id == household_id)
                                .order_by(Alert.opened_at.desc()).limit(limit)))
