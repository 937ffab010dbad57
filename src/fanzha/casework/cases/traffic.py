"""The line's traffic over time for the case page, drawn server-side as SVG (no JavaScript, no CDN).

Where the series comes from, first found wins:
1. the ``traffic`` entry of the line's alert evidence (``[[iso_time, calls], …]`` or ``[{"t":…, "calls":…,
   "out":…}, …]`` or ``{iso_time: calls}``) — what the detector saw;
2. the call-record stores (``Settings.record_stores``: what ``fanzha ingest`` and the 24×7 monitor stored),
   counted per hour with DuckDB.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from markupsafe import Markup, escape

from fanzha.casework.context import aware

CST = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Point:
    t: datetime
    calls: float
    out: float | None = None


def _time(value) -> datetime | None:
    try:
        t = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=CST)


def from_evidence(evidences: list[str]) -> list[Point]:
    for raw in evidences:
        try:
            data = json.loads(raw or "{}").get("traffic")
        except (ValueError, AttributeError):
            continue
        points: list[Point] = []
        items = data.items() if isinstance(data, dict) else data if isinstance(data, list) else []
        for item in items:
            if isinstance(item, dict):
                t, calls, out = _time(item.get("t") or item.get("time") or item.get("hour")), item.get("calls"), item.get("out")
            elif isinstance(item, (list, tuple)) and len(item) >= 2:
                t, calls, out = _time(item[0]), item[1], (item[2] if len(item) > 2 else None)
            else:
                continue
            try:
                if t is not None:
                    points.append(Point(t, float(calls), None if out is None else float(out)))
            except (TypeError, ValueError):
                continue
        if points:
            return sorted(points, key=lambda p: p.t)[-500:]
    return []


def from_store(stores: Iterable[Path], msisdn: str, *, limit: int = 500) -> list[Point]:
    """Hourly calls (and outgoing calls) of one line from the call-record stores; the latest ``limit`` hours."""
    import duckdb

    from fanzha.analytics.store_records import load_line_records

    con = duckdb.connect()
    try:
        if not load_line_records(con, stores, [msisdn]):
            return []
        rows = con.execute(
            "SELECT date_trunc('hour', start_time) AS h, count(*) AS calls, "
            "count(*) FILTER (WHERE direction = 'out') AS out_calls FROM line_records "
            "GROUP BY h ORDER BY h DESC LIMIT ?",
            [limit],
        ).fetchall()
    except duckdb.Error:
        return []
    finally:
        con.close()
    return [Point(_time(h.isoformat()) if isinstance(h, datetime) else _time(h), float(c), float(o))
            for h, c, o in reversed(rows) if h is not None]  # fmt: skip


def on_time_axis(points: list[Point], *, max_buckets: int = 1000) -> list[Point]:
    """The series with its quiet buckets as zeros, so bars stand where their hour is (not side by side).

    The bucket is the smallest gap between points (an hour for the stores' series); a series that would need
    more than ``max_buckets`` buckets is left as it is."""
    if len(points) < 2:
        return points
    gaps = [b.t - a.t for a, b in zip(points, points[1:]) if b.t > a.t]
    if not gaps:
        return points
    step = min(gaps)
    if step < timedelta(minutes=1) or (points[-1].t - points[0].t) / step >= max_buckets:
        return points
    have = {p.t: p for p in points}
    grid = [points[0].t + k * step for k in range(int((points[-1].t - points[0].t) / step) + 1)]
    if not set(have) <= set(grid):
        return points  # points off the grid: keep them all as they are
    zero = 0.0 if points[0].out is not None else None
    return [have.get(t) or Point(t, 0.0, zero) for t in grid]


def _ticks(points: list[Point]) -> list[tuple[int, str]]:
    """(index, label): the first bucket of each local day for a series over more than a day and a half (on the
    hourly axis, midnight), else start / middle / end."""
    span = points[-1].t - points[0].t
    if span > timedelta(hours=36):
        local = [p.t.astimezone(CST).date() for p in points]
        days = [(i, f"{d:%m-%d}") for i, d in enumerate(local) if i and d != local[i - 1]]
        if len(days) >= 2:
            every = -(-len(days) // 12)  # at most about a dozen labels
            return days[::every]
    return [(i, f"{points[i].t.astimezone(CST):%m-%d %H:%M}") for i in sorted({0, len(points) // 2, len(points) - 1})]


def svg(points: list[Point], *, width: int = 720, height: int = 200, title: str = "",
        marks: Sequence[tuple[datetime, str]] = ()) -> Markup:
    """Bars: all calls per bucket (grey), outgoing (red) when known, on a time axis with empty buckets left empty;
    axis labels in China Standard Time. ``marks`` (time, label), e.g. when a measure took effect, are dashed
    vertical lines at their bucket, so one sees whether the traffic stopped; marks outside the series are left out."""
    if not points:
        return Markup('<p class="muted">无话务数据 no traffic data</p>')
    points = on_time_axis(points)
    left, bottom, top, right = 40, 28, 12, 8
    plot_w, plot_h = width - left - right, height - bottom - top
    peak = max(max(p.calls, p.out or 0) for p in points) or 1.0
    step = plot_w / len(points)
    bar = max(step * 0.8, 1.0)
    parts = [f'<svg class="traffic" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="#98a2b3"/>',
             f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" font-size="10">{peak:g}</text>',
             f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" font-size="10">0</text>']  # fmt: skip
    for i, p in enumerate(points):
        if not p.calls and not p.out:
            continue
        x = left + i * step
        h = plot_h * p.calls / peak
        local = p.t.astimezone(CST)
        parts.append(f'<rect class="calls" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                     f'fill="#98a2b3"><title>{local:%m-%d %H:%M} 通话 {p.calls:g}'
                     f'{"，外呼 %g" % p.out if p.out is not None else ""}</title></rect>')  # fmt: skip
        if p.out is not None:
            ho = plot_h * p.out / peak
            parts.append(f'<rect class="out" x="{x:.1f}" y="{top + plot_h - ho:.1f}" width="{bar / 2:.1f}" '
                         f'height="{ho:.1f}" fill="#b42318"/>')  # fmt: skip
    times = [p.t for p in points]
    bucket = (times[-1] - times[0]) / (len(times) - 1) if len(times) > 1 else timedelta(hours=1)
    for at, label in marks:
        at = aware(at)  # stored times are UTC (SQLite hands them back naive)
        if not times[0] <= at < times[-1] + bucket:
            continue
        x = left + (bisect_right(times, at) - 1) * step + bar / 2
        parts.append(f'<g class="mark"><line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#1d2939" '
                     f'stroke-dasharray="3,2"/><text x="{x + 3 if x < width * 0.7 else x - 3:.1f}" y="{top + 8}" font-size="10" '
                     f'text-anchor="{"start" if x < width * 0.7 else "end"}" fill="#1d2939">'
                     f'{escape(label)} {at.astimezone(CST):%m-%d %H:%M}</text></g>')  # fmt: skip
    for i, label in _ticks(points):
        x = left + i * step
        anchor = "start" if x < left + 30 else "end" if x > width - right - 30 else "middle"
        parts.append(f'<line x1="{x:.1f}" y1="{top + plot_h}" x2="{x:.1f}" y2="{top + plot_h + 4}" stroke="#98a2b3"/>'
                     f'<text x="{x:.1f}" y="{height - 8}" text-anchor="{anchor}" font-size="10">{label}</text>')  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))
