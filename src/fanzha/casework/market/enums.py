"""Tip categories and channels (data contract), tip states, warning states.

    new ──分派──▶ assigned ──核查──▶ investigating ──▶ referred (移送公安/其他部门) | closed (办结)
     └──────────────────────────────────────────────▶ rejected (不予受理)   (from any open state)
"""

from __future__ import annotations

from enum import StrEnum

# Data contract: the categories at least; codes are what files carry, labels what people read.
CATEGORIES: dict[str, str] = {
    "health_claims": "保健食品虚假宣传（针对老年人）",
    "fake_promotion": "会议营销、讲座、免费体检虚假宣传",
    "counterfeit": "假冒伪劣食品、保健品、药品",
    "pyramid_selling": "非法直销、传销",
    "other_elderly_harm": "其他侵害老年消费者权益",
}
CHANNELS: dict[str, str] = {
    "12345": "12345 热线",
    "12315": "12315 热线",
    "email": "电子邮件",
    "on_site": "现场",
    "web": "网上",
}


class TipStatus(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    REFERRED = "referred"
    CLOSED = "closed"
    REJECTED = "rejected"


TIP_LABELS = {
    TipStatus.NEW: "新收",
    TipStatus.ASSIGNED: "已分派",
    TipStatus.INVESTIGATING: "核查中",
    TipStatus.REFERRED: "已移送",
    TipStatus.CLOSED: "已办结",
    TipStatus.REJECTED: "不予受理",
}
OPEN_TIPS = frozenset({TipStatus.NEW, TipStatus.ASSIGNED, TipStatus.INVESTIGATING})
TIP_TRANSITIONS: dict[TipStatus, frozenset[TipStatus]] = {
    TipStatus.NEW: frozenset({TipStatus.ASSIGNED, TipStatus.INVESTIGATING, TipStatus.REJECTED}),
    TipStatus.ASSIGNED: frozenset({TipStatus.INVESTIGATING, TipStatus.REFERRED, TipStatus.CLOSED, TipStatus.REJECTED}),
    TipStatus.INVESTIGATING: frozenset({TipStatus.REFERRED, TipStatus.CLOSED, TipStatus.REJECTED}),
    TipStatus.REFERRED: frozenset(),
    TipStatus.CLOSED: frozenset(),
    TipStatus.REJECTED: frozenset(),
}
INTAKES = {"public": "公众网页", "officer": "工作人员录入", "import": "批量导入", "api": "接口"}


class WarningStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


WARNING_LABELS = {WarningStatus.DRAFT: "草稿", WarningStatus.PUBLISHED: "已发布", WarningStatus.WITHDRAWN: "已撤回"}
