"""Decisions and the state machine of one counter check (explicit transitions, every change audited)."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Level(IntEnum):
    """How serious a finding is; the strictest finding decides."""

    INFO = 0
    REMIND = 1
    ESCALATE = 2
    REFUSE = 3

    @classmethod
    def parse(cls, value: str) -> Level:
        return cls[value.strip().upper()]


class Decision(StrEnum):
    PASS = "pass"
    ESCALATE = "escalate"
    REFUSE = "refuse"


DECISION_LABELS = {Decision.PASS: "通过", Decision.ESCALATE: "转二级稽核", Decision.REFUSE: "拒绝办理"}


def decision_for(level: Level) -> Decision:
    if level >= Level.REFUSE:
        return Decision.REFUSE
    if level >= Level.ESCALATE:
        return Decision.ESCALATE
    return Decision.PASS


class CheckStatus(StrEnum):
    PASSED = "passed"  # the clerk may open the lines after the checklist and the signed notice
    PENDING_REVIEW = "pending_review"  # waiting in the L2 queue
    APPROVED = "approved"  # L2 allowed it: as PASSED
    REJECTED = "rejected"  # L2 refused it
    REFUSED = "refused"  # refused at the counter
    COMPLETED = "completed"  # checklist done and notice signed


STATUS_LABELS = {
    CheckStatus.PASSED: "已通过",
    CheckStatus.PENDING_REVIEW: "待二级稽核",
    CheckStatus.APPROVED: "稽核同意",
    CheckStatus.REJECTED: "稽核拒绝",
    CheckStatus.REFUSED: "已拒绝",
    CheckStatus.COMPLETED: "已签署完成",
}

# A check still open may be refused later (a ban or a line cap that arrived meanwhile: flows._recheck), and a passed
# one may go to L2 when a new 一证通查 finding escalates it.
TRANSITIONS: dict[CheckStatus, frozenset[CheckStatus]] = {
    CheckStatus.PASSED: frozenset({CheckStatus.COMPLETED, CheckStatus.REFUSED, CheckStatus.PENDING_REVIEW}),
    CheckStatus.PENDING_REVIEW: frozenset({CheckStatus.APPROVED, CheckStatus.REJECTED, CheckStatus.REFUSED}),
    CheckStatus.APPROVED: frozenset({CheckStatus.COMPLETED, CheckStatus.REFUSED}),
    CheckStatus.REJECTED: frozenset(),
    CheckStatus.REFUSED: frozenset(),
    CheckStatus.COMPLETED: frozenset(),
}

# Statuses in which the clerk goes on with the checklist and the notice.
OPEN_FOR_SIGNING = frozenset({CheckStatus.PASSED, CheckStatus.APPROVED})


def initial_status(decision: Decision) -> CheckStatus:
    return {Decision.PASS: CheckStatus.PASSED, Decision.ESCALATE: CheckStatus.PENDING_REVIEW,
            Decision.REFUSE: CheckStatus.REFUSED}[decision]  # fmt: skip


class TransitionError(ValueError):
    """A state change that the machine does not allow; the message is safe to show."""


def check_transition(current: CheckStatus, target: CheckStatus) -> None:
    if target not in TRANSITIONS[CheckStatus(current)]:
        raise TransitionError(f"状态 {STATUS_LABELS[CheckStatus(current)]} 不能变为 {STATUS_LABELS[target]}")
