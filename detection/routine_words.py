"""What the routine model's acute alerts say: today against the learned normal, with the numbers.

Each function returns ``(summary, evidence)``: the sentence a carer reads, and the figures behind it
for the API and the audit timeline. The model decides *whether* to alert; this module only words it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from detection.quiet import LEFT_OPEN, QuietLimit
from detection.wording import duration, in_room, local_time
from telecare.domain import Room

Explained = tuple[str, dict]


def where(room: str | None, prefix: str = "") -> str:
    """``' in the kitchen'``, or with a prefix a sentence: ``' Last seen in the kitchen.'``."""
    words = in_room(room)
    if not words:
        return ""
    return f"{prefix} {words}." if prefix else f" {words}"


def widened(summary: str, evidence: dict, factor: float) -> Explained:
    """Say so when responders' false alarms have widened this home's limit for this kind."""
    if factor <= 1.0:
        return summary, evidence
    wider = f"{summary} (This home's limit is {round(100 * (factor - 1))}% wider than learned after false alarms.)"
    return wider, {**evidence, "widened": factor}


def not_returned(out_since: datetime, out: timedelta, usual: float, count: int, outings: int,
                 tz: str, few_floor: timedelta | None = None,
                 lone_sign: tuple[datetime, str, str, bool] | None = None) -> Explained:
    """``few_floor``: too few outings are learned to judge by, and this limit stands in for them;
    ``lone_sign``: (when, device type, room, turned on) of a sensor inside that fired alone while
    out, with no door and nothing else near it (``Whereabouts.stray``): perhaps home unseen.

    >>> from datetime import UTC
    >>> out = datetime(2026, 1, 5, 16, 27, tzinfo=UTC)
    >>> print(not_returned(out, timedelta(hours=9), 600, 20, 20, "UTC", None,
    ...                    (out + timedelta(hours=3, minutes=8), "contact", "bedroom", True))[0])
    Went out at 16:27 and not back after 9 h. 20 of the last 20 outings lasted at most 10 h. At 19:35 a door or cupboard opened in the bedroom, with nothing else near it and no outside door opened: they may have come home unseen.
    """
    if few_floor is None:
        normal = f"{count} of the last {outings} outings lasted at most {duration(timedelta(minutes=usual))}."
    else:
        floor = f"a {few_floor / timedelta(hours=1):g}-hour limit applies."
        normal = (f"Only {outings} outings were seen in recent weeks (the longest "
                  f"{duration(timedelta(minutes=usual))}), so {floor}" if outings
                  else f"No outing was seen in recent weeks, so {floor}")
    summary = f"Went out at {local_time(out_since, tz)} and not back after {duration(out)}. {normal}"
    evidence = {"out_since": out_since.isoformat(), "out_minutes": int(out.total_seconds() // 60),
                "usual_longest_minutes": round(usual), "outings": outings}
    if lone_sign is not None:
        at, device_type, room, active = lone_sign
        summary += (f" At {local_time(at, tz)} {sign(device_type, room, active)}, with nothing else near it and no "
                    f"outside door opened: they may have come home unseen.")
        evidence["lone_sign_at"] = at.isoformat()
    return summary, evidence


_SIGNS = {  # device type -> (words when it turns on, when it turns off)
    "contact": ("a door or cupboard opened", "a door or cupboard closed"),
    "appliance": ("an appliance was switched on", "an appliance was switched off"),
    "chair": ("someone sat down on the chair", "someone got up from the chair"),
    "bed": ("someone lay down on the bed", "someone got out of bed"),
    "flush": ("the toilet flushed", "the toilet flushed"),
    "motion": ("movement", "movement"),
    "button": ("a button was pressed", "a button was pressed"),
}


def sign(device_type: str, room: str | None, active: bool) -> str:
    """One sign of the person in words, for "after <sign>, something else always followed".

    >>> sign("contact", "kitchen", False), sign("motion", "hall", True), sign("flush", "toilet", True)
    ('a door or cupboard closed in the kitchen', 'movement in the hall', 'the toilet flushed')
    """
    on, off = _SIGNS.get(str(device_type), ("a sensor turned on", "a sensor turned off"))
    said = on if active else off
    return said if str(device_type) == "flush" else f"{said}{where(room)}"


def inactivity(since: datetime, quiet: timedelta, limit: QuietLimit, room: str | None, tz: str,
               note: str = "") -> Explained:
    """``note``: why the limit is longer than the learned quiet says (an evening floor), in words."""
    within = f"within {duration(timedelta(minutes=limit.usual))}" if limit.usual >= 1 else "within a minute"
    if limit.place == LEFT_OPEN:
        normal = (
            f"It began just after {limit.sign}, and it has not been closed since; on the {limit.spells} "
            f"days it was opened in recent weeks, something always followed {within}."
        )
        room = None  # the sign says where
    elif limit.place == "after_sign":
        normal = (
            f"It began just after {limit.sign}; on the {limit.spells} days that happened in recent "
            f"weeks, something else always followed {within}."
        )
        room = None  # the sign says where
    elif limit.learned:
        normal = (
            f"When the house fell quiet around this time of day{' in the bedroom' if limit.place == 'bedroom' else ''} "
            f"({limit.spells} times in recent weeks), it stayed quiet for at most "
            f"{duration(timedelta(minutes=limit.usual))}."
        )
    else:
        normal = (
            f"The house seldom falls quiet at this time, so the {duration(timedelta(minutes=limit.limit))} "
            f"safety limit applies."
        )
    summary = f"No movement since {local_time(since, tz)} ({duration(quiet)}). {normal}{where(room, ' Last seen')}"
    if note:
        summary = f"{summary} {note}"
    evidence = {
        "quiet_since": since.isoformat(),
        "quiet_minutes": int(quiet.total_seconds() // 60),
        "usual_max_minutes": round(limit.usual),
        "limit_minutes": round(limit.limit),
        "spells": limit.spells,
        "quiet_began": limit.place,
        **({"after_sign": limit.sign} if limit.sign else {}),
        "learned": True,
    }
    return summary, evidence


def before_bedtime(earliest: datetime, floor: timedelta, tz: str) -> str:
    """Quiet in the evening before this person usually settles for the night (no bed sensor)."""
    return (f"The night's rest here seldom begins before {local_time(earliest, tz)}; in the evening, "
            f"quiet is given at least {duration(floor)}.")


def not_where_nights_begin(room: str | None, floor: timedelta, cap: timedelta) -> str:
    """Quiet late in the evening in a room where this person's nights have not begun."""
    return (f"The night's rest has not begun {in_room(room) or 'there'} in recent weeks, so this is "
            f"not taken as sleep; in the evening, quiet is given at least {duration(floor)}, and "
            f"never more than {duration(cap)}.")


def still_night(floor: timedelta) -> str:
    """Quiet at night with not even a pulse from a bed mat that moves through a night's sleep."""
    return (f"The bed mat has not moved either, as it does through a night's sleep here; at night, "
            f"quiet is given at least {duration(floor)}.")


def not_up(now: datetime, usual_by: datetime, last_seen: datetime, room: str | None, count: int,
           days: int, kind_of_days: str, tz: str) -> Explained:
    by = local_time(usual_by, tz)
    summary = (
        f"Not up yet at {local_time(now, tz)}: no activity in the kitchen or living areas "
        f"this morning (last sign {local_time(last_seen, tz)}{where(room)}). Usually up by {by} "
        f"({count} of the last {days} {kind_of_days})."
    )
    evidence = {"usual_latest_wake": by, "days": days, "last_seen": last_seen.isoformat()}
    return summary, evidence


def long_bathroom(room: str, since: datetime, stay: timedelta, usual: float, visits: int, tz: str) -> Explained:
    summary = (
        f"In the {room.replace('_', ' ')} since {local_time(since, tz)} ({duration(stay)}). "
        f"The longest stay in the last {visits} visits was {duration(timedelta(minutes=usual))}."
    )
    evidence = {"since": since.isoformat(), "stay_minutes": int(stay.total_seconds() // 60),
                "usual_longest_minutes": round(usual), "visits": visits}
    return summary, evidence


def up_at_night(rooms: list[str], since: datetime, now: datetime, hour: int, seen: int, days: int,
                tz: str) -> Explained:
    where = " and ".join(Room(r).label for r in rooms)
    summary = (
        f"Up and about in the night: in the {where} since {local_time(since, tz)} ({duration(now - since)}). "
        f"In the last {days} days there was movement in the kitchen or living areas between {hour:02d}:00 "
        f"and {(hour + 1) % 24:02d}:00 on {seen} days."
    )
    return summary, {"since": since.isoformat(), "rooms": rooms, "days_up_this_hour": seen, "days": days}


def night_door(device: str, room: str, at: datetime, now: datetime, hour: int, seen: int, days: int,
               tz: str) -> Explained:
    summary = (
        f"{'Front' if room == Room.FRONT_DOOR else 'Back'} door opened at {local_time(at, tz)}, "
        f"in the night, and nobody has been seen inside since ({duration(now - at)}). In the last "
        f"{days} days it was opened between {hour:02d}:00 and {(hour + 1) % 24:02d}:00 on {seen} days."
    )
    return summary, {"device": device, "opened": at.isoformat(), "days_with_door_this_hour": seen, "days": days}
