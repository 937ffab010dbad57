"""cell_anomaly and resold_card in the monitor: the history buckets (cell_hour, line_block) give the alerts
the batch detectors give on the same records, when the records arrive day by day."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    from fanzha.analytics.detectors.context import open_context
    from fanzha.sim.generate import simulate

    out = tmp_path_factory.mktemp("sim")
    simulate(lines=3000, days=3, seed=5, out=out)
    ctx, _ = open_context(workdir=out / "ctx", cdr=out / "cdr", sms=out / "sms", subscribers=out / "subscribers.csv",
                          cells=out / "cells.csv")
    return out, ctx


def test_live_cell_anomaly_and_resold_card_equal_batch(province, tmp_path):
    from fanzha.analytics.detectors.cell_anomaly import CellAnomalyDetector
    from fanzha.analytics.detectors.resold_card import ResoldCardDetector
    from fanzha.analytics.stream.score import load_subscribers, score_pass
    from fanzha.analytics.stream.state import StateStore

    out, ctx = province
    batch_cells = {a.subject for a in CellAnomalyDetector().detect(ctx)}
    batch_resold = {a.subject for a in ResoldCardDetector().detect(ctx)}
    labels = pd.read_csv(out / "labels.csv", dtype=str)
    resold = set(labels.loc[labels["scenario"] == "resold", "msisdn"])
    assert batch_cells and batch_resold == resold  # the planted cases are there to be found

    state = StateStore(tmp_path / "state.duckdb", lateness_s=10**9, threads=1)
    assert state.set_cells(out / "cells.csv") > 0
    subs = load_subscribers(out / "subscribers.csv")
    store = out / "ctx" / "store"
    parts = [(k, p) for k in ("cdr", "sms") for p in sorted((store / k).glob("day=*/*.parquet"))]
    live, done = [], None
    for day in sorted({p.parent.name for _, p in parts}):  # a day's files, then a pass, as the monitor does
        state.apply_parts([kp for kp in parts if kp[1].parent.name == day])
        sp = score_pass(state, models={}, subscribers=subs, detectors=("resold_card", "cell_anomaly"),
                        cells_scored_hi=done)
        done = sp.cells_hi
        state.clear_dirty()
        live.extend(sp.alerts)
    assert {a.subject for a in live if a.detector == "cell_anomaly"} == batch_cells
    assert {a.subject for a in live if a.detector == "resold_card"} == batch_resold
    cell = next(a for a in live if a.detector == "cell_anomaly")
    assert len(cell.evidence["lines"]) >= 4 and cell.reasons  # names the lines driving the jump
    # Compaction merges the history fragments without changing what the last pass saw.
    last = {a.subject for a in sp.alerts if a.detector == "resold_card"}
    assert last
    state.evict_and_compact()
    state.con.execute("INSERT INTO dirty (msisdn) SELECT DISTINCT msisdn FROM line_block")
    again = score_pass(state, models={}, subscribers=subs, detectors=("resold_card",))
    assert {a.subject for a in again.alerts} == last
    state.close()
