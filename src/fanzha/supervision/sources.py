"""Panels fed by other domains: police queries, clues and feedback; public reports and tips; monitoring.

Each is one provider calling the owning domain's statistics function and shaping it as a panel. The owning
module is imported inside the provider, so loading the dashboard does not import every domain up front.
"""

from __future__ import annotations

from fanzha.casework.auth.enums import Permission
from fanzha.supervision.panels import Chart, Figure, Panel, PanelContext, PanelData, Series, register

KPI, POLICE = Permission.KPI_VIEW, Permission.POLICE_DESK


def police_queries_panel(ctx: PanelContext) -> PanelData:
    from fanzha.casework.police.service import query_stats

    if ctx.flt.county:
        return PanelData.empty("协查请求不按区县统计 police queries are not tied to a county")
    s = query_stats(ctx.db, since=ctx.flt.since, until=ctx.flt.until)
    if not s.requests:
        return PanelData.empty("所选时间内没有公安协查请求 no police queries in the range")
    outcomes = [("approved", "已批准", s.approved), ("refused", "已拒绝", s.refused), ("pending", "待审批", s.pending)]
    return PanelData(
        columns=[("outcome", "结果"), ("label", "名称"), ("count", "请求数")],
        rows=[{"outcome": k, "label": label, "count": n} for k, label, n in outcomes],
        figures=[Figure("police_queries", "协查请求", s.requests), Figure("police_queries_approved", "已批准", s.approved),
                 Figure("police_queries_pending", "待审批", s.pending)],
        chart=Chart("hbar", [label for _, label, _ in outcomes], [Series("请求数", [n for _, _, n in outcomes])],
                    unit="件", title="公安协查请求"),
        note="驻警联络员受理的公安协查请求（按收到时间），每次查询经双人审批并记入审计。",
    )  # fmt: skip


register(Panel("police_queries", "公安协查请求", (POLICE, KPI), police_queries_panel, 50))
