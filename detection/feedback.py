"""Responders' verdicts adjust how readily each home's learned alerts fire.

A ``false_alarm`` on an ``inactivity`` alert says that this quiet was the person's routine: it is
learned at once, at the time of day it began and after the sign it began with
(``QuietSpells.dismiss``), so quiet like it is not alerted on again, and quiet at other times of day
is judged as before. A resident who naps long after lunch gets a patient afternoon, not a home that
is deaf all day: widening the whole limit instead, by a quarter a false alarm up to double, made
falls in house B of the van Kasteren recordings wait a median 248 minutes instead of 164
(``telecare evaluate --streams 48 --responders``).

A ``false_alarm`` on ``not_up`` says the person got up late that morning and was well: that morning
is learned as a morning (``Mornings.dismiss``). A morning with an alert is otherwise never learned, so
without verdicts the learned mornings keep only the early ones. Widening the home's whole not-up
limit instead found fewer late mornings in house B (0.54 against 0.57, same command).

For the other learned kinds, a ``false_alarm`` widens that home's limit for that kind by a quarter;
a ``genuine`` one takes a step back, never tighter than learned. At most double. Only verdicts of
the last ``MEMORY`` count, so the widening wears off as they age. Per home and per kind: a resident
often in the bath gets a more patient ``long_bathroom``, not a deafer ``not_returned``.

A ``genuine`` verdict on an absence alert (inactivity, not up, not returned, long bathroom) also
tells the model that this quiet was trouble: it is never learned as the routine, however often it
comes back (``QuietSpells.confirm``, ``Mornings.confirm``). Without that, three genuine episodes at
the same time of day would teach the model that such quiet is normal, and the fourth would go
unreported.

A ``false_alarm`` on ``night_wandering`` says that going out, or being up, at that hour of the night
is this person's routine: the hour is theirs from then on (``NightWatch.dismiss``), and nights like
it that follow unalerted are learned as usual. Not a wider limit: there is none, an hour is usual
or not. A night alert a responder never answers keeps coming: in house B of the van Kasteren
recordings, his one departure at 04:27 for the day, 88 times in 48 clean streams.

Never widened: the safety alerts (help, fall detector, smoke, water leak, cold home, the absolute
inactivity limit), which fire however often they were false.

>>> tolerance(false_alarms=0, genuine=0)
1.0
>>> tolerance(false_alarms=2, genuine=0)
1.5
>>> tolerance(false_alarms=3, genuine=2)
1.25
>>> tolerance(false_alarms=9, genuine=0)
2.0
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts.lifecycle import Outcome
from detection.routine_alerts import ABSENCE
from telecare.domain import AlertKind
from telecare.models import Alert

STEP = 0.25  # each net false alarm widens the limit by this fraction
MOST = 2.0
MEMORY = timedelta(days=90)
ADJUSTABLE = frozenset({
    AlertKind.LONG_BATHROOM, AlertKind.NOT_RETURNED,
    AlertKind.NIGHT_TOILET_INCREASE, AlertKind.KITCHEN_DECLINE, AlertKind.ACTIVITY_DECLINE,
})

# A false alarm of these kinds teaches what it was about (``RoutineModel.dismiss_quiet``): the quiet,
# or the night exit or being up at night, found by when it began (``began``).
DISMISSIBLE = frozenset({AlertKind.INACTIVITY, AlertKind.NOT_UP, AlertKind.NIGHT_WANDERING})

CONFIRMED_WITHIN = timedelta(days=35)  # longer than any learning window: older quiet is forgotten anyway


def began(evidence: dict | None) -> datetime | None:
    """When what an alert is about began, from its evidence: the quiet (absence alerts), or the
    door opening or getting up (night wandering). None if it has neither (raised by hand, or by an
    older version).

    >>> began({"quiet_since": "2026-01-05T10:42:00+00:00"}).hour, began({"night_since": "2026-01-06T04:27:00"}).tzinfo
    (10, datetime.timezone.utc)
    >>> began({"quiet_since": "yesterday"}), began(None)
    (None, None)
    """
    evidence = evidence or {}
    text = evidence.get("quiet_since") or evidence.get("night_since")
    if not isinstance(text, str):
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def tolerance(false_alarms: int, genuine: int) -> float:
    """How much wider than learned a limit is after these verdicts (1.0: as learned)."""
    return min(MOST, 1.0 + STEP * max(0, false_alarms - genuine))


def tolerances(session: Session, now: datetime) -> dict[int, dict[str, float]]:
    """Household id -> kind -> widening, for every home with a widened kind (verdicts since
    ``now - MEMORY``). One grouped query for all homes, on the (outcome, closed_at) index: it runs
    every 30 s, so it must not read the whole history of alerts."""
    verdicts = (Outcome.FALSE_ALARM.value, Outcome.GENUINE.value)
    rows = session.execute(
        select(Alert.household_id, Alert.kind, Alert.outcome, func.count())
        .where(Alert.outcome.in_(verdicts), Alert.closed_at >= now - MEMORY,
               Alert.kind.in_([k.value for k in ADJUSTABLE]))
        .group_by(Alert.household_id, Alert.kind, Alert.outcome)
    )
    counts: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for household_id, kind, outcome, n in rows:
        counts[household_id, kind][outcome] = n
    widened: dict[int, dict[str, float]] = defaultdict(dict)
    for (household_id, kind), n in counts.items():
        factor = tolerance(n.get(Outcome.FALSE_ALARM.value, 0), n.get(Outcome.GENUINE.value, 0))
        if factor > 1.0:
            widened[household_id][kind] = factor
    return dict(widened)


def confirmed_quiet(session: Session, now: datetime) -> dict[int, list[datetime]]:
    """Household id -> when each quiet spell began whose absence alert was resolved as genuine
    (closed since ``now - CONFIRMED_WITHIN``), oldest first. Same index and cadence as ``tolerances``."""
    return _quiet_resolved(session, now, Outcome.GENUINE, ABSENCE)


def dismissed_quiet(session: Session, now: datetime) -> dict[int, list[datetime]]:
    """Household id -> when what each inactivity, not-up or night-wandering alert resolved as a
    false alarm (closed since ``now - CONFIRMED_WITHIN``) was about began, oldest first."""
    return _quiet_resolved(session, now, Outcome.FALSE_ALARM, DISMISSIBLE)


def _quiet_resolved(session: Session, now: datetime, outcome: Outcome, kinds) -> dict[int, list[datetime]]:
    rows = session.execute(
        select(Alert.household_id, Alert.evidence)
        .where(Alert.outcome == outcome.value, Alert.closed_at >= now - CONFIRMED_WITHIN,
               Alert.kind.in_([k.value for k in kinds]))
        .order_by(Alert.closed_at)
    )
    quiet: dict[int, list[datetime]] = defaultdict(list)
    for household_id, evidence in rows:
        if (at := began(evidence)) is not None:
            quiet[household_id].append(at)
    return dict(quiet)
