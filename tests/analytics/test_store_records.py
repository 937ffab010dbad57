"""Lines' records read back from both call-record stores (``fanzha ingest``'s and the monitor's), each once."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from fanzha.analytics.ingest import ingest
from fanzha.analytics.store_records import load_line_records, record_globs

CST = timezone(timedelta(hours=8))
A, B = "13300000001", "13300000002"
HEADER = ["record_id", "msisdn", "peer", "direction", "start_time", "duration_s", "cell_id", "imei"]
T0 = datetime(2026, 11, 3, 9, 0, tzinfo=CST)


def _write(path: Path, rows) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def _row(rid: str, msisdn: str, minutes: int, direction: str = "out") -> tuple:
    return (rid, msisdn, "13900000000", direction, (T0 + timedelta(minutes=minutes)).isoformat(), 30, "CELL1",
            "353911100000017")


def _stores(tmp_path: Path) -> tuple[Path, Path]:
    """The week's file went into the operator's store; the monitor stored the same records again, and one more."""
    week = [_row("r1", A, 0), _row("r2", A, 5), _row("r3", A, 70, "in"), _row("r4", B, 10)]
    ops, mon = tmp_path / "store", tmp_path / "monitor" / "store"
    ingest(store=ops, cdr=_write(tmp_path / "week.csv", week))
    ingest(store=mon, cdr=_write(tmp_path / "drop.csv", week[:2] + [_row("r5", A, 75)]))
    return ops, mon


def test_records_of_a_line_come_from_every_store_once(tmp_path):
    ops, mon = _stores(tmp_path)
    con = duckdb.connect()
    assert load_line_records(con, [ops, mon, tmp_path / "missing"], [A])
    ids = [r[0] for r in con.execute("SELECT record_id FROM line_records ORDER BY record_id").fetchall()]
    assert ids == ["r1", "r2", "r3", "r5"]  # r1, r2 are in both stores; B's record is not asked for
    assert len(record_globs([ops, mon, tmp_path / "missing"])) == 2


def test_nothing_to_read_creates_nothing(tmp_path):
    ops, _ = _stores(tmp_path)
    con = duckdb.connect()
    assert not load_line_records(con, [tmp_path / "missing"], [A])
    assert not load_line_records(con, [ops], [])
    assert not load_line_records(con, [ops], [A], kind="sms")  # no SMS were stored
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'line_records'").fetchone()[0] == 0


def test_case_traffic_and_police_summary_read_the_monitor_store_too(tmp_path):
    from fanzha.casework.cases.traffic import from_store
    from fanzha.casework.police.calls import devices, summaries
    from fanzha.config import Settings

    settings = Settings(home=tmp_path)
    ops, mon = _stores(tmp_path)
    assert settings.record_stores == (ops, mon)
    points = from_store(settings.record_stores, A)
    assert [(p.t.astimezone(CST).hour, p.calls, p.out) for p in points] == [(9, 2.0, 2.0), (10, 2.0, 1.0)]
    only_monitor = from_store([mon], A)
    assert sum(p.calls for p in only_monitor) == 3
    (s,) = summaries(settings.record_stores, [A])
    assert (s.calls, s.outgoing, s.incoming) == (4, 3, 1)
    assert [(d.imei, d.calls) for d in devices(settings.record_stores, [A, B])] == [
        ("353911100000017", 4), ("353911100000017", 1)]
