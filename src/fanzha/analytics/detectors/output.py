"""Writers and readers for what `fanzha detect` hands back: alerts.csv, scores.csv, summary.json.

Columns and meaning are fixed by ../shared/spec/data-contract.md; outside scripts parse these files.
"""

from __future__ import annotations

import json
from decimal import Decimal
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fanzha.analytics.detectors.base import SCORED_DETECTORS, Alert, keep_highest

ALERT_COLUMNS = [
    "alert_id", "subject_type", "subject", "detector", "score", "severity", "event_time", "reasons", "evidence",
]
SCORE_COLUMNS = ["msisdn", *SCORED_DETECTORS]
CST = "+08:00"


def iso_time(t) -> str:
    """ISO 8601 with offset; a naive time is China Standard Time (contract)."""
    if t is None or pd.isna(t):
        return ""
    ts = pd.Timestamp(t)
    if ts.tzinfo is None:
        ts = ts.tz_localize("Asia/Shanghai")
    return ts.tz_convert("Asia/Shanghai").isoformat()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return iso_time(value)
    return value


def alerts_frame(alerts: Iterable[Alert]) -> pd.DataFrame:
    rows = [
        {
            "alert_id": a.alert_id,
            "subject_type": a.subject_type,
            "subject": a.subject,
            "detector": a.detector,
            "score": round(a.score, 6),
            "severity": a.severity,
            "event_time": iso_time(a.event_time),
            "reasons": a.reasons_text(),
            "evidence": json.dumps(_jsonable(a.evidence), ensure_ascii=False, sort_keys=True),
        }
        for a in keep_highest(alerts)
    ]
    return pd.DataFrame(rows, columns=ALERT_COLUMNS)


def write_alerts(alerts: Iterable[Alert], path: Path) -> int:
    frame = alerts_frame(alerts)
    frame.to_csv(path, index=False)
    return len(frame)


def write_scores(scores: pd.DataFrame, path: Path) -> int:
    """``scores`` is indexed by msisdn with a column per line-level detector; missing ones score 0."""
    out = pd.DataFrame(index=scores.index.astype(str))
    for name in SCORED_DETECTORS:
        col = scores[name] if name in scores else 0.0
        out[name] = pd.Series(col, index=scores.index).fillna(0.0).clip(0.0, 1.0).round(6).to_numpy()
    out.index.name = "msisdn"
    out = out.reset_index().sort_values("msisdn")
    out[SCORE_COLUMNS].to_csv(path, index=False)
    return len(out)


def write_summary(summary: Mapping[str, Any], path: Path) -> None:
    path.write_text(json.dumps(_jsonable(dict(summary)), ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def read_alerts(path: Path) -> pd.DataFrame:
    """alerts.csv as written above, with event_time parsed and evidence decoded."""
    frame = pd.read_csv(path, dtype={"subject": str, "alert_id": str}, keep_default_na=False)
    frame["score"] = pd.to_numeric(frame["score"])
    frame["event_time"] = pd.to_datetime(frame["event_time"].replace("", None), utc=True, format="ISO8601")
    frame["evidence"] = [json.loads(e) if e else {} for e in frame["evidence"]]
    return frame
