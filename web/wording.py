"""Words for people: alert kinds, household states and rooms as responders and families read them."""

from __future__ import annotations

from datetime import datetime

from telecare.domain import Room

KIND_LABELS = {
    "help_request": "Help button pressed",
    "fall": "Fall detected",
    "smoke": "Smoke alarm",
    "water_leak": "Water leak",
    "cold_home": "Home is cold",
    "inactivity": "No movement for a long time",
    "not_up": "Not up at the usual time",
    "night_wandering": "Up and about at night",
    "not_returned": "Went out and has not come back",
    "long_bathroom": "Long time in the bathroom",
    "night_toilet_increase": "More toilet visits at night",
    "kitchen_decline": "Using the kitchen less",
    "activity_decline": "Moving about less",
    "sleep_change": "Sleep pattern changed",
    "outings_decline": "Going out less",
    "device_offline": "A sensor has gone quiet",
    "battery_low": "Sensor battery low",
    "hub_offline": "Home hub offline",
}

HOUSEHOLD_STATES = {
    "commissioning": "Being installed",
    "learning": "Learning the routine",
    "monitoring": "Monitoring",
    "away": "Away",
    "silenced": "Alerts paused",
    "suspended": "Suspended",
}


def kind_label(kind: str) -> str:
    """The alert kind in words.

    >>> kind_label("not_up")
    'Not up at the usual time'
    """
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def room_label(room: str | None) -> str:
    """A room as people say it.

    >>> room_label("living_room")
    'Living room'
    """
    try:
        return Room(room or "other").label.capitalize()
    except ValueError:
        return str(room).replace("_", " ").capitalize()


def ago(then: datetime, now: datetime) -> str:
    """How long ago, the way people say it.

    >>> from datetime import UTC, timedelta
    >>> t = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    >>> ago(t - timedelta(minutes=12), t), ago(t - timedelta(hours=3, minutes=5), t)
    ('12 minutes ago', '3 hours ago')
    """
    seconds = max(0, (now - then).total_seconds())
    if seconds < 90:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} minutes ago"
    if seconds < 2 * 3600:
        return "an hour ago"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} hours ago"
    return f"{int(seconds // 86400)} days ago"
