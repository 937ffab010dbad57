"""Line, cell-hour, IMEI and pair features on small hand-made records with hand-computed values."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from fanzha.analytics.engines import get_engine
from fanzha.analytics.features import (
    REGISTRY,
    compute_cell_hour_features,
    compute_imei_features,
    compute_line_features,
    compute_pair_features,
    describe,
    line_features_sql,
)
from fanzha.analytics.ingest import ingest
from fanzha.analytics.inputs import register_inputs

A, B, C = "13307150001", "13307150002", "13307150003"  # own lines (A, B on Telecom 133)
BOX = "861234560000001"  # one IMEI, two SIMs: A and C alternate on it
AS_OF = "2026-05-03T12:00:00+08:00"

CDR = [
    # id, msisdn, peer, dir, local time (+08:00), dur, cell, imei
    ("c1", A, "13800000001", "out", "2026-05-03T11:10:00", 0, "X1", BOX),  # last hour
    ("c2", C, "13800000002", "out", "2026-05-03T11:20:00", 5, "X1", BOX),
    ("c3", A, "13800000003", "out", "2026-05-03T11:30:00", 8, "X1", BOX),
    ("c4", C, "13800000004", "out", "2026-05-03T11:40:00", 60, "X1", BOX),
    ("c5", A, "18900000005", "out", "2026-05-03T11:50:00", 30, "X1", BOX),  # Telecom peer (same carrier)
    ("c6", A, "13800000001", "in", "2026-05-03T02:00:00", 100, "X2", BOX),  # night, calls back
    ("c7", A, "07158123456", "out", "2026-05-02T23:30:00", 20, "X2", BOX),  # night, fixed line
    ("c8", A, "+85212345678", "out", "2026-05-01T10:00:00", 11, "X3", BOX),  # 7d only, abroad
    ("c9", A, "13800000003", "out", "2026-04-20T10:00:00", 50, "X3", BOX),  # history: not a new peer
    ("c10", B, "13800000009", "out", "2026-05-03T12:00:00", 7, "X2", "352222222222222"),  # exactly as_of: inside
    ("c11", B, "13800000009", "out", "2026-05-02T12:00:00", 9, "X2", "352222222222222"),  # exactly 24h back: outside 24h
]
CELLS = pd.DataFrame({
    "cell_id": ["X1", "X2", "X3"], "lat": [30.0, 30.0, 31.0], "lon": [114.0, 114.1, 114.0],
    "region_code": ["421202", "421202", "420102"],
})
SUBS = pd.DataFrame({"msisdn": [A, B, C], "line_type": "mobile",
                     "id_no": ["42120219900101123X", "51010519900101123X", "42010219900101123X"]})


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hand")
    cdr = pd.DataFrame(CDR, columns=["record_id", "msisdn", "peer", "direction", "start_time", "duration_s", "cell_id", "imei"])
    cdr.to_csv(folder / "cdr.csv", index=False)
    CELLS.to_csv(folder / "cells.csv", index=False)
    SUBS.to_csv(folder / "subscribers.csv", index=False)
    ingest(store=folder / "store", cdr=folder / "cdr.csv")
    eng = get_engine("duckdb")
    register_inputs(eng, store=folder / "store", cells=folder / "cells.csv", subscribers=folder / "subscribers.csv")
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def lines(engine):
    return compute_line_features(engine, as_of=AS_OF, windows=("1h", "24h", "7d")).set_index("msisdn")


def test_every_registered_line_feature_is_a_column_per_window(lines):
    names = [f.name for f in REGISTRY.values() if f.entity == "line"]
    assert set(lines.columns) == {f"{n}_{w}" for n in names for w in ("1h", "24h", "7d")}
    assert all(row["zh"] and row["en"] for row in describe())


def test_windows_are_half_open_and_end_at_as_of(lines):
    assert lines.loc[A, "calls_1h"] == 3 and lines.loc[C, "calls_1h"] == 2
    assert lines.loc[A, "calls_24h"] == 5  # c1 c3 c5 c6 c7
    assert lines.loc[A, "calls_7d"] == 6
    assert lines.loc[B, "calls_24h"] == 1  # c10 at as_of counts, c11 24h earlier does not
    assert lines.loc[B, "calls_7d"] == 2


def test_calling_shares_and_durations(lines):
    a = lines.loc[A]
    assert (a.calls_out_24h, a.calls_in_24h) == (4, 1)
    assert a.short_call_share_24h == pytest.approx(2 / 4)  # 0 s and 8 s of c1 c3 c5 c7
    assert a.unanswered_share_24h == pytest.approx(1 / 4)
    assert a.night_share_24h == pytest.approx(2 / 5)  # 02:00 and 23:30
    assert a.dur_total_24h == 0 + 8 + 30 + 100 + 20
    assert a.dur_mean_24h == pytest.approx(158 / 5)
    assert a.dur_std_24h == pytest.approx(pd.Series([0, 8, 30, 100, 20]).std(ddof=0))
    assert a.peers_24h == 4 and a.peers_out_24h == 4
    assert a.callback_share_24h == pytest.approx(1 / 4)  # 13800000001 called back
    assert a.fixed_peer_share_24h == pytest.approx(1 / 4)
    assert a.other_carrier_peer_share_24h == pytest.approx(2 / 3)  # 138 (Mobile) ×2 vs 189 (Telecom)
    assert a.intl_peer_share_7d == pytest.approx(1 / 5)
    # 13800000003 was called on 20 April, inside the 30-day history before the 24h window.
    assert a.new_peer_share_24h == pytest.approx(3 / 4)
    ts = pd.to_datetime(["2026-05-02T23:30", "2026-05-03T02:00", "2026-05-03T11:10", "2026-05-03T11:30", "2026-05-03T11:50"])
    gaps = ts.to_series().diff().dt.total_seconds().dropna()
    assert a.gap_mean_24h == pytest.approx(gaps.mean())
    m, s = gaps.mean(), gaps.std(ddof=0)
    assert a.burstiness_24h == pytest.approx((s - m) / (s + m))
    assert a.active_days_24h == 2 and a.active_hours_24h == 3  # hours 23, 02, 11


def test_device_and_mobility(lines):
    assert lines.loc[A, "imeis_24h"] == 1 and lines.loc[A, "max_lines_on_imei_24h"] == 2
    assert lines.loc[B, "max_lines_on_imei_24h"] == 1
    assert lines.loc[A, "main_tac_24h"] == BOX[:8]
    assert lines.loc[A, "distinct_cells_24h"] == 2
    # A is at X1/X2 (421202) at night; its ID is from 421202 → same county; C's ID 420102 vs home 421202 → same province.
    assert lines.loc[A, "home_region_7d"] == "421202" and lines.loc[A, "home_id_match_7d"] == 3
    assert lines.loc[C, "home_id_match_24h"] == 1
    assert lines.loc[B, "home_id_match_24h"] == 0
    # 7 days: half-hour samples at X1 (11:00, 11:30 — c3 and c5 share one), X2 (2), X3 (1); X3 is elsewhere.
    assert lines.loc[A, "location_samples_7d"] == 5
    assert lines.loc[A, "outside_home_share_7d"] == pytest.approx(1 / 5)
    lat = (2 * 30.0 + 2 * 30.0 + 31.0) / 5
    lon = (2 * 114.0 + 2 * 114.1 + 114.0) / 5

    def hav(lat1, lon1, lat2, lon2):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        a = math.sin((p1 - p2) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon1 - lon2) / 2) ** 2
        return 2 * 6371 * math.asin(math.sqrt(a))

    rg = math.sqrt((2 * hav(30, 114, lat, lon) ** 2 + 2 * hav(30, 114.1, lat, lon) ** 2 + hav(31, 114, lat, lon) ** 2) / 5)
    assert lines.loc[A, "radius_of_gyration_km_7d"] == pytest.approx(rg)


def test_imei_cell_hour_and_pairs(engine):
    imei = compute_imei_features(engine, as_of=AS_OF, window="1h").set_index("imei")
    assert imei.loc[BOX, "imei_lines"] == 2
    assert imei.loc[BOX, "imei_sim_switches"] == 4  # A C A C A
    assert imei.loc[BOX, "imei_short_call_share"] == pytest.approx(3 / 5)
    cells = compute_cell_hour_features(engine, as_of=AS_OF, window="24h")
    x1 = cells[(cells.cell_id == "X1")]
    assert len(x1) == 1 and x1.iloc[0].cell_calls == 5 and x1.iloc[0].cell_lines == 2
    assert x1.iloc[0].hour_ts == int(pd.Timestamp("2026-05-03T11:00:00+08:00").timestamp())
    pairs = compute_pair_features(engine, as_of=AS_OF, window="7d").set_index(["msisdn", "peer"])
    assert pairs.loc[(A, "13800000001"), ["pair_calls_out", "pair_calls_in", "pair_dur_total"]].tolist() == [1, 1, 100]


def test_all_subscribers_option_and_sql_is_pure():
    sql = line_features_sql(as_of=AS_OF, windows=("24h",), all_subscribers=True)
    assert sql == line_features_sql(as_of=AS_OF, windows=("24h",), all_subscribers=True)
    assert "subscribers" in sql


def test_empty_store_gives_empty_result(tmp_path):
    with get_engine("duckdb") as eng:
        register_inputs(eng, store=tmp_path / "nothing")
        assert compute_line_features(eng, as_of=AS_OF, windows=("24h",)).empty
