"""Causal by construction (issue 21 §4): `fanzha detect` gives the alerts the live monitor would have given,
at the time it would have given them.

A small province is replayed hour by hour through the monitor's scoring (one file per clock hour and kind
applied to the bucket state, then one pass, as `fanzha monitor --once` after each hour's drop) and run
through the batch detectors on the same records. Per detector, the alerted lines and each line's first
alert time must be equal: the monitor's first alert is the end of the hour of the pass that raised it;
batch records it as ``evidence.first_alert_time`` (fraud_caller: the end of the clock hour whose
checkpoint crossed; resold_card: the end of the hour at which the block so far crossed).

simbox is excluded: it judges SIM-bank membership on the whole run (not causal); its grouping is being
rewritten on branch ``simbox-cobehave``. cell_anomaly is compared on its alerted cells only (it alerts
per cell-hour, both sides from the same baseline).
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

HOUR = 3600


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    from fanzha.analytics.detectors.context import open_context
    from fanzha.sim.generate import simulate

    out = tmp_path_factory.mktemp("sim")
    simulate(lines=1500, days=3, seed=13, out=out)
    ctx, _ = open_context(workdir=out / "ctx", cdr=out / "cdr", sms=out / "sms", subscribers=out / "subscribers.csv",
                          cells=out / "cells.csv")
    return out, ctx


def _hour_files(store, folder):
    """The stored records cut into one parquet file per clock hour and kind: [(hour_ts, [(kind, path)])]."""
    folder.mkdir()
    con = duckdb.connect()
    hours: dict[int, list] = {}
    for kind in ("cdr", "sms"):
        src = f"read_parquet('{store / kind}/day=*/*.parquet')"
        for (h,) in con.execute(f"SELECT DISTINCT (ts // {HOUR}) * {HOUR} FROM {src} ORDER BY 1").fetchall():
            path = folder / f"{kind}-{h}.parquet"
            con.execute(f"COPY (SELECT * FROM {src} WHERE (ts // {HOUR}) * {HOUR} = {h} ORDER BY ts) TO '{path}' (FORMAT parquet)")
            hours.setdefault(int(h), []).append((kind, path))
    con.close()
    return sorted(hours.items())


def _live_first_alerts(out, ctx, tmp_path, models):
    """Replay hour by hour: {(detector, subject): end of the hour of the first pass that raised it}."""
    from fanzha.analytics.detectors.lines import registration_facts
    from fanzha.analytics.stream.score import load_subscribers, score_pass
    from fanzha.analytics.stream.state import StateStore

    state = StateStore(tmp_path / "state.duckdb", lateness_s=10**9, threads=1)
    state.set_cells(out / "cells.csv")
    subs = load_subscribers(out / "subscribers.csv")
    facts = registration_facts(subs)
    first: dict[tuple[str, str], int] = {}
    cells_hi = None
    for n, (hour, files) in enumerate(_hour_files(out / "ctx" / "store", tmp_path / "hours")):
        state.apply_parts(files)
        alerted = {s for d, s in first if d == "fraud_caller"}  # the monitor skips lines it alerted on
        sp = score_pass(state, models=models, subscribers=subs, static_facts=facts, skip=alerted,
                        detectors=("fraud_caller", "resold_card", "cell_anomaly"), cells_scored_hi=cells_hi)
        cells_hi = sp.cells_hi if sp.cells_hi is not None else cells_hi
        assert sp.as_of == hour + HOUR  # each hour's pass scores the window ending with that hour
        state.clear_dirty()
        for a in sp.alerts:
            first.setdefault((a.detector, a.subject), sp.as_of)
        if n % 12 == 11:
            state.evict_and_compact()  # as the service does now and then: changes nothing scored
    state.close()
    return first


def _batch_first_alerts(ctx, models):
    from fanzha.analytics.detectors.cell_anomaly import CellAnomalyDetector
    from fanzha.analytics.detectors.fraud_caller import FraudCallerDetector
    from fanzha.analytics.detectors.resold_card import ResoldCardDetector

    ctx.models = dict(models)
    ctx._cache.clear()
    first = {}
    for det in (FraudCallerDetector(), ResoldCardDetector(), CellAnomalyDetector()):
        for a in det.detect(ctx):
            t = a.evidence.get("first_alert_time")
            first[(a.detector, a.subject)] = None if t is None else int(pd.Timestamp(t).timestamp())
    return first


def test_detect_gives_the_monitors_alerts_at_the_monitors_time(province, tmp_path):
    from fanzha.analytics.pipeline import load_models

    out, ctx = province
    models = load_models(None)[0]  # the shipped model, as `fanzha detect` and the monitor use by default
    assert "fraud_caller" in models
    live = _live_first_alerts(out, ctx, tmp_path, models)
    batch = _batch_first_alerts(ctx, models)
    for det in ("fraud_caller", "resold_card"):
        b = {s: t for (d, s), t in batch.items() if d == det}
        lv = {s: t for (d, s), t in live.items() if d == det}
        assert b, f"{det}: the province has lines to alert"
        assert set(b) == set(lv), det
        assert b == lv, det  # first alert: the same clock hour
    labels = pd.read_csv(out / "labels.csv", dtype=str).set_index("msisdn")["label"]
    assert {labels.get(s) for (d, s) in batch if d == "fraud_caller"} >= {"fraud_caller"}
    assert {s for (d, s) in batch if d == "cell_anomaly"} == {s for (d, s) in live if d == "cell_anomaly"}
