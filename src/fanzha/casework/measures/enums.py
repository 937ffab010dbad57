"""Measure kinds and order states, with the line status each measure leaves behind."""

from __future__ import annotations

from enum import StrEnum


class Measure(StrEnum):
    RESTRICT_OUTGOING = "restrict_outgoing"  # 限制呼出
    SUSPEND = "suspend"  # 停机
    REVERIFY = "reverify"  # 二次实名核验 (line restricted until the owner re-verifies)
    SHUTDOWN = "shutdown"  # 关停
    RESTORE = "restore"  # 恢复


MEASURE_LABELS = {
    Measure.RESTRICT_OUTGOING: "限制呼出",
    Measure.SUSPEND: "停机",
    Measure.REVERIFY: "二次实名核验",
    Measure.SHUTDOWN: "关停",
    Measure.RESTORE: "恢复",
}

# lines.status after the BSS confirmed the order (the data contract's statuses plus two restricted ones).
LINE_STATUS_AFTER = {
    Measure.RESTRICT_OUTGOING: "restricted",
    Measure.SUSPEND: "suspended",
    Measure.REVERIFY: "reverify",
    Measure.SHUTDOWN: "shutdown",
    Measure.RESTORE: "active",
}
RESTRICTED_STATUSES = frozenset({"restricted", "suspended", "reverify", "shutdown"})

LINE_STATUS_LABELS = {
    "active": "正常", "restricted": "限制呼出", "suspended": "停机", "reverify": "待二次核验",
    "shutdown": "关停", "cancelled": "已销户",
}  # fmt: skip


def line_status_label(code: str | None) -> str:
    """停机 for "suspended"; an unknown code as it is."""
    return LINE_STATUS_LABELS.get(code or "", code or "")


class OrderStatus(StrEnum):
    PENDING = "pending"  # committed, not yet sent (or the sender crashed before sending)
    SENDING = "sending"  # claimed by a dispatcher; a stale claim is taken over after the lease
    RETRYING = "retrying"  # the adapter failed; next_attempt_at says when it is tried again
    DONE = "done"  # the BSS accepted it; lines.status updated
    FAILED = "failed"  # gave up after bss_max_attempts; waits for a manual retry
    CANCELLED = "cancelled"  # superseded before it was sent (e.g. a restore before the suspend went out)


ORDER_STATUS_LABELS = {
    OrderStatus.PENDING: "待发送", OrderStatus.SENDING: "发送中", OrderStatus.RETRYING: "重试中",
    OrderStatus.DONE: "已执行", OrderStatus.FAILED: "失败", OrderStatus.CANCELLED: "已撤销",
}  # fmt: skip
OPEN_ORDER_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.SENDING, OrderStatus.RETRYING, OrderStatus.FAILED})
