"""Appeal states (申诉) with explicit transitions.

    filed ──核验通过──▶ reverified ──申诉成立──▶ upheld (line restored at once)
      │  └─核验未通过─▶ reverify_failed ──再次核验──▶ reverified
      └──────────────────────────────────申诉不成立──▶ rejected   (from filed, reverify_failed, reverified)
"""

from __future__ import annotations

from enum import StrEnum


class AppealStatus(StrEnum):
    FILED = "filed"
    REVERIFIED = "reverified"
    REVERIFY_FAILED = "reverify_failed"
    UPHELD = "upheld"
    REJECTED = "rejected"


APPEAL_LABELS = {
    AppealStatus.FILED: "待核验",
    AppealStatus.REVERIFIED: "核验通过，待决定",
    AppealStatus.REVERIFY_FAILED: "核验未通过",
    AppealStatus.UPHELD: "申诉成立，已恢复",
    AppealStatus.REJECTED: "申诉不成立",
}
OPEN_APPEALS = frozenset({AppealStatus.FILED, AppealStatus.REVERIFIED, AppealStatus.REVERIFY_FAILED})

APPEAL_TRANSITIONS: dict[AppealStatus, frozenset[AppealStatus]] = {
    AppealStatus.FILED: frozenset({AppealStatus.REVERIFIED, AppealStatus.REVERIFY_FAILED, AppealStatus.REJECTED}),
    AppealStatus.REVERIFY_FAILED: frozenset({AppealStatus.REVERIFIED, AppealStatus.REVERIFY_FAILED,
                                             AppealStatus.REJECTED}),
    AppealStatus.REVERIFIED: frozenset({AppealStatus.UPHELD, AppealStatus.REJECTED}),
    AppealStatus.UPHELD: frozenset(),
    AppealStatus.REJECTED: frozenset(),
}
