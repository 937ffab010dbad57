"""Readable reasons from feature names and values, in Chinese and English."""

from __future__ import annotations

import math
import re

from fanzha.analytics.detectors.base import Reason

_WINDOW = re.compile(r"^(?P<base>.+)_(?P<win>\d+[smhdw])$")
_EXTRA = {
    "line_age_days": ("开户天数", "days since the line was opened"),
    "lines_per_id": ("同证件号码数", "lines registered to the same ID"),
    "is_fixed": ("固话", "fixed line"),
    "is_iot": ("物联网卡", "IoT line"),
    "owner_age": ("机主年龄", "owner's age"),
    "is_student": ("学生", "owner is a student"),
    "max_out_1h": ("单小时最多外呼", "most outgoing calls in one hour"),
    "rule_of_thumb": ("经验规则命中", "operators' rule of thumb hit (>100 calls/h, mostly ≤10 s)"),
    "quiet_caller": ("慢速外呼规则命中", "quiet-caller rule hit (every sign that needs no volume at once)"),
}
_WIN_ZH = {"h": "小时", "d": "天", "m": "分钟", "s": "秒", "w": "周"}


def describe(feature: str) -> tuple[str, str]:
    """(zh, en) meaning of a feature column such as ``calls_out_24h``."""
    from fanzha.analytics.features.registry import REGISTRY

    m = _WINDOW.match(feature)
    base, win = (m.group("base"), m.group("win")) if m else (feature, "")
    if base in REGISTRY:
        f = REGISTRY[base]
        zh, en = f.zh, f.en
    elif base in _EXTRA:
        zh, en = _EXTRA[base]
    elif feature in _EXTRA:
        zh, en = _EXTRA[feature]
        win = ""
    else:
        zh, en = base, base.replace("_", " ")
    if win:
        zh = f"{win[:-1]}{_WIN_ZH[win[-1]]}内{zh}"
        en = f"{en} ({win})"
    return zh, en


def fmt(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        if 0 < abs(value) < 1 and not value.is_integer():
            return f"{value:.0%}" if abs(value) <= 1 else f"{value:.2f}"
        return f"{value:.0f}" if value.is_integer() or abs(value) >= 100 else f"{value:.1f}"
    return str(value)


def feature_reason(feature: str, value, weight: float = 0.0) -> Reason:
    zh, en = describe(feature)
    v = fmt(value)
    return Reason(feature, value, f"{zh}={v}", f"{en} = {v}", weight)
