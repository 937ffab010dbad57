"""fanzha evaluate: label mapping, precision/recall/F1, delay, SIM-bank cells."""

from __future__ import annotations

import json

import pandas as pd
from typer.testing import CliRunner

from fanzha.analytics.detectors.base import Alert, Reason
from fanzha.analytics.detectors.output import read_alerts, write_alerts
from fanzha.analytics.evaluate import evaluate, read_labels
from fanzha.cli import app

R = [Reason("x", 1, "原因", "reason")]


def _labels(tmp_path):
    rows = [
        ("f1", "fraud_caller", "2026-05-03T10:00:00+08:00", "", ""),
        ("f2", "fraud_caller", "2026-05-03T12:00:00", "", ""),
        ("f3", "fraud_caller", "2026-05-03T12:00:00", "", ""),
        ("s1", "simbox", "2026-05-03T09:00:00", "scn", "r1"),
        ("s2", "simbox", "2026-05-03T09:30:00", "scn", "r1"),
        ("s3", "simbox", "2026-05-04T09:00:00", "scn", "r2"),
        ("m1", "mule", "2026-05-03T09:00:00", "", ""),
        ("n1", "normal", "", "", ""),
    ]
    path = tmp_path / "labels.csv"
    pd.DataFrame(rows, columns=["msisdn", "label", "since", "scenario", "ring_id"]).to_csv(path, index=False)
    return path


def _alerts(tmp_path):
    t = pd.Timestamp
    alerts = [
        Alert(subject_type="msisdn", subject="f1", detector="fraud_caller", score=0.9, event_time=t("2026-05-03 12:00"), reasons=R),
        Alert(subject_type="msisdn", subject="f2", detector="fraud_caller", score=0.9, event_time=t("2026-05-03 20:00"), reasons=R,
              evidence={"first_alert_time": "2026-05-03T16:00:00+08:00"}),
        Alert(subject_type="msisdn", subject="m1", detector="fraud_caller", score=0.9, event_time=t("2026-05-03 12:00"), reasons=R),
        Alert(subject_type="msisdn", subject="n1", detector="fraud_caller", score=0.9, event_time=t("2026-05-03 12:00"), reasons=R),
        Alert(subject_type="msisdn", subject="x9", detector="fraud_caller", score=0.9, event_time=t("2026-05-03 12:00"), reasons=R),
        Alert(subject_type="imei", subject="860000000000001", detector="simbox", score=0.99, event_time=t("2026-05-03 10:00"),
              reasons=R, evidence={"lines": ["s1", "s2"]}),
        Alert(subject_type="cell", subject="C1", detector="cell_anomaly", score=0.8, event_time=t("2026-05-03 11:00"),
              reasons=R, evidence={"lines": ["s1", "n1"]}),
        Alert(subject_type="cell", subject="C2", detector="cell_anomaly", score=0.8, event_time=t("2026-05-03 11:00"),
              reasons=R, evidence={"lines": ["n1"]}),
    ]
    path = tmp_path / "alerts.csv"
    write_alerts(alerts, path)
    return path


def test_evaluate_metrics(tmp_path):
    res = evaluate(read_alerts(_alerts(tmp_path)), read_labels(_labels(tmp_path)))
    fc = res["fraud_caller"]
    # hits f1, f2; mule is fraud-linked (not a false alarm); n1 and unknown x9 are false alarms.
    assert (fc["tp"], fc["fp"], fc["fn"], fc["other_fraud"]) == (2, 2, 1, 1)
    assert fc["precision"] == 0.5 and abs(fc["recall"] - 2 / 3) < 1e-9
    assert abs(fc["strict_precision"] - 2 / 5) < 1e-9
    assert abs(fc["f1"] - 2 * 0.5 * (2 / 3) / (0.5 + 2 / 3)) < 1e-9
    # delays: f1 12:00-10:00 = 2 h; f2 uses first_alert_time 16:00-12:00 = 4 h → median 3 h
    assert fc["median_delay_hours"] == 3.0
    sb = res["simbox"]
    assert (sb["tp"], sb["fp"], sb["fn"]) == (2, 0, 1)  # members named by the device alert
    assert sb["median_delay_hours"] == 0.75  # (1 h + 0.5 h) / 2
    ca = res["cell_anomaly"]
    assert (ca["tp"], ca["fp"], ca["positives"]) == (1, 1, 2)  # C1 hosts ring r1; ring r2 missed
    assert ca["precision"] == 0.5 and ca["recall"] == 0.5
    assert ca["median_delay_hours"] == 2.0  # 11:00 - ring r1 start 09:00


def test_evaluate_cli(tmp_path):
    alerts, labels = _alerts(tmp_path), _labels(tmp_path)
    out = tmp_path / "eval"
    res = CliRunner().invoke(app, ["evaluate", "--alerts", str(alerts), "--labels", str(labels), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "fraud_caller" in res.output and "precision" in res.output
    data = json.loads((out / "evaluation.json").read_text())
    assert set(data) == {"fraud_caller", "simbox", "cell_anomaly"}
    assert data["simbox"]["recall"] == 2 / 3


def test_evaluate_empty_alerts(tmp_path):
    path = tmp_path / "alerts.csv"
    write_alerts([], path)
    assert evaluate(read_alerts(path), read_labels(_labels(tmp_path))) == {}
