"""`fanzha train` / `fanzha detect` end to end on a small simulated province (contract outputs)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from fanzha.analytics.detectors.output import ALERT_COLUMNS, SCORE_COLUMNS
from fanzha.cli import app


@pytest.fixture(scope="module")
def prov(tmp_path_factory):
    from fanzha.sim import simulate

    out = tmp_path_factory.mktemp("prov")
    simulate(lines=300, days=2, seed=5, out=out, dirty_rate=0.003)
    return out


def _inputs(prov):
    return ["--subscribers", str(prov / "subscribers.csv"), "--cells", str(prov / "cells.csv"),
            "--cdr", str(prov / "cdr"), "--sms", str(prov / "sms")]


@pytest.mark.slow
def test_train_then_detect_then_evaluate(prov, tmp_path):
    runner = CliRunner()
    model = tmp_path / "model"
    res = runner.invoke(app, ["train", *_inputs(prov), "--labels", str(prov / "labels.csv"), "--out", str(model)])
    assert res.exit_code == 0, res.output
    card = json.loads((model / "fraud_caller" / "model.json").read_text())
    assert card["features"] and card["training_data"]["fraud_caller_lines"] > 0
    assert 0 < card["pu"]["labelled_share_c"] <= 1 and card["pu"]["threshold_rule"] in ("precision", "alert_budget", "best_f1")
    assert "不完整标签" in (model / "fraud_caller" / "MODEL_CARD.md").read_text()
    assert "PU-corrected" in res.output

    out = tmp_path / "run"
    res = runner.invoke(app, ["detect", *_inputs(prov), "--model", str(model), "--out", str(out)])
    assert res.exit_code == 0, res.output
    alerts = pd.read_csv(out / "alerts.csv", dtype=str)
    assert list(alerts.columns) == ALERT_COLUMNS
    assert not alerts.duplicated(["subject_type", "subject", "detector"]).any()
    scores = pd.read_csv(out / "scores.csv", dtype={"msisdn": str})
    assert list(scores.columns) == SCORE_COLUMNS
    subs = pd.read_csv(prov / "subscribers.csv", dtype=str)
    assert set(subs["msisdn"]) <= set(scores["msisdn"])
    summary = json.loads((out / "summary.json").read_text())
    for key in ("rows_read", "rows_quarantined", "subscribers_scored", "alerts_by_detector", "seconds"):
        assert key in summary
    assert summary["models"].startswith("model_dir")
    # the simulator's dirty rows are quarantined with a reason, next to the output, and counted
    assert summary["rows_quarantined"] > 0 and summary["quarantine_files"]
    assert all((out / "quarantine").glob("*"))
    res = runner.invoke(app, ["evaluate", "--alerts", str(out / "alerts.csv"), "--labels", str(prov / "labels.csv")])
    assert res.exit_code == 0, res.output
    ev = json.loads((out / "evaluation.json").read_text())
    assert "simbox" in ev or "fraud_caller" in ev


def test_detect_without_model_uses_shipped_model(prov, tmp_path):
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["detect", *_inputs(prov), "--out", str(out), "--detectors", "fraud_caller,resold_card"])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["models"].startswith("shipped")
    assert set(summary["seconds_by_detector"]) == {"fraud_caller", "resold_card"}
    alerts = pd.read_csv(out / "alerts.csv", dtype=str)
    assert set(alerts["detector"]) <= {"fraud_caller", "resold_card"}


def test_summary_counts_the_duplicate_records_removed_per_kind(prov, tmp_path):
    """The contract counts a repeated record_id once; summary.json says how many repeats were removed, per kind.
    A second copy of one day's CDR file adds exactly its valid rows to the count."""
    import shutil

    def run(cdr, name):
        out = tmp_path / name
        res = CliRunner().invoke(app, ["detect", "--subscribers", str(prov / "subscribers.csv"), "--cells",
                                       str(prov / "cells.csv"), "--cdr", str(cdr), "--sms", str(prov / "sms"),
                                       "--out", str(out), "--detectors", "resold_card"])  # fmt: skip
        assert res.exit_code == 0, res.output
        return json.loads((out / "summary.json").read_text())

    once = run(prov / "cdr", "once")
    assert set(once["duplicates_removed"]) == set(once["rows_read"]) == {"cdr", "sms"}
    assert once["duplicates_removed"]["cdr"] > 0  # the simulator's dirty rows repeat a record_id now and then
    assert once["duplicates_removed_total"] == sum(once["duplicates_removed"].values())
    twice_dir = tmp_path / "cdr2"
    shutil.copytree(prov / "cdr", twice_dir)
    first = sorted(twice_dir.rglob("*.csv"))[0]
    # The same records again, in another order (an identical file would be skipped as already read).
    header, *rows = first.read_text(encoding="utf-8").splitlines()
    first.with_name("zz_again_" + first.name).write_text("\n".join([header, *reversed(rows)]) + "\n", encoding="utf-8")
    twice = run(twice_dir, "twice")
    valid_in_copy = (twice["rows_read"]["cdr"] - once["rows_read"]["cdr"]) - (
        sum(twice["rows_quarantined_by_reason"]["cdr"].values()) - sum(once["rows_quarantined_by_reason"]["cdr"].values()))
    assert valid_in_copy > 0
    assert twice["duplicates_removed"]["cdr"] - once["duplicates_removed"]["cdr"] == valid_in_copy
    assert twice["duplicates_removed"]["sms"] == once["duplicates_removed"]["sms"]
