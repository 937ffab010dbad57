"""The hour-by-hour replay through the monitor (fanzha.analytics.replay) and the robustness benchmark's
quick path (benchmarks/robustness.py) on tiny provinces."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow
BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
HOUR = 3600


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from fanzha.sim.generate import simulate

    out = tmp_path_factory.mktemp("tiny")
    simulate(lines=800, days=2, seed=5, out=out)
    return out


def test_hour_files_cut_by_clock_hour_and_keep_bad_rows(tmp_path):
    from fanzha.analytics.replay import hour_files

    cdr = tmp_path / "cdr.csv"
    pd.DataFrame({"record_id": ["a", "b", "c", "d"], "msisdn": ["18007150001"] * 4, "peer": ["18007150002"] * 4,
                  "direction": ["out"] * 4, "duration_s": ["5"] * 4, "cell_id": [""] * 4, "imei": [""] * 4,
                  "start_time": ["2026-11-02T09:59:59+08:00", "2026-11-02T10:00:00+08:00", "2026-11-02T10:30:00+08:00",
                                 "not a time"]}).to_csv(cdr, index=False)
    hours = hour_files(cdr=cdr, sms=None, folder=tmp_path / "hours")
    assert [h % HOUR for h, _ in hours] == [0, 0]
    first, second = (pd.read_csv(files[0], dtype=str) for _, files in hours)
    assert hours[1][0] - hours[0][0] == HOUR
    # the unreadable time rides with the first hour: the monitor quarantines it with a reason
    assert sorted(first["record_id"]) == ["a", "d"] and sorted(second["record_id"]) == ["b", "c"]
    assert first.loc[first["record_id"] == "d", "start_time"].item() == "not a time"


def test_replay_alerts_at_hour_ends_and_evaluates(tiny, tmp_path):
    from fanzha.analytics.evaluate import evaluate, read_labels
    from fanzha.analytics.replay import ReplayStats, replay

    stats = ReplayStats()
    seen = []
    alerts = replay(cdr=tiny / "cdr", sms=tiny / "sms", subscribers=tiny / "subscribers.csv", cells=tiny / "cells.csv",
                    work=tmp_path / "replay", stats=stats, progress=lambda h, s: seen.append(h))
    assert stats.hours == len(seen) >= 47 and stats.rejected == 0 and stats.rows > 10_000
    assert len(alerts) and set(alerts["detector"]) >= {"fraud_caller"}
    ends = alerts["event_time"].map(lambda t: int(t.timestamp()))
    assert (ends % HOUR == 0).all()  # every first-alert time is the end of a replayed clock hour
    assert set(ends - HOUR) <= set(seen)
    assert all(ev["first_alert_time"] == t.tz_convert("Asia/Shanghai").isoformat() and "line_first_alert_time" not in ev
               for ev, t in zip(alerts["evidence"], alerts["event_time"], strict=True))
    # causal: no line alert before the line's first record
    cdr = pd.concat(pd.read_csv(p, dtype=str) for p in sorted((tiny / "cdr").glob("*.csv")))
    first = pd.to_datetime(cdr["start_time"], utc=True, format="ISO8601").groupby(cdr["msisdn"]).min()
    lines = alerts[alerts["subject_type"] == "msisdn"]
    assert (lines["event_time"].to_numpy() > first.reindex(lines["subject"]).to_numpy()).all()
    res = evaluate(alerts, read_labels(tiny / "labels.csv"))
    fc = res["fraud_caller"]
    assert fc["tp"] > 0 and fc["median_delay_hours"] is not None and 0 < fc["median_delay_hours"] < 48


def _bench(name):
    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCH))


def test_robustness_quick_end_to_end(tmp_path, capsys):
    rb = _bench("robustness")
    work = tmp_path / "work"
    out = rb.main(["--quick", "--tactics", "slow_caller", "--noise", "0", "--no-live", "--lines", "600",
                   "--baseline-commit", "none", "--work", str(work), "--json", str(tmp_path / "r.json")])
    printed = capsys.readouterr().out
    assert "Leave one tactic out" in printed and "Targets" in printed
    assert out["seeds"] == {"train": 31, "validation": 37, "test": 41}
    assert [r["tactic"] for r in out["per_tactic"]] == ["slow_caller"]
    fc = out["overall"]["fanzha batch"]["metrics"]["fraud_caller"]
    assert fc["positives"] > 0 and 0 <= fc["precision"] <= 1
    assert any(t["target"].startswith("ordinary lines") for t in out["targets"])
    # structurally held out: the test province was simulated after every model had been written
    test_done = next((work / "provinces").glob("test-*/.complete")).stat().st_mtime
    models = list((work / "models").rglob("model.json"))
    assert len(models) == 2 and all(m.stat().st_mtime <= test_done for m in models)
    assert (tmp_path / "r.json").exists()


def test_seeds_must_differ_and_baseline_tree_is_a_commit(tmp_path):
    h = _bench("_harness")
    with pytest.raises(SystemExit):
        h.check_seeds(train=1, validation=2, test=1)
    src = h.baseline_src("HEAD", tmp_path)
    assert (src / "fanzha" / "cli" / "__init__.py").exists() and (src.parent / ".complete").exists()
