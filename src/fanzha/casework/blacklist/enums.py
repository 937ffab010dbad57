"""States of a blacklist entry, with explicit transitions."""

from __future__ import annotations

from enum import StrEnum


class EntryStatus(StrEnum):
    PENDING = "pending"  # a manual entry waiting for L2 approval
    ACTIVE = "active"  # ban in force
    REJECTED = "rejected"  # L2 refused the manual entry
    EXPIRED = "expired"  # the ban ran out
    LIFTED = "lifted"  # ended early (appeal, police decision)


STATUS_LABELS = {EntryStatus.PENDING: "待二级稽核", EntryStatus.ACTIVE: "生效", EntryStatus.REJECTED: "已驳回",
                 EntryStatus.EXPIRED: "已到期", EntryStatus.LIFTED: "已解除"}  # fmt: skip

TRANSITIONS = {
    EntryStatus.PENDING: frozenset({EntryStatus.ACTIVE, EntryStatus.REJECTED}),
    EntryStatus.ACTIVE: frozenset({EntryStatus.EXPIRED, EntryStatus.LIFTED}),
    EntryStatus.REJECTED: frozenset(),
    EntryStatus.EXPIRED: frozenset(),
    EntryStatus.LIFTED: frozenset(),
}


class Source(StrEnum):
    POLICE_CSV = "police_csv"
    MANUAL = "manual"
