"""The inline SVG charts: well-formed, accessible, self-contained, safe with any text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from web.activity import ActivityWindow
from web.charts import (
    activity_chart,
    count_fmt,
    day_timeline_chart,
    minutes_to_clock,
    minutes_to_duration,
    trend_chart,
)
from web.wording import room_label

NS = "{http://www.w3.org/2000/svg}"
DAYS = [date(2026, 1, 5) + timedelta(days=k) for k in range(7)]
GOT_UP = [420, 435, None, 425, None, 510, 430]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything not well-formed
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img" and root.get("width") == "100%" and root.get("viewBox")
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert title is not None and title.text and desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "<script" not in svg.lower() and "javascript:" not in svg.lower()
    assert re.findall(r"https?://[^\"'\s<]+", svg) == ["http://www.w3.org/2000/svg"]
    return root


def by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [el for el in root.iter() if el.get("class") == cls]


def test_formatters_read_like_a_clock_and_a_duration():
    assert minutes_to_clock(465) == "07:45" and minutes_to_clock(1470) == "00:30"
    assert minutes_to_duration(95) == "1 h 35 min" and minutes_to_duration(40) == "40 min"
    assert minutes_to_duration(120) == "2 h" and count_fmt(2.0) == "2" and count_fmt(2.5) == "2.5"
    assert room_label("living_room") == "Living room" and room_label("front_door") == "Front door"


def test_trend_chart_shades_the_usual_range_and_leaves_gaps_for_missing_days():
    svg = trend_chart("Got up", DAYS, GOT_UP, (415.0, 440.0), minutes_to_clock, "time of day")
    root = parse(svg)
    assert len(by_class(root, "band")) == 1
    lines = by_class(root, "values")
    # 420, 435 | gap | 425 | gap | 510, 430: two lines of two points; 425 stands alone as a marker
    assert [len(line.get("points").split()) for line in lines] == [2, 2]
    assert len(by_class(root, "marker")) == 4 and len(by_class(root, "outside")) == 1  # 08:30
    desc = root.find(f"{NS}desc").text
    assert "Latest 07:10" in desc
    assert "Usual range 06:55 to 07:20; 1 of 5 days outside it." in desc
    assert "No data on 2 days." in desc
    labels = [t.text for t in root.iter(f"{NS}text")]
    assert "Mon 5" in labels and "Sun 11" in labels


def test_trend_chart_without_a_band_or_data_still_draws():
    root = parse(trend_chart("Night toilet visits", DAYS, [None] * 7, None, count_fmt, "visits a night"))
    assert by_class(root, "band") == [] and by_class(root, "values") == []
    assert "No data on 7 days." in root.find(f"{NS}desc").text


def test_every_text_is_escaped_so_a_title_cannot_inject_markup():
    evil = 'Mum\'s <script>alert("x")</script> & "kitchen"'
    for svg in (
        trend_chart(evil, DAYS, GOT_UP, None, minutes_to_clock, evil),
        day_timeline_chart(evil, {"kitchen": [0] * 96}, {}, None),
        activity_chart(evil, window(), datetime(2026, 1, 12, 9, tzinfo=UTC), UTC),
    ):
        root = parse(svg)
        assert root.find(f"{NS}title").text == evil
        assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_day_timeline_has_a_row_per_room_with_usual_shading_behind_today():
    today = {"kitchen": [0] * 96, "bathroom": [0] * 96}
    today["kitchen"][28:31] = [2, 1, 1]  # 07:00-07:45, one run
    today["kitchen"][72] = 1
    typical = {"kitchen": [0.0] * 96, "living_room": [0.0] * 96}
    typical["kitchen"][28:32] = [1.0, 1.0, 0.5, 0.5]
    svg = day_timeline_chart("Today", today, typical, now_bin=40)
    root = parse(svg)
    labels = [t.text for t in root.iter(f"{NS}text")]
    assert labels[:3] == ["Bathroom", "Kitchen", "Living room"]  # in the house's usual order
    assert {"00", "06", "12", "18", "now"} <= set(labels)
    assert len(by_class(root, "today")) == 2 and len(by_class(root, "typical")) == 2
    assert len(by_class(root, "now")) == 1
    assert "Kitchen 4 (usually 3)" in root.find(f"{NS}desc").text
    assert "m-kitchen" not in svg


def window() -> ActivityWindow:
    counts = [0] * 16
    counts[12] = 3
    return ActivityWindow(start=datetime(2026, 1, 12, 3, tzinfo=UTC), bin_minutes=30, counts=counts,
                          median=[1.0] * 16, low=[0.0] * 16, high=[2.0] * 8 + [0.0] * 8, days=14)


def test_activity_chart_marks_the_alert_over_the_usual_band():
    tz = ZoneInfo("Europe/London")
    svg = activity_chart("Around the alert", window(), datetime(2026, 1, 12, 9, tzinfo=UTC), tz)
    root = parse(svg)
    assert len(by_class(root, "bar")) == 1 and len(by_class(root, "band")) == 8
    marker = by_class(root, "marker")[0]
    assert abs(float(marker.get("x1")) - (30 + 322 * 12 / 16)) < 0.2
    labels = [t.text for t in root.iter(f"{NS}text")]
    assert "alert 09:00" in labels and "03:00" in labels and "11:00" in labels
    desc = root.find(f"{NS}desc").text
    assert "Activity from 03:00 to 11:00: 3 events, usually about 16." in desc
    assert "Before the alert at 09:00: 0 events, usually about 12." in desc
