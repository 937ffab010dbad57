"""The graph picture for the report, drawn server-side as SVG from the trace's layout (same as the page).

Colours by node kind and edge type; the legend and labels are real text (CJK font), so the PDF keeps them
selectable. Ranked lines carry their rank, seeds a thick ring.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from fanzha.analytics.graph.kinds import EDGE_TYPES, EDGE_ZH, NODE_KINDS, NODE_ZH

NODE_COLOUR = {"line": "#1f6feb", "person": "#b42318", "device": "#7a5af8", "cell": "#667085"}
EDGE_COLOUR = {"same_id": "#b42318", "device": "#7a5af8", "counter": "#dc6803", "contact": "#1f6feb",
               "cell": "#98a2b3", "co_location": "#079455", "device_seq": "#c11574"}
FONT = "FanzhaCJK, 'Noto Sans CJK SC', sans-serif"


def graph_svg(drawing: dict, *, width: int = 720, height: int = 520, label_top: int = 15) -> Markup:
    nodes = drawing.get("nodes") or []
    if not nodes:
        return Markup('<p class="muted">无关联图 nothing to draw</p>')
    legend_h = 50  # node kinds on one row, edge types on up to two
    plot_h = height - legend_h
    at = {n["id"]: (n["x"] * width, n["y"] * plot_h) for n in nodes}
    parts = [f'<svg class="trace-graph" role="img" viewBox="0 0 {width} {height}" width="100%" '
             f'xmlns="http://www.w3.org/2000/svg" font-family="{FONT}"><title>关联图</title>']
    for e in drawing.get("edges") or []:
        (x1, y1), (x2, y2) = at[e["source"]], at[e["target"]]
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                     f'stroke="{EDGE_COLOUR[e["edge_type"]]}" stroke-width="1.2" stroke-opacity="0.7"/>')
    for n in sorted(nodes, key=lambda n: (n["seed"], n.get("rank") is not None)):
        x, y = at[n["id"]]
        r = 9 if n["seed"] else 6 if n["kind"] == "line" else 5
        ring = ' stroke="#101828" stroke-width="3"' if n["seed"] else ' stroke="#fff" stroke-width="1"'
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{NODE_COLOUR[n["kind"]]}"{ring}>'
                     f'<title>{escape(NODE_ZH[n["kind"]])} {escape(n["label"])}</title></circle>')
        rank = n.get("rank")
        if n["seed"] or (rank is not None and rank <= label_top):
            text = f"种子 {n['label']}" if n["seed"] else f"#{rank} {n['label']}"
            parts.append(f'<text x="{x + r + 2:.1f}" y="{y + 3:.1f}" font-size="9" fill="#101828">{escape(text)}</text>')
    # Legend: node kinds, then edge types.
    y0 = plot_h + 12
    x = 6
    for kind in NODE_KINDS:
        parts.append(f'<circle cx="{x + 5}" cy="{y0 - 3}" r="5" fill="{NODE_COLOUR[kind]}"/>'
                     f'<text x="{x + 13}" y="{y0}" font-size="10">{escape(NODE_ZH[kind])}</text>')
        x += 58
    x, y1 = 6, y0 + 16
    for t in EDGE_TYPES:
        step = 24 + 11 * len(EDGE_ZH[t]) + 4
        if x + step > width:
            x, y1 = 6, y1 + 16
        parts.append(f'<line x1="{x}" y1="{y1 - 3}" x2="{x + 16}" y2="{y1 - 3}" stroke="{EDGE_COLOUR[t]}" '
                     f'stroke-width="2"/><text x="{x + 20}" y="{y1}" font-size="10">{escape(EDGE_ZH[t])}</text>')
        x += step
    parts.append("</svg>")
    return Markup("".join(parts))
