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


def _no_county(ctx: PanelContext, what: str) -> PanelData | None:
    if ctx.flt.county:
        return PanelData.empty(f"{what}不按区县统计，请选择全市 not tied to a county")
    return None


def _figures_table(figures: list[Figure], **kw) -> PanelData:
    """A panel whose table is its figures (one row each), so it exports like every other panel."""
    return PanelData(columns=[("key", "指标"), ("label", "名称"), ("value", "数值")],
                     rows=[{"key": f.key, "label": f.label, "value": f.value} for f in figures], figures=figures, **kw)


def clues_panel(ctx: PanelContext) -> PanelData:
    from fanzha.casework.police.service import clue_stats

    if (empty := _no_county(ctx, "线索批次")) is not None:
        return empty
    s = clue_stats(ctx.db, since=ctx.flt.since, until=ctx.flt.until)
    if not (s.batches or s.arrests or s.devices or s.cards):
        return PanelData.empty("所选时间内没有移交线索或公安反馈 no clue batches or police feedback in the range")
    figures = [Figure("clue_batches", "移交线索批次", s.batches), Figure("clue_lines", "移交号码", s.lines_sent),
               Figure("police_arrests", "反馈抓获", s.arrests), Figure("police_devices", "缴获设备", s.devices),
               Figure("police_cards", "缴获卡", s.cards)]  # fmt: skip
    return _figures_table(figures, chart=Chart("hbar", [f.label for f in figures], [Series("数量", [f.value for f in figures])],
                                               title="线索移交与公安反馈"),
                          note="按移交（导出）时间统计线索批次；按记录时间统计公安反馈（抓获、缴获设备与卡）。")  # fmt: skip


def reports_panel(ctx: PanelContext) -> PanelData:
    from fanzha.analytics.reports_text.labels import CLASSES
    from fanzha.casework.reports.stats import report_stats

    if (empty := _no_county(ctx, "公众举报")) is not None:
        return empty
    s = report_stats(ctx.db, since=ctx.flt.since, until=ctx.flt.until)
    if not s["received"]:
        return PanelData.empty("所选时间内没有 12321 举报 no public reports in the range")
    types = list(s["by_fraud_type"].items())
    in_sla = s["checked_in_sla"] / s["checked"] if s["checked"] else None
    return PanelData(
        columns=[("fraud_type", "诈骗类型"), ("label", "名称"), ("reports", "首次举报数")],
        rows=[{"fraud_type": t, "label": CLASSES.get(t, t), "reports": n} for t, n in types],
        figures=[Figure("reports_received", "收到举报", s["received"]), Figure("reports_numbers", "涉及号码", s["numbers"]),
                 Figure("reports_own_line", "本网号码", s["own_line"]), Figure("reports_pending", "待核查", s["pending"]),
                 Figure("reports_overdue", "超时未核查", s["overdue"]), Figure("reports_in_sla", "按时核查", in_sla, "%")],
        chart=Chart("hbar", [CLASSES.get(t, t) for t, _ in types], [Series("首次举报", [n for _, n in types])], unit="条",
                    title="12321 举报（按诈骗类型）"),
        note="按收到时间统计；重复举报不计入类型分布；按时核查 = 在期限内核查完的首次举报占已核查的比例。",
    )  # fmt: skip


def tips_panel(ctx: PanelContext) -> PanelData:
    from fanzha.casework.market.enums import CATEGORIES, CHANNELS
    from fanzha.casework.market.stats import tip_stats

    if (empty := _no_county(ctx, "市场监管线索")) is not None:
        return empty
    s = tip_stats(ctx.db, since=ctx.flt.since, until=ctx.flt.until)
    if not s["total"]:
        return PanelData.empty("所选时间内没有养老诈骗线索 no market-regulation tips in the range")
    rows = [{"kind": "category", "code": c, "label": CATEGORIES.get(c, c), "tips": n} for c, n in s["by_category"].items()]
    rows += [{"kind": "channel", "code": c, "label": CHANNELS.get(c, c), "tips": n} for c, n in s["by_channel"].items()]
    cats = list(s["by_category"].items())
    return PanelData(
        columns=[("kind", "分组"), ("code", "代码"), ("label", "名称"), ("tips", "线索数")], rows=rows,
        figures=[Figure("tips_total", "养老诈骗线索", s["total"]), Figure("tips_open", "在办", s["open"]),
                 Figure("tips_numbers", "涉及号码", s["numbers"]), Figure("tips_alerts", "转为告警", s["alerts"])],
        chart=Chart("hbar", [CATEGORIES.get(c, c)[:14] for c, _ in cats], [Series("线索", [n for _, n in cats])],
                    unit="条", title="养老诈骗线索（按类别）"),
        note="市场监管部门经 12345/12315 热线、电子邮件、现场、网上收到的线索，按收到时间统计。",
    )  # fmt: skip


def monitoring_panel(ctx: PanelContext) -> PanelData:
    from fanzha.casework.monitor.service import lag_stats
    from fanzha.casework.monitor.warnings import people_warned

    if (empty := _no_county(ctx, "实时监测")) is not None:
        return empty
    s = lag_stats(ctx.db, since=ctx.flt.since, until=ctx.flt.until)
    warned = people_warned(ctx.db, since=ctx.flt.since, until=ctx.flt.until)
    if not s["files"] and not warned:
        return PanelData.empty("所选时间内没有实时监测批次 no monitored files in the range")
    quantiles = [("p50_s", "中位"), ("p95_s", "95%"), ("p99_s", "99%"), ("max_s", "最大")]
    figures = [Figure("monitor_files", "监测文件", s["files"]),
               Figure("monitor_p50_s", "延迟中位", None if s["p50_s"] is None else round(s["p50_s"], 1), " 秒"),
               Figure("monitor_p95_s", "延迟 95%", None if s["p95_s"] is None else round(s["p95_s"], 1), " 秒"),
               Figure("people_warned", "已提醒用户", warned),
               Figure("monitor_rows_quarantined", "隔离记录", s["rows_quarantined"])]  # fmt: skip
    shown = [(label, s[k]) for k, label in quantiles if s[k] is not None]
    return _figures_table(figures, chart=Chart("hbar", [label for label, _ in shown],
                                               [Series("秒", [round(v, 1) for _, v in shown])], unit="秒",
                                               title="话单到告警的延迟") if shown else None,
                          note="延迟 = 话单文件到达至其告警入库；已提醒用户 = 预警已交付渠道的不同号码数。")  # fmt: skip


def _register_if_present(module: str, panel: Panel) -> None:
    """Register a panel whose source domain is part of this build (public desk and monitor landed in parallel)."""
    import importlib.util

    try:
        found = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package is absent
        found = False
    if found:
        register(panel)


register(Panel("clues", "线索移交与公安反馈", (POLICE, KPI), clues_panel, 51))
_register_if_present("fanzha.casework.reports.stats", Panel("reports", "12321 公众举报", KPI, reports_panel, 52))
_register_if_present("fanzha.casework.market.stats", Panel("tips", "养老诈骗线索（市场监管）", (Permission.TIP_MANAGE, KPI),
                                                           tips_panel, 53))
_register_if_present("fanzha.casework.monitor.service", Panel("monitoring", "实时监测延迟与预警", KPI, monitoring_panel, 54))
