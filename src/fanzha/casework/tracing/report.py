"""The traceability report (溯源报告): HTML, and PDF with WeasyPrint and embedded Noto CJK (real, selectable text).

    data = report_data(result, charts=..., generated_by="analyst1", case_label="案件 #12", run_label="溯源 #3")
    html = render_html(data); pdf = render_pdf(html)

The same function serves the web app (stored with the case) and `fanzha trace --out DIR`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from fanzha.analytics.graph.kinds import EDGE_TYPES, EDGE_ZH
from fanzha.casework.onboarding.notice import font_face
from fanzha.casework.tracing.picture import graph_svg
from fanzha.casework.tracing.service import METHOD
from fanzha.privacy import redact

CST = timezone(timedelta(hours=8))
EVIDENCE_ZH = {"calls": "通话次数", "seconds": "通话秒数", "first": "首次", "last": "末次", "shop_id": "营业厅",
               "clerk_id": "店员", "opened": "开户时间", "peer_opened": "对方开户时间", "gap_s": "开户间隔秒", "swap_gap_s": "换卡间隔秒",
               "cell_hours": "同一时段同一基站共同出现次数", "cells": "基站数", "days": "天数",
               "share": "共同出现占活跃时段比例", "most_lines": "同时段同基站最多号码数", "same_model": "同型号终端",
               "tac": "终端型号码(TAC)", "before_last": "前一号码末次使用", "after_first": "后一号码首次使用"}


def _fact(v) -> str:
    return ("是" if v else "否") if isinstance(v, bool) else str(v)


@dataclass
class ReportData:
    number: str
    case_label: str
    run_label: str
    generated_by: str
    generated_at: str
    seeds: list[str]
    seeds_missing: list[str]
    data_range: str
    window: str
    built_at: str
    edge_types: list[str]
    params: dict
    graph: dict
    method: str
    ranked: list[dict]
    any_selected: bool
    graph_svg: Markup
    charts: list[dict]


def _cst(value: str | datetime | None) -> str:
    if not value:
        return "—"
    t = datetime.fromisoformat(value) if isinstance(value, str) else value
    t = t if t.tzinfo else t.replace(tzinfo=UTC)
    return t.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def evidence_lines(paths: list[list[dict]]) -> list[str]:
    """One line per supporting edge: its type, ends and the records behind it (masked)."""
    out, seen = [], set()
    for p in paths:
        for e in p:
            key = (e["src"], e["dst"], e["edge_type"])
            if key in seen or not e.get("evidence"):
                continue
            seen.add(key)
            ev = e["evidence"] if isinstance(e["evidence"], dict) else {}
            facts = "，".join(f"{EVIDENCE_ZH.get(k, k)} {_fact(v)}" for k, v in ev.items() if v not in (None, ""))
            out.append(redact(f"{EDGE_ZH[e['edge_type']]}：{e['src']} — {e['dst']}（{facts}）"))
    return out[:6]


def report_data(result: dict, *, charts: list[dict], generated_by: str, case_label: str = "未立案",
                run_label: str = "—", selected: set[str] | frozenset = frozenset(), number: str = "",
                generated_at: datetime | None = None) -> ReportData:
    at = generated_at or datetime.now(UTC)
    g, p = result["graph"], result["params"]
    ranked = [{**r, "types_zh": [EDGE_ZH[t] for t in r["edge_types"]], "selected": r["msisdn"] in selected,
               "evidence": evidence_lines(r["paths"])} for r in result["ranked"]]
    return ReportData(
        number=number or at.astimezone(CST).strftime("TR%Y%m%d%H%M%S"), case_label=case_label, run_label=run_label,
        generated_by=generated_by, generated_at=_cst(at), seeds=result["seeds"],
        seeds_missing=result.get("seeds_missing") or [],
        data_range=f"{_cst(g.get('data_since'))} 至 {_cst(g.get('data_until'))}（{g.get('calls') or 0:,} 条话单）",
        window=(f"{_cst(p.get('since')) if p.get('since') else '不限'} 至 {_cst(p.get('until')) if p.get('until') else '不限'}"),
        built_at=_cst(g.get("built_at")), edge_types=[EDGE_ZH[t] for t in p.get("edge_types") or EDGE_TYPES],
        params=p, graph=g, method=METHOD, ranked=ranked, any_selected=any(r["selected"] for r in ranked),
        graph_svg=graph_svg(result["drawing"]), charts=charts,
    )  # fmt: skip


_env: Environment | None = None


def render_html(data: ReportData) -> str:
    global _env
    if _env is None:
        _env = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["html"]))
    return _env.get_template("report.html").render(d=data, font_face=Markup(font_face()))


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def write_files(data: ReportData, out: Path) -> tuple[Path, Path]:
    """report.html and report.pdf in `out` (each written beside and renamed, so never half-written)."""
    html = render_html(data)
    pdf = render_pdf(html)
    paths = []
    for name, blob in (("report.html", html.encode()), ("report.pdf", pdf)):
        tmp = out / f".{name}.tmp"
        tmp.write_bytes(blob)
        tmp.replace(out / name)
        paths.append(out / name)
    return paths[0], paths[1]
