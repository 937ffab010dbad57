"""The case page's traffic chart: bars on a real time axis (quiet hours stay empty), day ticks, no-data note."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from fanzha.casework.cases.traffic import Point, on_time_axis, svg

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=CST)


def _bars(chart: str) -> list[float]:
    return [float(x) for x in re.findall(r'<rect class="calls" x="([\d.]+)"', chart)]


def test_quiet_hours_are_kept_as_empty_buckets():
    pts = [Point(T0, 3, 2), Point(T0 + timedelta(hours=1), 1, 1), Point(T0 + timedelta(hours=6), 4, 0)]
    axis = on_time_axis(pts)
    assert [p.t for p in axis] == [T0 + timedelta(hours=h) for h in range(7)]
    assert [p.calls for p in axis] == [3, 1, 0, 0, 0, 0, 4] and axis[3].out == 0.0
    x = _bars(str(svg(pts)))
    assert len(x) == 3  # one bar per busy hour, none for the quiet ones
    assert abs((x[2] - x[1]) / (x[1] - x[0]) - 5) < 0.01  # the six-hour bar stands five steps after the second


def test_points_off_a_grid_or_too_many_buckets_are_left_alone():
    off = [Point(T0, 1), Point(T0 + timedelta(minutes=45), 1), Point(T0 + timedelta(hours=2), 1)]
    assert on_time_axis(off) == off
    sparse = [Point(T0, 1), Point(T0 + timedelta(hours=1), 1), Point(T0 + timedelta(days=60), 1)]
    assert on_time_axis(sparse) == sparse
    assert on_time_axis(sparse[:1]) == sparse[:1]


def test_a_week_is_labelled_by_day_and_no_data_says_so():
    week = [Point(T0 + timedelta(hours=h), 1 + h % 3, None) for h in range(0, 24 * 6, 5)]
    chart = str(svg(week, title="133****0001 话务"))
    labels = re.findall(r">(\d\d-\d\d)</text>", chart)
    assert labels == ["11-23", "11-24", "11-25", "11-26", "11-27", "11-28"]
    assert 'class="out"' not in chart  # outgoing unknown: no red bars
    assert "无话务数据" in str(svg([]))


def test_a_measure_is_marked_where_it_took_effect():
    from datetime import UTC

    hours = [Point(T0 + timedelta(hours=h), 2, 1) for h in range(10)]
    took = (T0 + timedelta(hours=4, minutes=20)).astimezone(UTC).replace(tzinfo=None)  # as SQLite returns it
    chart = str(svg(hours, marks=[(took, "停机"), (T0 + timedelta(days=3), "复机")]))
    assert chart.count('class="mark"') == 1  # the one after the series is left out
    assert "停机 11-22 14:20" in chart
    mark_x = float(re.search(r'<g class="mark"><line x1="([\d.]+)"', chart).group(1))
    bars = _bars(chart)
    assert bars[4] < mark_x < bars[5]  # in the bucket of 14:00
