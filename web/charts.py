"""Charts as inline SVG strings: no JavaScript, nothing fetched from elsewhere.

Every chart is ``role="img"`` with a ``<title>`` and a ``<desc>`` (a sentence summarising the data)
named by ``aria-labelledby``; it scales to its container (``viewBox``, ``width="100%"``) and is drawn
for a phone about 360 px wide. Colours are black, white and greys, so they survive grayscale and
print: the usual range is a light fill, the values a dark line or dark bars with markers. Every text
is escaped. Charts receive rooms and numbers only, never device ids.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from telecare.domain import Room

W = 360  # viewBox width
INK, BAND, GRID, MUTED = "#111111", "#d4d4d4", "#8c8c8c", "#444444"
FONT = 'font-family="system-ui, sans-serif" font-size="11"'
_ids = itertools.count(1)
from web.wording import room_label


def minutes_to_clock(m: float) -> str:
    """Minutes after midnight as a 24-hour clock; past midnight wraps.

    >>> minutes_to_clock(465), minutes_to_clock(1470), minutes_to_clock(59.6)
    ('07:45', '00:30', '01:00')
    """
    total = round(m) % 1440
    return f"{total // 60:02d}:{total % 60:02d}"


def minutes_to_duration(m: float) -> str:
    """``minutes_to_duration(95)`` -> ``'1 h 35 min'``; ``minutes_to_duration(40)`` -> ``'40 min'``."""
    hours, minutes = divmod(round(m), 60)
    return f"{hours} h {minutes:02d} min" if hours and minutes else f"{hours} h" if hours else f"{minutes} min"


def count_fmt(v: float) -> str:
    """A count, without a pointless ``.0``: ``count_fmt(2.0)`` -> ``'2'``, ``count_fmt(2.5)`` -> ``'2.5'``."""
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _svg(title: str, desc: str, height: int, body: list[str]) -> str:
    n = next(_ids)
    t, d = f"chart-{n}-title", f"chart-{n}-desc"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="100%" '
        f'role="img" aria-labelledby="{t} {d}" preserveAspectRatio="xMidYMid meet">'
        f'<title id="{t}">{_e(title)}</title><desc id="{d}">{_e(desc)}</desc>'
        + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, s: str, anchor: str = "middle", fill: str = MUTED, extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" {FONT}{extra}>{_e(s)}</text>'


# --------------------------------------------------------------------------- trend
def trend_chart(title: str, days: Sequence[date], values: Sequence[float | None],
                band: tuple[float, float] | None, fmt: Callable[[float], str], unit_label: str) -> str:
    """A daily trend (get-up time, night toilet visits...) over the learned normal band.

    Missing days (None) are gaps in the line. A day outside the band gets a square marker, a day
    inside a round one, so the difference does not rest on colour.
    """
    if len(days) != len(values):
        raise ValueError("one value per day")
    left, right, top, bottom, h = 46, 10, 12, 34, 190
    pw, ph = W - left - right, h - top - bottom
    known = [v for v in values if v is not None]
    span = known + (list(band) if band else [])
    lo, hi = (min(span), max(span)) if span else (0.0, 1.0)
    pad = (hi - lo) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    n = len(days)

    def x(i: int) -> float:
        return left + (pw * (i + 0.5) / n if n else 0)

    def y(v: float) -> float:
        return top + ph * (hi - v) / (hi - lo)

    body = [f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#ffffff" stroke="{GRID}"/>']
    if band:
        body.append(f'<rect class="band" x="{left}" y="{y(band[1]):.1f}" width="{pw}" '
                    f'height="{max(y(band[0]) - y(band[1]), 1):.1f}" fill="{BAND}"/>')
    for v in (lo + pad, (lo + hi) / 2, hi - pad):
        body.append(_text(left - 4, y(v) + 4, fmt(v), "end"))
    run: list[str] = []
    for i, v in enumerate(list(values) + [None]):
        if v is not None:
            run.append(f"{x(i):.1f},{y(v):.1f}")
        elif run:
            if len(run) > 1:
                body.append(f'<polyline class="values" points="{" ".join(run)}" fill="none" '
                            f'stroke="{INK}" stroke-width="2"/>')
            run = []
    outside = 0
    for i, v in enumerate(values):
        if v is None:
            continue
        if band and not band[0] <= v <= band[1]:
            outside += 1
            body.append(f'<rect class="outside" x="{x(i) - 4:.1f}" y="{y(v) - 4:.1f}" width="8" height="8" '
                        f'fill="{INK}"/>')
        else:
            body.append(f'<circle class="marker" cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{INK}"/>')
    for i in sorted({0, n // 2, n - 1}) if n else []:
        body.append(_text(x(i), h - bottom + 14, f"{days[i]:%a} {days[i].day}"))
    legend = f"{unit_label}. Shaded: usual range" if band else f"{unit_label}. No usual range yet"
    body.append(_text(left, h - 6, legend, "start"))
    missing = n - len(known)
    parts = [f"{title}, {n} days from {days[0].day} {days[0]:%b} to {days[-1].day} {days[-1]:%b}." if n else f"{title}: no days."]
    if known:
        latest = next(v for v in reversed(values) if v is not None)
        parts.append(f"Latest {fmt(latest)} ({unit_label}).")
    if band:
        parts.append(f"Usual range {fmt(band[0])} to {fmt(band[1])}; {outside} of {len(known)} days outside it.")
    if missing:
        parts.append(f"No data on {missing} day{'s' if missing != 1 else ''}.")
    return _svg(title, " ".join(parts), h, body)


# --------------------------------------------------------------------------- day timeline
def _room_order(rooms: set[str]) -> list[str]:
    order = {str(r): i for i, r in enumerate(Room)}
    return sorted(rooms, key=lambda r: (order.get(r, len(order)), r))


def day_timeline_chart(title: str, today: dict[str, list[int]], typical: dict[str, list[float]],
                       now_bin: int | None) -> str:
    """One row per room, 96 quarter-hours: the usual share of days shaded, today's activity dark."""
    rooms = _room_order(set(today) | set(typical))
    left, right, top, row = 78, 6, 6, 24
    cw = (W - left - right) / 96
    h = top + row * max(len(rooms), 1) + 34
    body: list[str] = []
    summary = []
    for r, room in enumerate(rooms):
        y0 = top + r * row
        body.append(_text(left - 6, y0 + row / 2 + 4, room_label(room), "end", INK))
        body.append(f'<rect x="{left}" y="{y0 + 2}" width="{W - left - right}" height="{row - 4}" '
                    f'fill="#ffffff" stroke="{GRID}" stroke-width="0.5"/>')
        usual = typical.get(room, [0.0] * 96)
        levels = [min(4, int(f * 4 + 0.999)) for f in usual]  # 0 never, 1-4 quarters of the days
        for level, group in itertools.groupby(enumerate(levels), key=lambda p: p[1]):
            cells = [i for i, _ in group]
            if level:
                body.append(f'<rect class="typical" x="{left + cells[0] * cw:.2f}" y="{y0 + 2}" '
                            f'width="{len(cells) * cw:.2f}" height="{row - 4}" fill="{BAND}" '
                            f'fill-opacity="{level / 4:.2f}"/>')
        counts = today.get(room, [0] * 96)
        for on, group in itertools.groupby(enumerate(counts), key=lambda p: p[1] > 0):
            cells = [i for i, _ in group]
            if on:
                body.append(f'<rect class="today" x="{left + cells[0] * cw:.2f}" y="{y0 + 7}" '
                            f'width="{max(len(cells) * cw, 2):.2f}" height="{row - 14}" fill="{INK}"/>')
        active = sum(1 for c in counts if c)
        summary.append(f"{room_label(room)} {active} (usually {sum(usual):.0f})")
    bottom = top + row * max(len(rooms), 1)
    for hour in (0, 6, 12, 18, 24):
        xx = left + hour * 4 * cw
        body.append(f'<line x1="{xx:.2f}" y1="{top}" x2="{xx:.2f}" y2="{bottom + 4}" stroke="{GRID}" '
                    f'stroke-width="0.5"/>')
        if hour < 24:
            body.append(_text(xx, bottom + 16, f"{hour:02d}"))
    if now_bin is not None:
        xx = left + now_bin * cw
        body.append(f'<line class="now" x1="{xx:.2f}" y1="{top}" x2="{xx:.2f}" y2="{bottom}" stroke="{INK}" '
                    f'stroke-width="1.5" stroke-dasharray="3 2"/>')
        body.append(_text(xx, bottom + 28, "now", fill=INK))
    desc = (f"{title}. Quarter-hours with activity today, by room: " + "; ".join(summary) + "."
            if rooms else f"{title}. No activity recorded.")
    return _svg(title, desc, h, body)


# --------------------------------------------------------------------------- activity around an alert
def activity_chart(title: str, window: Any, marker_at: datetime, tz: tzinfo) -> str:
    """Bars of activity per bin around an alert, the usual band behind them, a line at the alert.

    ``window`` is a ``web.activity.ActivityWindow`` (or anything with ``start``, ``bin_minutes``,
    ``counts``, ``median``, ``low``, ``high``).
    """
    counts, low, high, median = window.counts, window.low, window.high, window.median
    n = len(counts)
    step = timedelta(minutes=window.bin_minutes)
    left, right, top, bottom, h = 30, 8, 16, 40, 200
    pw, ph = W - left - right, h - top - bottom
    peak = max([1.0, *counts, *high])
    bw = pw / max(n, 1)

    def y(v: float) -> float:
        return top + ph * (1 - v / peak)

    body = [f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#ffffff" stroke="{GRID}"/>']
    for i in range(n):
        if high[i] > 0:
            body.append(f'<rect class="band" x="{left + i * bw:.1f}" y="{y(high[i]):.1f}" width="{bw:.1f}" '
                        f'height="{y(low[i]) - y(high[i]):.1f}" fill="{BAND}"/>')
    for i in range(n):
        body.append(f'<line class="median" x1="{left + i * bw:.1f}" x2="{left + (i + 1) * bw:.1f}" '
                    f'y1="{y(median[i]):.1f}" y2="{y(median[i]):.1f}" stroke="{MUTED}" stroke-dasharray="2 2"/>')
        if counts[i]:
            body.append(f'<rect class="bar" x="{left + i * bw + bw * 0.2:.1f}" y="{y(counts[i]):.1f}" '
                        f'width="{bw * 0.6:.1f}" height="{ph - (y(counts[i]) - top):.1f}" fill="{INK}"/>')
    body.append(_text(left - 4, top + 4, count_fmt(peak), "end"))
    body.append(_text(left - 4, top + ph + 4, "0", "end"))
    every = max(1, round(120 / window.bin_minutes))  # a clock label every two hours or so
    for i in range(0, n + 1, every):
        body.append(_text(left + i * bw, top + ph + 14, f"{(window.start + i * step).astimezone(tz):%H:%M}"))
    offset = (marker_at - window.start) / (step * n) if n else 0
    xx = left + pw * min(max(offset, 0), 1)
    body.append(f'<line class="marker" x1="{xx:.1f}" y1="{top - 4}" x2="{xx:.1f}" y2="{top + ph}" '
                f'stroke="{INK}" stroke-width="2"/>')
    body.append(_text(xx, top - 6, f"alert {marker_at.astimezone(tz):%H:%M}", fill=INK))
    body.append(_text(left, h - 6, "Bars: activity. Shaded: usual range. Dashes: usual.", "start"))
    before = [i for i in range(n) if window.start + (i + 1) * step <= marker_at]
    first, last = window.start.astimezone(tz), (window.start + n * step).astimezone(tz)
    desc = (
        f"{title}. Activity from {first:%H:%M} to {last:%H:%M}: {sum(counts)} events, usually about "
        f"{sum(median):.0f}. Before the alert at {marker_at.astimezone(tz):%H:%M}: "
        f"{sum(counts[i] for i in before)} events, usually about {sum(median[i] for i in before):.0f}."
    )
    return _svg(title, desc, h, body)
