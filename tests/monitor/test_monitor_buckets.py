"""Windows composed from hourly buckets equal the batch features computed from the records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

# Exact for in-order data (see analytics.stream.buckets); new_peer_share differs only by the look-back.
COMPARED_EXACTLY_IN_ANY_ORDER = ("gap_std_24h", "burstiness_24h")


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    from fanzha.sim.generate import simulate

    out = tmp_path_factory.mktemp("sim")
    simulate(lines=1500, days=3, seed=5, out=out)  # 3 days: the onset baseline has earlier days
    return out


def _store(province, tmp_path):
    from fanzha.analytics.ingest import ingest

    store = tmp_path / "store"
    ingest(store=store, cdr=province / "cdr", sms=province / "sms")
    return store


def _parts(store):
    return [(k, p) for k in ("cdr", "sms") for p in sorted((store / k).glob("day=*/*.parquet"))]


def _compose(state, lo, hi, province):
    from fanzha.analytics.stream import buckets
    from fanzha.analytics.stream.score import load_subscribers

    state.con.register("_subs", load_subscribers(province / "subscribers.csv").reset_index())
    state.con.execute("CREATE OR REPLACE TEMP TABLE _cand AS SELECT DISTINCT msisdn FROM line_hour")
    return state.engine.df(buckets.line_features_sql(lo, hi, "_cand", subs="_subs")).set_index("msisdn")


def _batch(store, hi, province):
    from fanzha.analytics.detectors.lines import FAMILIES, STRING_FEATURES
    from fanzha.analytics.engines import get_engine
    from fanzha.analytics.features import compute_line_features
    from fanzha.analytics.inputs import register_inputs

    with get_engine("duckdb") as e:
        register_inputs(e, store=store, subscribers=province / "subscribers.csv")
        got = compute_line_features(e, as_of=hi, windows=("24h",), families=FAMILIES).set_index("msisdn")
        return got.drop(columns=[f"{c}_24h" for c in STRING_FEATURES if f"{c}_24h" in got])


def _mismatches(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, int]:
    common = a.index.intersection(b.index)
    assert len(common) == len(a) == len(b)
    out = {}
    for c in a.columns:
        x = a.loc[common, c].astype(float)
        y = pd.to_numeric(b.loc[common, c], errors="coerce").astype(float)
        bad = int((~np.isclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True)).sum())
        if bad:
            out[c] = bad
    return out


def test_bucket_windows_equal_batch_features(province, tmp_path):
    from fanzha.analytics.stream.state import StateStore

    store = _store(province, tmp_path)
    state = StateStore(tmp_path / "state.duckdb", lateness_s=10**9, threads=1)
    parts = _parts(store)
    half = len(parts) // 2
    for i, kp in enumerate(parts):  # one part at a time, as files arrive
        state.apply_parts([kp])
        if i in (1, half):  # compaction of the hours touched so far, twice, halfway
            touched = state.meta("touched_from")
            state.evict_and_compact()
            assert state.meta("touched_from") is None and state.merged_share is not None
            assert touched is not None
    lo, hi = state.window()
    assert hi - lo == 86400 and hi % 3600 == 0
    batch = _batch(store, hi, province)
    composed = _compose(state, lo, hi, province)
    assert len(composed) > 1000
    # The evidence that needs no volume is composed too, with values (not only NULLs).
    for col in ("own_new_peers_24h", "elderly_peer_share_24h", "calls_out_today_24h", "base_out_share_24h",
                "out_share_break_24h", "activity_break_24h"):
        assert composed[col].notna().sum() > 100, col
    assert composed["own_new_peers_24h"].sum() > 0 and composed["elderly_peer_share_24h"].max() > 0
    assert _mismatches(composed, batch) == {}
    # Compaction and a part applied twice change nothing.
    state.evict_and_compact()
    assert state.apply_parts(parts).parts == 0
    assert _mismatches(_compose(state, lo, hi, province), batch) == {}
    state.close()


def test_out_of_order_parts_give_the_same_window(province, tmp_path):
    from fanzha.analytics.stream.state import StateStore

    store = _store(province, tmp_path)
    state = StateStore(tmp_path / "state.duckdb", lateness_s=10**9, threads=1)
    for kp in reversed(_parts(store)):
        state.apply_parts([kp])
    lo, hi = state.window()
    diff = _mismatches(_compose(state, lo, hi, province), _batch(store, hi, province))
    assert set(diff) <= set(COMPARED_EXACTLY_IN_ANY_ORDER)
    state.close()
