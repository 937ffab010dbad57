"""Bar charts for the statistics page, drawn server-side as SVG (no JavaScript, no CDN), as in
``cases/traffic.py``. Values are labelled on the bars so the chart reads without hovering."""

from __future__ import annotations

from markupsafe import Markup, escape


def hbars(items: list[tuple[str, int]], *, title: str, width: int = 640, bar_h: int = 26) -> Markup:
    """Horizontal bars, one per (label, value): for categories and channels (long Chinese labels)."""
    if not items:
        return Markup('<p class="muted">无数据 no data</p>')
    label_w, gap, top = 260, 8, 6
    peak = max(v for _, v in items) or 1
    plot_w = width - label_w - 60
    height = top * 2 + len(items) * (bar_h + gap)
    parts = [f'<svg class="chart desk-chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_h + gap)
        w = plot_w * value / peak
        parts.append(f'<text x="{label_w - 8}" y="{y + bar_h * 0.7:.1f}" text-anchor="end" font-size="13">'
                     f'{escape(label)}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="#b42318">'
                     f'<title>{escape(label)}: {value}</title></rect>'
                     f'<text x="{label_w + w + 6:.1f}" y="{y + bar_h * 0.7:.1f}" font-size="13">{value}</text>')  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))


def vbars(items: list[tuple[str, int]], *, title: str, width: int = 640, height: int = 220) -> Markup:
    """Vertical bars over time (months), value above each bar."""
    if not items:
        return Markup('<p class="muted">无数据 no data</p>')
    left, bottom, top = 30, 28, 18
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max(v for _, v in items) or 1
    step = plot_w / len(items)
    bar = min(step * 0.7, 60)
    parts = [f'<svg class="chart desk-chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#667085"/>']
    for i, (label, value) in enumerate(items):
        x = left + i * step + (step - bar) / 2
        h = plot_h * value / peak
        parts.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="#b42318">'
                     f'<title>{escape(label)}: {value}</title></rect>'
                     f'<text x="{x + bar / 2:.1f}" y="{top + plot_h - h - 4:.1f}" text-anchor="middle" font-size="12">'
                     f'{value}</text>'
                     f'<text x="{x + bar / 2:.1f}" y="{height - 8}" text-anchor="middle" font-size="12">'
                     f'{escape(label)}</text>')  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))
