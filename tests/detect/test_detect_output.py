"""alerts.csv / scores.csv / summary.json as the data contract fixes them."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from fanzha.analytics.detectors.base import Alert, Reason, keep_highest, severity_for
from fanzha.analytics.detectors.output import (
    ALERT_COLUMNS,
    SCORE_COLUMNS,
    read_alerts,
    write_alerts,
    write_scores,
    write_summary,
)


def _alert(subject, score, hour, detector="fraud_caller", subject_type="msisdn"):
    return Alert(
        subject_type=subject_type, subject=subject, detector=detector, score=score,
        event_time=pd.Timestamp(f"2026-05-03 {hour:02d}:00:00"),
        reasons=[Reason("calls_out_1h", 150, "1小时外呼150次", "150 calls out in 1 h", 1.0)],
        evidence={"calls": 150, "lines": ["13300000001"]},
    )


def test_alert_rejects_out_of_range_and_unknown_subject():
    with pytest.raises(ValueError):
        _alert("1", 1.2, 1)
    with pytest.raises(ValueError):
        _alert("1", float("nan"), 1)
    with pytest.raises(ValueError):
        _alert("1", 0.5, 1, subject_type="person")


def test_keep_highest_one_row_per_subject_and_detector():
    alerts = [_alert("a", 0.6, 1), _alert("a", 0.9, 3), _alert("a", 0.9, 5), _alert("a", 0.7, 2, detector="simbox")]
    kept = keep_highest(alerts)
    assert len(kept) == 2
    fc = [a for a in kept if a.detector == "fraud_caller"][0]
    assert fc.score == 0.9 and fc.event_time.hour == 3  # tie → earlier evidence


def test_alerts_csv_roundtrip(tmp_path):
    path = tmp_path / "alerts.csv"
    n = write_alerts([_alert("13300000001", 0.95, 21), _alert("13300000001", 0.5, 22), _alert("c1", 0.8, 9, "cell_anomaly", "cell")], path)
    assert n == 2
    raw = pd.read_csv(path, dtype=str)
    assert list(raw.columns) == ALERT_COLUMNS
    row = raw[raw.detector == "fraud_caller"].iloc[0]
    assert row.event_time == "2026-05-03T21:00:00+08:00"  # naive = China Standard Time
    assert row.severity == severity_for(0.95) == "critical"
    assert "1小时外呼150次" in row.reasons and "150 calls out" in row.reasons
    assert json.loads(row.evidence)["calls"] == 150
    back = read_alerts(path)
    assert back.evidence.iloc[0]["lines"] == ["13300000001"]
    assert str(back.event_time.dt.tz) == "UTC"
    assert len(set(raw.alert_id)) == 2


def test_scores_and_summary(tmp_path):
    scores = pd.DataFrame({"fraud_caller": [0.2, 1.5], "simbox": [None, 0.3]}, index=["133b", "133a"])
    assert write_scores(scores, tmp_path / "scores.csv") == 2
    got = pd.read_csv(tmp_path / "scores.csv", dtype={"msisdn": str})
    assert list(got.columns) == SCORE_COLUMNS
    assert got.msisdn.tolist() == ["133a", "133b"]
    assert got.fraud_caller.max() == 1.0 and got.resold_card.sum() == 0 and got.simbox.min() == 0
    write_summary({"rows_read": 3, "seconds": 1.5}, tmp_path / "summary.json")
    assert json.loads((tmp_path / "summary.json").read_text())["rows_read"] == 3
