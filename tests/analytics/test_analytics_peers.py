"""Peer parity: bandicoot's hand-computed indicators and the Sichuan 2020 contest's feature table."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers import external

from fanzha.analytics.adapters import bandicoot_user, sichuan_voc
from fanzha.analytics.engines import get_engine
from fanzha.analytics.features import compute_line_features
from fanzha.analytics.ingest import ingest
from fanzha.analytics.inputs import register_inputs

pytestmark = pytest.mark.external

# bandicoot indicator path → fanzha line feature (window suffix added below)
BANDICOOT = {
    ("active_days", "callandtext"): "active_days",
    ("call_duration", "call", "mean"): "dur_mean",
    ("call_duration", "call", "std"): "dur_std",
    ("entropy_of_contacts", "call"): "contact_entropy",
    ("entropy_of_contacts", "text"): "sms_contact_entropy",
    ("entropy_of_antennas",): "cell_entropy",
    ("interactions_per_contact", "call", "mean"): "calls_per_peer",
    ("interevent_time", "call", "mean"): "gap_mean",
    ("interevent_time", "call", "std"): "gap_std",
    ("interevent_time", "text", "mean"): "sms_gap_mean",
    ("number_of_contacts", "call"): "peers",
    ("number_of_contacts", "text"): "sms_peers",
    ("number_of_interactions", "call"): "calls",
    ("number_of_antennas",): "distinct_cells",
    ("percent_at_home",): "home_cell_share",
    ("percent_initiated_interactions", "call"): "out_share",
    ("percent_nocturnal", "call"): "night_share",
    ("percent_nocturnal", "text"): "sms_night_share",
}


def _lookup(doc, path):
    node = doc[path[0]]["allweek"]["allday"]
    for key in path[1:]:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _bandicoot_features(tmp_path, user, write_inputs):
    samples = external("bandicoot-fixtures", "bandicoot", "tests", "samples")
    frames = bandicoot_user(samples / "manual" / f"{user}.csv", towers_csv=samples / "towers.csv")
    paths = write_inputs(tmp_path, **frames)
    ingest(store=tmp_path / "store", cdr=paths["cdr"], sms=paths["sms"])
    with get_engine("duckdb") as eng:
        register_inputs(eng, store=tmp_path / "store", cells=paths["cells"])
        # bandicoot's defaults: the whole period, night 19:00-07:00.
        df = compute_line_features(eng, as_of="2015-01-01T00:00:00", windows=("365d",), night=(19, 7))
    assert len(df) == 1
    return df.iloc[0], json.loads((samples / "manual" / f"{user}.json").read_text())


@pytest.mark.parametrize(("user", "decimals"), [("A", 4), ("B", 3)])
def test_bandicoot_manual_indicators(tmp_path, user, decimals, write_inputs):
    row, expected = _bandicoot_features(tmp_path, user, write_inputs)
    compared = 0
    for path, name in BANDICOOT.items():
        want = _lookup(expected, path)
        if want is None:
            continue
        got = row[f"{name}_365d"]
        assert abs(float(got) - float(want)) <= 0.5 * 10**-decimals + 1e-6, f"{path} → {name}: {got} vs {want}"
        compared += 1
    texts = _lookup(expected, ("number_of_interactions", "text"))
    assert row["sms_out_365d"] + row["sms_in_365d"] == texts
    assert compared >= 14


def test_bandicoot_radius_of_gyration(tmp_path, write_inputs):
    """Not in A.json; bandicoot's own output for A (regressions/manual_a.json) has it."""
    row, _ = _bandicoot_features(tmp_path, "A", write_inputs)
    reg = external("bandicoot-fixtures", "bandicoot", "tests", "samples", "regressions", "manual_a.json")
    values = next(iter(json.loads(reg.read_text()).values()))
    assert row["radius_of_gyration_km_365d"] == pytest.approx(values["radius_of_gyration__allweek__allday__mean"], abs=1e-4)


SICHUAN = {  # contest column → fanzha feature (March 2020)
    "voc_cnt": "calls",
    "voc_user_cnt": "peers",
    "call_type_1_cnt": "calls_out",
    "call_type_2_cnt": "calls_in",
    "call_type_3_cnt": "calls_fwd",
    "active_days": "active_days",
    "call_dur": "dur_total",
    "imei_cnt": "imeis",
}


def test_sichuan_2020_march_counts(tmp_path, write_inputs):
    base = external("sichuan-fraud-2020-samples")
    files = sorted((base / "raw_voc_4users").glob("*.csv"))
    cdr = sichuan_voc(files)
    numbers = cdr.attrs["numbers"]
    paths = write_inputs(tmp_path, cdr=cdr)
    summary = ingest(store=tmp_path / "store", cdr=paths["cdr"])
    assert summary.kinds["cdr"].rows_quarantined == 0
    users = {f.stem: pd.read_csv(f, usecols=["phone_no_m"], nrows=1).phone_no_m[0] for f in files}
    table = pd.read_csv(base / "user_features_train_202003.csv").set_index("phone_no_m")
    with get_engine("duckdb") as eng:
        register_inputs(eng, store=tmp_path / "store")
        df = compute_line_features(eng, as_of="2020-04-01T00:00:00", windows=("31d",)).set_index("msisdn")
    for name, hashed in users.items():
        msisdn = numbers[hashed]
        for col, feat in SICHUAN.items():
            got = int(df.loc[msisdn, f"{feat}_31d"]) if msisdn in df.index else 0
            assert got == int(table.loc[hashed, col]), f"{name} {col}: {got} vs {table.loc[hashed, col]}"
    assert int(table.loc[users["fake_2"], "voc_cnt"]) > 0  # the comparison is not all zeros
