"""Hand-made records for the transparent rules: the operators' rule of thumb and SIM-bank groups."""

from __future__ import annotations

import pandas as pd

from fanzha.analytics.detectors.context import open_context
from fanzha.analytics.detectors.fraud_caller import FraudCallerDetector
from fanzha.analytics.detectors.simbox import SimboxDetector

COLS = ["record_id", "msisdn", "peer", "direction", "start_time", "duration_s", "cell_id", "imei"]


def _ctx(tmp_path, rows):
    path = tmp_path / "cdr.csv"
    pd.DataFrame(rows, columns=COLS).to_csv(path, index=False)
    cells = tmp_path / "cells.csv"
    pd.DataFrame([("C1", 29.85, 114.32, "421202"), ("C2", 29.9, 114.4, "421202")],
                 columns=["cell_id", "lat", "lon", "region_code"]).to_csv(cells, index=False)
    ctx, _ = open_context(workdir=tmp_path / "w", cdr=path, cells=cells)
    return ctx


def test_rule_of_thumb(tmp_path):
    rows = []
    for i in range(120):  # 120 calls between 10:00 and 10:59, short vs long
        t = f"2026-05-03T10:{i // 2:02d}:{(i % 2) * 30:02d}+08:00"
        rows.append((f"s{i}", "13307150001", f"1890715{i:04d}", "out", t, 5, "C1", "861234567890123"))
        rows.append((f"l{i}", "13307150002", f"1890716{i:04d}", "out", t, 90, "C2", "861234567890124"))
    alerts = {a.subject: a for a in FraudCallerDetector().detect(_ctx(tmp_path, rows))}
    short = alerts["13307150001"]
    assert short.evidence["rule_of_thumb_hours"] == 1 and short.score >= 0.9
    first = pd.Timestamp(short.evidence["first_alert_time"])
    assert pd.Timestamp("2026-05-03T10:30:00+08:00") <= first <= pd.Timestamp("2026-05-03T11:00:00+08:00")
    assert "经验规则" in short.reasons_text() and "rule of thumb" in short.reasons_text()
    assert "rule_of_thumb_hours" not in alerts.get("13307150002", short.__class__(
        subject_type="msisdn", subject="x", detector="d", score=0, event_time=None)).evidence


def test_simbox_names_device_and_members(tmp_path):
    rows, k = [], 0
    box = [f"1330715100{i}" for i in range(5)]
    for day in (3, 4):
        for h in range(9, 18):
            for j, line in enumerate(box):  # five SIMs rotating on one gateway IMEI, in one cell
                for m in (5, 25, 45):
                    k += 1
                    rows.append((f"b{k}", line, f"189{k:08d}", "out", f"2026-05-0{day}T{h:02d}:{m + j:02d}:00+08:00",
                                 8, "C1", "860000000000001"))
    for i in range(40):  # a family dual-SIM phone: two lines, calls both ways
        k += 1
        rows.append((f"n{k}", "13307152001" if i % 2 else "13307152002", "18907150000", "in" if i % 3 else "out",
                     f"2026-05-03T{8 + i // 4:02d}:{(i * 7) % 60:02d}:00+08:00", 60, "C2", "860000000000002"))
    alerts = SimboxDetector().detect(_ctx(tmp_path, rows))
    device = [a for a in alerts if a.subject_type == "imei"]
    cell = [a for a in alerts if a.subject_type == "cell"]
    lines = {a.subject for a in alerts if a.subject_type == "msisdn"}
    assert [a.subject for a in device] == ["860000000000001"]
    assert device[0].evidence["lines"] == sorted(box) and device[0].evidence["shared_imeis"] == {"860000000000001": 5}
    assert cell == []  # one subject per group: the device it sits on (a static group without one names its cell)
    assert lines == set(box)
    # each member is alerted at the clock-hour end it was first found in the group, not before
    first = device[0].evidence["line_first_alert_time"]
    assert min(first.values()) == device[0].evidence["first_alert_time"]
