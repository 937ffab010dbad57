"""Dashboard charts drawn server-side as SVG (no JavaScript, no CDN), labels in zh-CN.

``render(chart)`` draws a :class:`~fanzha.supervision.panels.Chart`. Every bar carries ``data-value`` and the
``<svg>`` carries ``data-total`` (the sum of all values), so tests can check the picture against the table.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from fanzha.supervision.panels import Chart

PALETTE = ["#b42318", "#1570ef", "#067647", "#dc6803", "#6941c6", "#0e9384", "#c11574", "#475467"]
FONT = 'font-family="Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"'


def _num(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _nice(peak: float) -> float:
    """A round axis maximum ≥ peak (1, 2, 5 × 10^k)."""
    if peak <= 0:
        return 1.0
    step = 10 ** len(str(int(peak))) / 10 if peak >= 1 else 1.0
    for m in (1, 2, 5, 10):
        if peak <= m * step:
            return m * step
    return 10 * step


def render(chart: Chart, *, width: int = 560, height: int = 240) -> Markup:
    if chart.kind in ("hbar", "hgrouped"):
        return _hbar(chart, width=width)
    return _columns(chart, width=width, height=height)


def _open(chart: Chart, width: int, height: int) -> list[str]:
    return [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
            f'xmlns="http://www.w3.org/2000/svg" data-total="{_num(chart.total)}" {FONT}>'
            f'<title>{escape(chart.title)}</title>']  # fmt: skip


def _legend(chart: Chart, x: float, y: float) -> list[str]:
    out = []
    for i, s in enumerate(chart.series):
        if len(chart.series) == 1:
            break
        out.append(f'<rect x="{x:.0f}" y="{y - 9:.0f}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{x + 14:.0f}" y="{y:.0f}" font-size="11">{escape(s.name)}</text>')  # fmt: skip
        x += 24 + 12 * len(s.name)
    return out


def _columns(chart: Chart, *, width: int, height: int) -> Markup:
    left, right, top, bottom = 44, 8, 24, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(chart.categories), 1)
    stacked = chart.kind == "stacked"
    per_cat = [sum(s.values[i] for s in chart.series) for i in range(len(chart.categories))]
    peak = max(per_cat, default=0) if stacked else max((max(s.values, default=0) for s in chart.series), default=0)
    axis = _nice(peak)
    step = plot_w / n
    parts = _open(chart, width, height)
    parts += _legend(chart, left, 14)
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e4e7ec"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10">{_num(axis * frac)}</text>')
    bar_w = step * 0.7 / (1 if stacked else max(len(chart.series), 1))
    for i, cat in enumerate(chart.categories):
        x0 = left + i * step + step * 0.15
        base = top + plot_h
        for j, s in enumerate(chart.series):
            v = s.values[i]
            h = plot_h * v / axis
            x = x0 if stacked else x0 + j * bar_w
            y = base - h if stacked else top + plot_h - h
            parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(bar_w, 1):.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[j % len(PALETTE)]}" data-value="{_num(v)}">'
                         f'<title>{escape(cat)} {escape(s.name)}：{_num(v)}{escape(chart.unit)}</title></rect>')  # fmt: skip
            if stacked:
                base -= h
    every = max(1, n // 10)  # at most ~10 axis labels
    for i, cat in enumerate(chart.categories):
        if i % every == 0 or i == n - 1:
            parts.append(f'<text x="{left + (i + 0.5) * step:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                         f'font-size="10">{escape(cat)}</text>')  # fmt: skip
    if chart.unit:
        parts.append(f'<text x="4" y="{top - 6}" font-size="10" fill="#667085">{escape(chart.unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _hbar(chart: Chart, *, width: int) -> Markup:
    """Horizontal bars, one row per category: series stacked ("hbar") or side by side ("hgrouped")."""
    grouped = chart.kind == "hgrouped"
    k = max(len(chart.series), 1)
    row_h, left, right, top = (10 * k + 10 if grouped else 22), 170, 50, 22 if k > 1 else 8
    n = len(chart.categories)
    height = top + 8 + row_h * max(n, 1)
    totals = [sum(s.values[i] for s in chart.series) for i in range(n)]
    peak = max((max(s.values, default=0) for s in chart.series), default=0) if grouped else max(totals, default=0)
    axis = _nice(peak)
    plot_w = width - left - right
    parts = _open(chart, width, height)
    parts += _legend(chart, left, 14)
    for i, cat in enumerate(chart.categories):
        y = top + i * row_h
        parts.append(f'<text x="{left - 6}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end" font-size="11">'
                     f'{escape(cat[-18:])}</text>')  # fmt: skip
        x = left
        for j, s in enumerate(chart.series):
            v = s.values[i]
            w = plot_w * v / axis
            bar_h = 10 if grouped else row_h - 8
            by = y + 5 + j * 10 if grouped else y + 4
            bx = left if grouped else x
            parts.append(f'<rect class="bar" x="{bx:.1f}" y="{by:.1f}" width="{w:.1f}" height="{bar_h}" '
                         f'fill="{PALETTE[j % len(PALETTE)]}" data-value="{_num(v)}">'
                         f'<title>{escape(cat)} {escape(s.name)}：{_num(v)}{escape(chart.unit)}</title></rect>')  # fmt: skip
            if grouped and v:
                parts.append(f'<text x="{bx + w + 3:.1f}" y="{by + 9:.1f}" font-size="9">{_num(v)}</text>')
            x += w
        if not grouped:
            parts.append(f'<text x="{x + 4:.1f}" y="{y + row_h / 2 + 4:.1f}" font-size="11">{_num(totals[i])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
