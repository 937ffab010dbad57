"""The three-level review (三级稽核) as an explicit state machine.

    open ──L1 核实──▶ l1_verified ──L2 批准──▶ actioned            (ordinary measure)
                                   └─L2 批准──▶ awaiting_l3 ──L3 批准──▶ actioned   (high-impact measure)
    any review state ──驳回──▶ dismissed ──重新打开──▶ open;  actioned ──结案──▶ closed

Only the pairs in ``TRANSITIONS`` exist: there is no edge that skips a level (open → actioned, open →
awaiting_l3, l1_verified → actioned for a high-impact measure), and each edge names the permission it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fanzha.casework.auth.enums import Permission


class CaseState(StrEnum):
    OPEN = "open"
    L1_VERIFIED = "l1_verified"
    AWAITING_L3 = "awaiting_l3"
    ACTIONED = "actioned"
    DISMISSED = "dismissed"
    CLOSED = "closed"


STATE_LABELS = {
    CaseState.OPEN: "待一级稽核",
    CaseState.L1_VERIFIED: "待二级审批",
    CaseState.AWAITING_L3: "待三级审批",
    CaseState.ACTIONED: "已处置",
    CaseState.DISMISSED: "已驳回（误报）",
    CaseState.CLOSED: "已结案",
}
ACTIVE_STATES = frozenset({CaseState.OPEN, CaseState.L1_VERIFIED, CaseState.AWAITING_L3, CaseState.ACTIONED})
REVIEW_STATES = frozenset({CaseState.OPEN, CaseState.L1_VERIFIED, CaseState.AWAITING_L3})
# 在办 (in work): a case waiting for a review decision. The case queue's "全部在办案件" tab and the dashboard's
# 在办案件 both count exactly these; an actioned case (measure taken, not yet closed) is not in work.
IN_WORK_STATES = REVIEW_STATES


class CaseAction(StrEnum):
    L1_VERIFY = "l1_verify"
    L1_DISMISS = "l1_dismiss"
    L2_APPROVE = "l2_approve"
    L2_REJECT = "l2_reject"
    L3_APPROVE = "l3_approve"
    L3_REJECT = "l3_reject"
    CLOSE = "close"
    REOPEN = "reopen"


ACTION_LABELS = {
    CaseAction.L1_VERIFY: "一级稽核：证据属实",
    CaseAction.L1_DISMISS: "一级稽核：证据不足，驳回",
    CaseAction.L2_APPROVE: "二级审批：批准处置",
    CaseAction.L2_REJECT: "二级审批：不予处置",
    CaseAction.L3_APPROVE: "三级审批：批准处置",
    CaseAction.L3_REJECT: "三级审批：不予处置",
    CaseAction.CLOSE: "结案",
    CaseAction.REOPEN: "重新打开",
}


@dataclass(frozen=True)
class Transition:
    targets: tuple[CaseState, ...]  # more than one: the flow chooses by a guard (L2 approval: needs L3 or not)
    permission: Permission


P = Permission
TRANSITIONS: dict[tuple[CaseState, CaseAction], Transition] = {
    (CaseState.OPEN, CaseAction.L1_VERIFY): Transition((CaseState.L1_VERIFIED,), P.REVIEW_L1),
    (CaseState.OPEN, CaseAction.L1_DISMISS): Transition((CaseState.DISMISSED,), P.REVIEW_L1),
    (CaseState.L1_VERIFIED, CaseAction.L2_APPROVE): Transition((CaseState.ACTIONED, CaseState.AWAITING_L3), P.REVIEW_L2),
    (CaseState.L1_VERIFIED, CaseAction.L2_REJECT): Transition((CaseState.DISMISSED,), P.REVIEW_L2),
    (CaseState.AWAITING_L3, CaseAction.L3_APPROVE): Transition((CaseState.ACTIONED,), P.REVIEW_L3),
    (CaseState.AWAITING_L3, CaseAction.L3_REJECT): Transition((CaseState.DISMISSED,), P.REVIEW_L3),
    (CaseState.ACTIONED, CaseAction.CLOSE): Transition((CaseState.CLOSED,), P.CASE_WORK),
    (CaseState.DISMISSED, CaseAction.REOPEN): Transition((CaseState.OPEN,), P.CASE_WORK),
}

# Which review level each state waits for: the queue a reviewer sees.
QUEUE_OF = {P.REVIEW_L1: CaseState.OPEN, P.REVIEW_L2: CaseState.L1_VERIFIED, P.REVIEW_L3: CaseState.AWAITING_L3}


def allowed_actions(state: str) -> list[CaseAction]:
    return [a for (s, a) in TRANSITIONS if s == state]
