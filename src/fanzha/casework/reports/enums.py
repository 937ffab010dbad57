"""Report states (举报核查) with explicit transitions.

    pending ──核实涉诈──▶ confirmed
       ├────核实不实──▶ unfounded
       └────转交──────▶ forwarded   (a number of another carrier: passed on to it / to the police)
    duplicate: a repeat of an earlier report (same reported number and reporter within the dedup window);
               it points at the first report and is never queued on its own.
"""

from __future__ import annotations

from enum import StrEnum


class ReportStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNFOUNDED = "unfounded"
    FORWARDED = "forwarded"
    DUPLICATE = "duplicate"


STATUS_LABELS = {
    ReportStatus.PENDING: "待核查",
    ReportStatus.CONFIRMED: "核实涉诈",
    ReportStatus.UNFOUNDED: "核实不实",
    ReportStatus.FORWARDED: "已转交",
    ReportStatus.DUPLICATE: "重复举报",
}
TRANSITIONS: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.PENDING: frozenset({ReportStatus.CONFIRMED, ReportStatus.UNFOUNDED, ReportStatus.FORWARDED}),
    ReportStatus.CONFIRMED: frozenset(),
    ReportStatus.UNFOUNDED: frozenset(),
    ReportStatus.FORWARDED: frozenset(),
    ReportStatus.DUPLICATE: frozenset(),
}
CHANNELS = {"sms": "短信", "call": "电话", "web": "网站", "app": "客户端"}
INTAKES = {"api": "接口", "import": "批量导入"}
