"""Ingest: types enforced, bad rows quarantined with reasons, de-duplication, ledger, atomic publish."""

from __future__ import annotations

import csv
import json

import duckdb
import pandas as pd
import pytest

from fanzha.analytics.ingest import ingest

HEADER = "record_id,msisdn,peer,direction,start_time,duration_s,cell_id,imei\n"
GOOD = [
    "r1,13307151234,13800000000,out,2026-05-03T21:15:02+08:00,12,C1,351234567890123",
    "r2,13307151234,07158123456,in,2026-05-03 23:59:59,0,C1,",  # no offset → +08:00
    "r3,07158123456,+85212345678,fwd,2026-05-04T00:00:01+08:00,300,,",  # fixed line, abroad peer
    "r4,13307151234,95555,out,2026-05-03T16:30:00Z,5,C2,351234567890123",  # UTC → 00:30 local next day
]
BAD = {
    "missing_record_id": ",13307151234,13800000000,out,2026-05-03T21:15:02+08:00,12,C1,",
    "bad_msisdn": "b2,1330715,13800000000,out,2026-05-03T21:15:02+08:00,12,C1,",
    "bad_peer": "b3,13307151234,abc,out,2026-05-03T21:15:02+08:00,12,C1,",
    "unknown_direction": "b4,13307151234,13800000000,sideways,2026-05-03T21:15:02+08:00,12,C1,",
    "bad_time": "b5,13307151234,13800000000,out,2026-13-03 25:00:00,12,C1,",
    "bad_duration": "b6,13307151234,13800000000,out,2026-05-03T21:15:02+08:00,twelve,C1,",
    "negative_duration": "b7,13307151234,13800000000,out,2026-05-03T21:15:02+08:00,-3,C1,",
    "bad_imei": "b8,13307151234,13800000000,out,2026-05-03T21:15:02+08:00,12,C1,35123",
}


def _write(path, rows):
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _stored(store, kind="cdr"):
    return duckdb.sql(
        f"SELECT * FROM read_parquet('{store}/{kind}/*/*.parquet', hive_partitioning=true) ORDER BY record_id"
    ).df()


def test_bad_rows_quarantined_with_reason_and_good_rows_kept(tmp_path):
    src = _write(tmp_path / "cdr.csv", GOOD[:2] + list(BAD.values()) + GOOD[2:])
    s = ingest(store=tmp_path / "store", cdr=src)
    k = s.kinds["cdr"]
    assert k.rows_read == len(GOOD) + len(BAD)
    assert k.rows_stored == len(GOOD)
    assert k.quarantined == {reason: 1 for reason in BAD}
    with open(s.quarantine_files[0], encoding="utf-8") as fh:
        q = list(csv.DictReader(fh))
    assert {r["reason"] for r in q} == set(BAD)
    assert {r["record_id"] for r in q if r["reason"] == "negative_duration"} == {"b7"}
    stored = _stored(tmp_path / "store")
    assert list(stored.record_id) == ["r1", "r2", "r3", "r4"]
    summary = json.loads((tmp_path / "store" / "_runs" / s.run_id / "summary.json").read_text())
    assert summary["kinds"]["cdr"]["rows_quarantined"] == len(BAD)


def test_types_times_and_day_partitions(tmp_path):
    ingest(store=tmp_path / "store", cdr=_write(tmp_path / "cdr.csv", GOOD))
    st = _stored(tmp_path / "store").set_index("record_id")
    # r1 and r2 are on 3 May local time, r3 and r4 (16:30Z = 00:30 +08:00) on 4 May.
    assert sorted(p.name for p in (tmp_path / "store" / "cdr").iterdir()) == ["day=2026-05-03", "day=2026-05-04"]
    assert str(st.loc["r4", "day"])[:10] == "2026-05-04"
    assert st.loc["r2", "ts"] == int(pd.Timestamp("2026-05-03T23:59:59+08:00").timestamp())
    assert st.loc["r4", "ts"] == int(pd.Timestamp("2026-05-03T16:30:00Z").timestamp())
    assert st["duration_s"].dtype.kind == "i"
    assert pd.isna(st.loc["r2", "imei"]) and pd.isna(st.loc["r3", "cell_id"])


def test_duplicates_stored_once_across_files_and_runs_and_same_file_is_noop(tmp_path):
    a = _write(tmp_path / "in" / "a.csv", GOOD[:3]) if (tmp_path / "in").mkdir() is None else None
    b = _write(tmp_path / "in" / "b.csv", GOOD[1:])  # r2, r3 repeat
    s1 = ingest(store=tmp_path / "store", cdr=tmp_path / "in")
    assert (s1.kinds["cdr"].rows_stored, s1.kinds["cdr"].duplicates) == (4, 2)
    s2 = ingest(store=tmp_path / "store", cdr=a)  # same file again: ledger makes it a no-op
    assert (s2.kinds["cdr"].files_read, s2.kinds["cdr"].files_skipped, s2.kinds["cdr"].rows_stored) == (0, 1, 0)
    c = _write(tmp_path / "c.csv", [GOOD[0], GOOD[3].replace("r4", "r5")])  # new file, r1 already stored
    s3 = ingest(store=tmp_path / "store", cdr=c)
    assert (s3.kinds["cdr"].rows_stored, s3.kinds["cdr"].duplicates) == (1, 1)
    assert list(_stored(tmp_path / "store").record_id) == ["r1", "r2", "r3", "r4", "r5"]
    assert len((tmp_path / "store" / "_ledger.jsonl").read_text().splitlines()) == 3
    assert b.exists()


def test_interrupted_run_leaves_no_partial_file_and_rerun_completes(tmp_path):
    rows = [f"x{i},1330715{i % 50:04d},13800000000,out,2026-05-{1 + i % 5:02d}T10:00:00,{i},C1," for i in range(500)]
    src = _write(tmp_path / "cdr.csv", rows)

    class Boom(Exception):
        pass

    published = []

    def crash_after_first(path):
        published.append(path)
        raise Boom

    with pytest.raises(Boom):
        ingest(store=tmp_path / "store", cdr=src, on_publish=crash_after_first)
    assert len(published) == 1
    # What is visible is whole files only: the one published file reads completely.
    partial = _stored(tmp_path / "store")
    assert 0 < len(partial) < 500
    assert not (tmp_path / "store" / "_ledger.jsonl").exists()
    s = ingest(store=tmp_path / "store", cdr=src)
    assert s.kinds["cdr"].rows_stored == 500 - len(partial)
    assert s.kinds["cdr"].duplicates == len(partial)
    full = _stored(tmp_path / "store")
    assert len(full) == 500 and full.record_id.is_unique
    ref = tmp_path / "ref"
    ingest(store=ref, cdr=src)
    pd.testing.assert_frame_equal(full.reset_index(drop=True), _stored(ref).reset_index(drop=True))
    assert not (tmp_path / "store" / "_staging").exists()


def test_parquet_input_and_sms(tmp_path):
    df = pd.DataFrame({
        "record_id": ["s1", "s2", "s3"],
        "msisdn": ["13307151234", "13307151234", "123"],
        "peer": ["10086", "13800000000", "10086"],
        "direction": ["in", "out", "in"],
        "send_time": pd.to_datetime(["2026-05-03 08:00:00", "2026-05-03 09:00:00", "2026-05-03 09:00:00"]),
        "cell_id": ["C1", None, "C1"],
    })
    df.to_parquet(tmp_path / "sms.parquet")
    s = ingest(store=tmp_path / "store", sms=tmp_path / "sms.parquet")
    assert (s.kinds["sms"].rows_stored, s.kinds["sms"].quarantined) == (2, {"bad_msisdn": 1})
    st = _stored(tmp_path / "store", "sms")
    # A naive Parquet timestamp is local (+08:00) time, like an offset-less CSV time.
    assert st.ts.iloc[0] == int(pd.Timestamp("2026-05-03T08:00:00+08:00").timestamp())


def test_cli_ingest_prints_summary(tmp_path):
    from typer.testing import CliRunner

    from fanzha.cli import app

    src = _write(tmp_path / "cdr.csv", GOOD + [BAD["bad_time"]])
    res = CliRunner().invoke(app, ["ingest", "--cdr", str(src), "--store", str(tmp_path / "store")])
    assert res.exit_code == 0, res.output
    assert "bad_time=1" in res.output and "quarantine" in res.output


def test_cli_features_writes_table_and_describes(tmp_path):
    from typer.testing import CliRunner

    from fanzha.cli import app

    src = _write(tmp_path / "cdr.csv", GOOD)
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", "--cdr", str(src), "--store", str(tmp_path / "store")]).exit_code == 0
    out = tmp_path / "lines.csv"
    res = runner.invoke(app, ["features", "--store", str(tmp_path / "store"), "--as-of", "2026-05-04T12:00",
                              "--windows", "24h", "--out", str(out)])
    assert res.exit_code == 0, res.output
    lines = pd.read_csv(out, dtype={"msisdn": str}).set_index("msisdn")
    assert lines.loc["13307151234", "calls_24h"] == 3  # r1, r2, r4 (r4 is 00:30 on 4 May)
    described = json.loads(runner.invoke(app, ["features", "--describe"]).output)
    assert {"calls", "radius_of_gyration_km", "max_lines_on_imei"} <= {d["name"] for d in described}
