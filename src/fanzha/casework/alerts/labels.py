"""Display labels of the alert codes: 来源 source, 检测/类别 detector, 对象类型 subject type, 级别 severity.

The one owner of these labels: the inbox, the case queue and case page, the police desk and the supervision
dashboard all read them here. Codes stay what is stored, filed and sent through the API; people read the labels.

Detector names come from three places: the detectors (``fanzha detect`` and the 24×7 monitor use the same
names), ``report_<class>`` for 12321 public reports (``reports.service``: the class codes of
``analytics.reports_text.labels``) and ``tip_<category>`` for market-regulation tips (``market.service``: the
categories of ``market.enums``). Orders without an alert count under their source in the KPIs, so those
sources have labels too. An unknown code is shown as it is.
"""

from __future__ import annotations

from fanzha.analytics.reports_text.labels import CLASSES as REPORT_CLASSES
from fanzha.casework.market.enums import CATEGORIES as TIP_CATEGORIES

SOURCE_LABELS = {"detector": "检测模型", "monitor": "实时监测", "report": "公众举报", "police": "公安通报"}

DETECTOR_LABELS = {
    "fraud_caller": "诈骗呼叫", "simbox": "猫池/GOIP", "cell_anomaly": "基站话务异常", "resold_card": "倒卖卡",
    "trace": "溯源关联",
}  # fmt: skip
REPORT_PREFIX, TIP_PREFIX = "report_", "tip_"
# A public report the classifier could not place is still a report about the line: not "正常" (normal).
REPORT_CLASS_LABELS = {**REPORT_CLASSES, "normal": "未识别诈骗类型"}

# Where a measure order came from when no alert explains it (supervision: lines shut by "detector").
ORDER_SOURCE_LABELS = {
    "police": "公安通报", "report": "公众举报", "onboarding": "入网关口", "blacklist": "黑名单", "monitor": "实时监测",
    "appeal": "申诉", "review": "稽核处置", "auto": "先行停机", "no_case": "无关联案件",
}  # fmt: skip

SUBJECT_TYPE_LABELS = {
    "msisdn": "号码", "imei": "设备", "cell": "基站小区", "id_no": "证件", "person": "人员", "device": "设备",
    "ring": "团伙",
}  # fmt: skip

SEVERITY_LABELS = {"low": "低", "medium": "中", "high": "高", "critical": "严重"}


def source_label(code: str) -> str:
    return SOURCE_LABELS.get(code, code)


def detector_label(code: str) -> str:
    """诈骗呼叫 for ``fraud_caller``, 举报：冒充客服 for ``report_fake_customer_service``, the code if unknown."""
    if code in DETECTOR_LABELS:
        return DETECTOR_LABELS[code]
    if code.startswith(REPORT_PREFIX) and code[len(REPORT_PREFIX):] in REPORT_CLASS_LABELS:
        return f"举报：{REPORT_CLASS_LABELS[code[len(REPORT_PREFIX):]]}"
    if code.startswith(TIP_PREFIX) and code[len(TIP_PREFIX):] in TIP_CATEGORIES:
        return f"市场线索：{TIP_CATEGORIES[code[len(TIP_PREFIX):]]}"
    return order_source_label(code)  # KPIs count measures without an alert under their order's source


def known_detectors() -> list[str]:
    """Every detector code the platform itself produces, in display order."""
    return [*DETECTOR_LABELS, *(REPORT_PREFIX + c for c in REPORT_CLASS_LABELS),
            *(TIP_PREFIX + c for c in TIP_CATEGORIES)]  # fmt: skip


def subject_type_label(code: str) -> str:
    return SUBJECT_TYPE_LABELS.get(code, code)


def severity_label(code: str) -> str:
    return SEVERITY_LABELS.get(code, code)


def order_source_label(source: str) -> str:
    """``blacklist:12`` → 黑名单 #12, ``onboarding`` → 入网关口 (sources of measure proposals and orders)."""
    head, _, rest = source.partition(":")
    label = ORDER_SOURCE_LABELS.get(head) or SOURCE_LABELS.get(head)
    if label is None:
        return source
    return f"{label} #{rest}" if rest else label
