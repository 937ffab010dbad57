"""The built-in casework panels: one small provider function each, registered at import.

Panels from other domains (police clues, public reports and tips, monitoring) live in
:mod:`fanzha.supervision.sources`.
"""

from __future__ import annotations

from collections import Counter

from fanzha.casework.alerts.labels import detector_label
from fanzha.casework.appeals.enums import AppealStatus
from fanzha.casework.auth.enums import Permission
from fanzha.supervision import kpis
from fanzha.supervision.filters import county_name
from fanzha.supervision.panels import Chart, Figure, Panel, PanelContext, PanelData, Series, register

KPI = Permission.KPI_VIEW


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def shut_lines_panel(ctx: PanelContext) -> PanelData:
    lines = kpis.shut_lines(ctx.db, ctx.flt)
    if not lines:
        return PanelData.empty("所选范围内没有已执行的处置指令 no confirmed measures in the range")
    counts = kpis.shut_by_day_detector(lines)
    detectors = sorted({d for _, d in counts}, key=lambda d: (-sum(v for (_, k), v in counts.items() if k == d), d))
    days = ctx.flt.days
    chart = Chart("stacked", [f"{d:%m-%d}" for d in days],
                  [Series(detector_label(det), [counts.get((d, det), 0) for d in days]) for det in detectors],
                  unit="号码数", title="每日处置号码（按检测器）")  # fmt: skip
    rows = [{"day": d.isoformat(), "detector": det, "detector_label": detector_label(det), "lines": n}
            for (d, det), n in sorted(counts.items())]  # fmt: skip
    figures = [Figure("shut_total", "处置号码", len(lines))]
    figures += [Figure(f"shut_{det}", detector_label(det), sum(v for (_, k), v in counts.items() if k == det))
                for det in detectors[:3]]  # fmt: skip
    return PanelData(columns=[("day", "日期"), ("detector", "检测器"), ("detector_label", "检测器名称"), ("lines", "处置号码数")],
                     rows=rows, figures=figures, chart=chart,
                     note="处置 = 运营商 BSS 已确认执行的限制类指令（限制呼出、停机、二次实名核验、关停）；每个号码计一次。")  # fmt: skip


def backlog_panel(ctx: PanelContext) -> PanelData:
    rows = kpis.backlog(ctx.db, ctx.flt, now=ctx.now)
    case_rows = [r for r in rows if r.key.startswith("cases_")]
    by_key = {r.key: r for r in rows}
    figures = [Figure("cases_open", "在办案件", sum(r.open for r in case_rows)),
               Figure("cases_overdue", "超时案件", sum(r.overdue for r in case_rows)),
               Figure("alerts_open", "待处理告警", by_key["alerts"].open),
               Figure("appeals_open", "待决定申诉", by_key["appeals"].open)]  # fmt: skip
    chart = Chart("hbar", [r.label for r in rows],
                  [Series("未超时", [r.open - r.overdue for r in rows]), Series("超时/失败", [r.overdue for r in rows])],
                  unit="件", title="积压与超时")  # fmt: skip
    return PanelData(columns=[("item", "事项"), ("label", "名称"), ("open", "在办"), ("overdue", "超时")],
                     rows=[{"item": r.key, "label": r.label, "open": r.open, "overdue": r.overdue} for r in rows],
                     figures=figures, chart=chart if any(r.open for r in rows) else None,
                     note="当前快照（不受时间范围影响）：按各状态的 SLA 期限判断超时；处置指令一栏的“超时”为发送失败待人工重试。")  # fmt: skip


def lag_panel(ctx: PanelContext) -> PanelData:
    lines = kpis.shut_lines(ctx.db, ctx.flt)
    overall = kpis.lag_stats([ln.lag_seconds for ln in lines])
    if not overall.count:
        return PanelData.empty("所选范围内没有由告警触发的处置 no alert-driven measures in the range")
    per = kpis.lag_by_detector(lines)
    rows = [{"detector": det, "detector_label": detector_label(det), "lines": s.count,
             "median_min": _minutes(s.median_s), "p90_min": _minutes(s.p90_s), "within_1h": round(s.within_1h, 4)}
            for det, s in per.items()]  # fmt: skip
    figures = [Figure("lag_lines", "告警触发的处置", overall.count),
               Figure("lag_median_min", "中位用时", _minutes(overall.median_s), " 分钟"),
               Figure("lag_p90_min", "90% 用时", _minutes(overall.p90_s), " 分钟"),
               Figure("lag_within_1h", "1 小时内处置", overall.within_1h, "%")]  # fmt: skip
    chart = Chart("stacked", [label for label, _ in overall.buckets], [Series("号码数", [n for _, n in overall.buckets])],
                  unit="号码数", title="告警到处置用时分布")  # fmt: skip
    return PanelData(columns=[("detector", "检测器"), ("detector_label", "检测器名称"), ("lines", "号码数"),
                              ("median_min", "中位用时(分钟)"), ("p90_min", "90%用时(分钟)"), ("within_1h", "1小时内占比")],
                     rows=rows, figures=figures, chart=chart,
                     note="从该号码在案件中的首条告警进入系统，到处置指令被 BSS 确认执行。")  # fmt: skip


def appeals_panel(ctx: PanelContext) -> PanelData:
    fig = kpis.appeal_figures(ctx.db, ctx.flt)
    if not fig.filed and not (fig.reviews_confirmed + fig.reviews_dismissed):
        return PanelData.empty("所选范围内没有申诉和稽核决定 no appeals or review decisions in the range")
    dets = sorted(fig.by_detector)
    statuses = [(AppealStatus.UPHELD.value, "申诉成立"), (AppealStatus.REJECTED.value, "申诉不成立")]

    def _open(c: Counter) -> int:
        return sum(c.values()) - sum(c[s] for s, _ in statuses)

    rows = []
    for det in dets:
        c = fig.by_detector[det]
        decided = c[AppealStatus.UPHELD.value] + c[AppealStatus.REJECTED.value]
        rows.append({"detector": det, "detector_label": detector_label(det), "filed": sum(c.values()),
                     "upheld": c[AppealStatus.UPHELD.value], "rejected": c[AppealStatus.REJECTED.value],
                     "open": _open(c), "fp_rate": round(c[AppealStatus.UPHELD.value] / decided, 4) if decided else None})
    chart = Chart("grouped", [detector_label(d) for d in dets],
                  [Series(label, [fig.by_detector[d][s] for d in dets]) for s, label in statuses]
                  + [Series("待决定", [_open(fig.by_detector[d]) for d in dets])], unit="件", title="申诉结果（按检测器）")
    figures = [Figure("appeals_filed", "申诉", fig.filed), Figure("appeals_upheld", "申诉成立", fig.upheld),
               Figure("appeals_fp_rate", "申诉误报率（申诉成立 ÷ 已决定申诉）", fig.false_positive_rate, "%",
                      detail=f"{fig.upheld}/{fig.decided}"),
               Figure("shut_fp_share", "处置号码经申诉确认误报（申诉成立 ÷ 处置号码）", fig.shut_false_positive_share, "%",
                      detail=f"{fig.upheld}/{fig.shut}"),
               Figure("reviews_dismissed", "稽核驳回案件", fig.reviews_dismissed),
               Figure("reviews_confirmed", "稽核确认案件", fig.reviews_confirmed)]  # fmt: skip
    return PanelData(columns=[("detector", "检测器"), ("detector_label", "检测器名称"), ("filed", "申诉"), ("upheld", "成立"),
                              ("rejected", "不成立"), ("open", "待决定"), ("fp_rate", "误报率")],
                     rows=rows, figures=figures, chart=chart if dets else None,
                     note="申诉误报率 = 申诉成立 ÷ 已决定申诉（按申诉提出时间，分母为申诉件数而非处置号码）；"
                          "处置号码经申诉确认误报 = 申诉成立 ÷ 范围内处置号码，为下限（并非每个被误处置的机主都会申诉）；"
                          "稽核驳回 = 三级稽核中被驳回为误报的案件。")  # fmt: skip


def _yoy_panel(by: str):
    def provider(ctx: PanelContext) -> PanelData:
        from fanzha.casework.registry.models import Shop

        years, rows = kpis.yoy(ctx.db, ctx.flt, actor=ctx.actor, by=by, limit=20 if by == "clerk" else 1000)
        if not years:
            return PanelData.empty("没有带开户时间的号码 no lines with an opening date")
        this, last = years[-1], (years[-2] if len(years) > 1 else years[-1] - 1)
        shops = {s.shop_id: s for s in ctx.db.query(Shop).all()}
        out = []
        for r in rows:
            shop = shops.get(r.shop_id)
            row = {"key": r.key, "shop": (shop.name if shop else None) or r.shop_id or "",
                   "county": county_name(shop.region_code) if shop else "",
                   "last_year": r.fraud_in(last), "this_year": r.fraud_in(this), "change": r.fraud_in(this) - r.fraud_in(last),
                   "lines_this_year": r.years[this].lines if this in r.years else 0}  # fmt: skip
            out.append(row)
        figures = []
        if by == "shop":
            t_this, t_last = sum(r["this_year"] for r in out), sum(r["last_year"] for r in out)
            figures = [Figure("fraud_this_year", f"{this}年开户的涉诈号码", t_this),
                       Figure("fraud_last_year", f"{last}年开户的涉诈号码", t_last),
                       Figure("fraud_change", "同比增减", t_this - t_last)]  # fmt: skip
            out = out[:20]
        top = [r for r in out if r["this_year"] or r["last_year"]][:10]
        chart = Chart("hgrouped", [r["shop"] if by == "shop" else r["key"] for r in top],
                      [Series(f"{last}年", [r["last_year"] for r in top]), Series(f"{this}年", [r["this_year"] for r in top])],
                      unit="号码数", title="涉诈号码同比") if top else None  # fmt: skip
        who = [("key", "营业厅编号" if by == "shop" else "营业员编号"), ("shop", "营业厅"), ("county", "区县")]
        return PanelData(columns=who + [("last_year", f"{last}年涉诈"), ("this_year", f"{this}年涉诈"), ("change", "增减"),
                                        ("lines_this_year", f"{this}年开户数")],
                         rows=out, figures=figures, chart=chart,
                         note="按开户年份统计：号码状态属于涉诈状态（开户规则 fraud_statuses）的即计入；时间范围不适用，区县适用。")
    provider.__name__ = f"yoy_{by}_panel"
    return provider


register(Panel("shut_lines", "处置号码（按检测器、按日）", KPI, shut_lines_panel, 10))
# Reviewers see the backlog too: the queues they work and what is overdue in them.
register(Panel("backlog", "告警与案件积压", (KPI, Permission.REVIEW_L1, Permission.REVIEW_L2, Permission.REVIEW_L3),
               backlog_panel, 20))
register(Panel("lag", "告警到处置用时", KPI, lag_panel, 30))
register(Panel("appeals", "申诉与误报率", KPI, appeals_panel, 40))
register(Panel("yoy_shop", "涉诈号码同比（营业厅）", KPI, _yoy_panel("shop"), 60))
register(Panel("yoy_clerk", "涉诈号码同比（营业员）", KPI, _yoy_panel("clerk"), 61))

import fanzha.supervision.sources  # noqa: E402,F401  (panels fed by other domains)
