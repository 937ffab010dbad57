"""Checks every registered detector must pass (river-style): applied automatically to each one."""

from __future__ import annotations

import pandas as pd
import pytest

from fanzha.analytics.detectors.base import SEVERITIES, SUBJECT_TYPES, registered
from fanzha.analytics.detectors.context import DAY, open_context
from fanzha.analytics.detectors.output import alerts_frame

DETECTORS = sorted(registered())

CDR_COLUMNS = ["record_id", "msisdn", "peer", "direction", "start_time", "duration_s", "cell_id", "imei"]


def province(folder: Path, *, lines: int = 400, days: int = 3, seed: int = 7) -> Path:
    from fanzha.sim import simulate

    if not (folder / "labels.csv").exists():
        simulate(lines=lines, days=days, seed=seed, out=folder)
    return folder


def write_cdr(path: Path, rows: list[tuple]) -> Path:
    pd.DataFrame(rows, columns=CDR_COLUMNS).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def prov(tmp_path_factory):
    return province(tmp_path_factory.mktemp("prov"))


def _ctx(tmp, prov, cdr=None):
    ctx, _ = open_context(workdir=tmp, cdr=cdr or prov / "cdr", sms=None if cdr else prov / "sms",
                          subscribers=prov / "subscribers.csv", cells=prov / "cells.csv", options={"step_s": DAY})
    return ctx


@pytest.fixture(scope="module")
def ctx(prov, tmp_path_factory):
    return _ctx(tmp_path_factory.mktemp("work"), prov)


def test_the_contract_detectors_are_registered():
    assert {"fraud_caller", "simbox", "cell_anomaly", "resold_card"} <= set(DETECTORS)


@pytest.mark.parametrize("name", DETECTORS)
def test_alerts_well_formed_and_deterministic(name, ctx, prov, tmp_path):
    alerts = registered()[name]().detect(ctx)
    for a in alerts:
        assert a.detector == name
        assert 0.0 <= a.score <= 1.0 and a.severity in SEVERITIES and a.subject_type in SUBJECT_TYPES
        assert a.reasons and all(r.zh and r.en for r in a.reasons), f"{name}: alert without readable reasons"
        assert a.event_time is not None
    det = registered()[name]()
    if hasattr(det, "line_scores"):
        s = det.line_scores(ctx)
        assert s.between(0, 1).all()
    # a fresh context over the same input gives identical output
    again = registered()[name]().detect(_ctx(tmp_path, prov))
    pd.testing.assert_frame_equal(alerts_frame(alerts), alerts_frame(again))


def test_the_province_raises_some_alerts(ctx):
    names = {a.detector for n in DETECTORS for a in registered()[n]().detect(ctx)}
    assert names, "a province with fraud scenarios gave no alert at all"


@pytest.mark.parametrize("name", DETECTORS)
def test_empty_input(name, prov, tmp_path):
    cdr = write_cdr(tmp_path / "cdr.csv", [])
    ctx = _ctx(tmp_path / "w", prov, cdr=cdr)
    assert ctx.empty
    assert registered()[name]().detect(ctx) == []


@pytest.mark.parametrize("name", DETECTORS)
def test_one_line_only(name, prov, tmp_path):
    rows = [(f"r{i}", "13307150001", f"1890715{i:04d}", "out", f"2026-05-03T{8 + i // 20:02d}:{(i * 3) % 60:02d}:00+08:00",
             5, "460-11-000001-1", "861234567890123") for i in range(150)]
    ctx = _ctx(tmp_path / "w", prov, cdr=write_cdr(tmp_path / "cdr.csv", rows))
    alerts = registered()[name]().detect(ctx)
    assert all(0 <= a.score <= 1 and a.reasons for a in alerts)
    assert {a.subject for a in alerts if a.subject_type == "msisdn"} <= {"13307150001"}


@pytest.mark.parametrize("name", DETECTORS)
def test_quarantined_only_input(name, prov, tmp_path):
    rows = [("r1", "not-a-number", "18907150000", "out", "2026-05-03T08:00:00+08:00", 5, "c", ""),
            ("r2", "13307150001", "18907150000", "sideways", "2026-05-03T08:00:00+08:00", 5, "c", ""),
            ("r3", "13307150001", "18907150000", "out", "yesterday", -3, "c", "")]
    ctx, summary = open_context(workdir=tmp_path / "w", cdr=write_cdr(tmp_path / "cdr.csv", rows),
                                subscribers=prov / "subscribers.csv", cells=prov / "cells.csv")
    assert summary["kinds"]["cdr"]["rows_quarantined"] == 3
    assert registered()[name]().detect(ctx) == []
