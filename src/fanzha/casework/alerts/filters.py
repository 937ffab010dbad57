"""The inbox filter (来源、检测/类别、级别、有无案件、日期) parsed from a query string.

Parsing never raises: a value that cannot be used is dropped from the filter and explained in ``errors``
(zh-CN), so a hand-edited or stale link shows the inbox with a message instead of an error page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fanzha.casework.alerts.labels import SEVERITY_LABELS, SOURCE_LABELS
from fanzha.casework.context import day_start

CASE_CHOICES = {"with": "已立案", "without": "未立案"}
MAX_DETECTOR = 32  # Alert.detector's column width


@dataclass(frozen=True)
class InboxFilter:
    source: str | None = None
    detector: str | None = None
    severity: str | None = None
    case: str | None = None  # with | without
    start: date | None = None  # first CST day of the last sighting (最近时间), included
    end: date | None = None  # last CST day, included

    @property
    def since(self) -> datetime | None:
        return day_start(self.start) if self.start else None

    @property
    def until(self) -> datetime | None:
        """Start of the day after ``end`` (exclusive bound), UTC."""
        return day_start(self.end + timedelta(days=1)) if self.end else None

    def query(self) -> dict[str, str]:
        """The filter as query-string parameters (paging links keep it)."""
        out = {"source": self.source, "detector": self.detector, "severity": self.severity, "case": self.case,
               "start": self.start.isoformat() if self.start else None,
               "end": self.end.isoformat() if self.end else None}  # fmt: skip
        return {k: v for k, v in out.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.query())


def _day(raw: str, name: str, errors: list[str]) -> date | None:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{name}“{raw[:20]}”不是有效日期（应为 YYYY-MM-DD），已忽略")
        return None
    if not 2000 <= day.year <= 2100:
        errors.append(f"{name}应在 2000–2100 年之间，已忽略")
        return None
    return day


def parse_inbox_filter(params: Mapping[str, str], *, detectors: set[str]) -> tuple[InboxFilter, list[str]]:
    """``detectors``: the codes a filter may name (those produced by the platform and those in the inbox)."""
    errors: list[str] = []

    def pick(name: str, allowed, what: str) -> str | None:
        raw = (params.get(name) or "").strip()
        if not raw:
            return None
        if raw not in allowed:
            errors.append(f"未知的{what}“{raw[:MAX_DETECTOR]}”，已忽略")
            return None
        return raw

    source = pick("source", SOURCE_LABELS, "来源")
    detector = pick("detector", detectors, "检测/类别")
    severity = pick("severity", SEVERITY_LABELS, "级别")
    case = pick("case", CASE_CHOICES, "案件条件")
    start = _day(raw, "开始日期", errors) if (raw := (params.get("start") or "").strip()) else None
    end = _day(raw, "结束日期", errors) if (raw := (params.get("end") or "").strip()) else None
    if start and end and start > end:
        errors.append("开始日期晚于结束日期，日期范围已忽略")
        start = end = None
    return InboxFilter(source=source, detector=detector, severity=severity, case=case, start=start, end=end), errors
