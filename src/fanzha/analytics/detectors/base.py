"""The detector interface: a detector has a name and turns a detection context into alert candidates.

Kept deliberately tiny (river-style) so that every detector can be checked by the same generic
tests (tests/detect/test_detect_generic.py) and new detectors cost one module and one registration.

    >>> a = Alert(subject_type="msisdn", subject="13307151234", detector="demo", score=0.93,
    ...           event_time=pd.Timestamp("2026-05-03T21:15:02+08:00"),
    ...           reasons=[Reason("calls_1h", 152, "1小时内外呼152次", "152 outbound calls in 1 h")])
    >>> a.severity
    'critical'
    >>> a.reasons_text()
    '1小时内外呼152次 (152 outbound calls in 1 h)'
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

import pandas as pd

SubjectType = Literal["msisdn", "imei", "cell", "id_no"]
SUBJECT_TYPES: tuple[str, ...] = ("msisdn", "imei", "cell", "id_no")
SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")
# Line-level detectors whose per-subscriber score goes to scores.csv (contract order).
SCORED_DETECTORS: tuple[str, ...] = ("fraud_caller", "simbox", "resold_card")


def severity_for(score: float) -> str:
    """Severity grades the measures an operator may take (law: graded by risk), so it follows the score.

    >>> [severity_for(s) for s in (0.3, 0.6, 0.8, 0.95)]
    ['low', 'medium', 'high', 'critical']
    """
    if score >= 0.9:
        return "critical"
    if score >= 0.75:
        return "high"
    if score >= 0.5:
        return "medium"
    return "low"


@dataclass(frozen=True)
class Reason:
    """One driver of a score, readable by an analyst in Chinese and English."""

    feature: str
    value: Any
    zh: str
    en: str
    weight: float = 0.0  # contribution to the score (model contribution or rule weight), for ordering

    def text(self) -> str:
        return f"{self.zh} ({self.en})"


@dataclass
class Alert:
    subject_type: str
    subject: str
    detector: str
    score: float
    event_time: pd.Timestamp | None
    reasons: list[Reason] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    severity: str = ""

    def __post_init__(self) -> None:
        if self.subject_type not in SUBJECT_TYPES:
            raise ValueError(f"subject_type must be one of {SUBJECT_TYPES}, not {self.subject_type!r}")
        score = float(self.score)
        if not math.isfinite(score) or not 0.0 <= score <= 1.0:
            raise ValueError(f"score must be within 0..1, not {self.score!r}")
        self.score = score
        self.subject = str(self.subject)
        if not self.severity:
            self.severity = severity_for(score)
        elif self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")

    @property
    def alert_id(self) -> str:
        """Stable across runs, so casework can recognise a repeated alert on the same subject."""
        key = f"{self.detector}|{self.subject_type}|{self.subject}".encode()
        return "A" + hashlib.sha1(key).hexdigest()[:15]

    def reasons_text(self) -> str:
        ordered = sorted(self.reasons, key=lambda r: -abs(r.weight))
        return "; ".join(r.text() for r in ordered)


@runtime_checkable
class Detector(Protocol):
    """``name`` + ``detect(ctx)``; line-level detectors also give ``line_scores(ctx)`` for scores.csv."""

    name: ClassVar[str]

    def detect(self, ctx: Any) -> list[Alert]: ...


REGISTRY: dict[str, Callable[[], Detector]] = {}


def register(cls):
    """Class decorator: make a detector known to `fanzha detect` and to the generic checks."""
    REGISTRY[cls.name] = cls
    return cls


def registered() -> dict[str, Callable[[], Detector]]:
    # Importing the package imports every detector module, which registers them.
    import fanzha.analytics.detectors  # noqa: F401

    return dict(REGISTRY)


def keep_highest(alerts: Iterable[Alert]) -> list[Alert]:
    """One alert per (subject, detector): the contract keeps the highest score.

    Ties keep the earlier event (the first moment the evidence was that strong).
    """
    best: dict[tuple[str, str, str], Alert] = {}
    for a in alerts:
        key = (a.detector, a.subject_type, a.subject)
        cur = best.get(key)
        if cur is None or a.score > cur.score or (
            a.score == cur.score and _ts(a.event_time) < _ts(cur.event_time)
        ):
            best[key] = a
    return sorted(best.values(), key=lambda a: (a.detector, -a.score, a.subject_type, a.subject))


def _ts(t) -> float:
    return pd.Timestamp(t).value if t is not None and not pd.isna(t) else float("inf")
