"""What the van Kasteren recordings' own annotations say the resident was doing when an alert came.

The evaluation scores an alert on a clean stream as false: nothing was injected there. But the
recordings are real lives, annotated by the residents: house B's front door at 04:27 on one morning
is ``leave-house`` for eleven hours, a true exit in the night. The scoring does not change; beside
the false alerts, ``telecare evaluate`` lists what the annotation had the resident doing at the
moment of each acute alert (``(none)`` where no annotation covers it; a trend is a change over days,
``(trend)``), so a reader can tell a model that cries wolf from one that saw something real.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from detection import kasteren as k
from telecare.domain import AlertCategory, AlertKind

Annotation = list[tuple[float, float, str]]  # (from, until: seconds after the day's 04:00, activity)
NONE = "(none)"
TREND = "(trend)"  # a change over days, judged at 15:00: what the resident did at that moment says nothing


def load(directory: str | Path, house: str) -> list[Annotation]:
    """The annotated activities of each of ``kasteren.load_days``'s days; one that runs over 04:00 is
    in both days it touches.

    >>> days = load("/work/shared/data/kasteren", "B")
    >>> days[15][1]   # 2009-08-06: out of the door at 04:27:38 until 15:17:30 (home at 15:20)
    (1658.0, 40650.0, 'leave-house')
    >>> day0 = k.STREAM_START
    >>> at([days[15]], day0 + timedelta(minutes=33)), at([days[15]], day0 + timedelta(hours=11, minutes=20))
    ('leave-house', '(none)')
    >>> of_alert([days[15]], day0 + timedelta(minutes=33), "night_wandering"), of_alert([days[15]], day0, "kitchen_decline")
    ('leave-house', '(trend)')
    """
    directory = Path(directory)
    first, count = k.day_span(k.sensor_edges(directory / f"house{house}.sensors", k.load_spec(directory, house)))
    names = dict(line.split(None, 1) for line in (directory / f"house{house}.activity_names").read_text().splitlines()
                 if line.strip())
    days: dict[int, Annotation] = {}
    for start, seconds, activity in k.rows(directory / f"house{house}.activities"):
        begin, end = float(start), float(start) + float(seconds)
        for index in range(int((begin - k.DAY_CUT) // k.DAY) - first, int((end - k.DAY_CUT) // k.DAY) - first + 1):
            base = (first + index) * k.DAY + k.DAY_CUT
            days.setdefault(index, []).append((begin - base, end - base, names[activity].strip()))
    return [sorted(days.get(i, [])) for i in range(count)]


def of_alert(stream: Sequence[Annotation], when: datetime, kind: str) -> str:
    """What the annotation says of an alert of ``kind`` raised at ``when``: the activity at that
    moment, or ``TREND`` for a change over days."""
    return TREND if AlertKind(kind).category is AlertCategory.TREND else at(stream, when)


def at(stream: Sequence[Annotation], when: datetime, start: datetime = k.STREAM_START) -> str:
    """The annotated activity at ``when`` in a stream of real days whose day 0 begins at ``start``."""
    offset = (when - start) / timedelta(seconds=1)
    day, seconds = int(offset // k.DAY), offset % k.DAY
    if not 0 <= day < len(stream):
        return NONE
    return next((name for begin, end, name in stream[day] if begin <= seconds <= end), NONE)
