"""`fanzha load`: bulk, idempotent, quarantines bad rows with reasons, stores no clear personal data.

Every test runs on SQLite and on PostgreSQL (the db_url fixture).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from fanzha.casework.registry import load as load_mod
from fanzha.casework.registry.load import load_cells, load_subscribers
from fanzha.config import get_settings
from fanzha.ids import check_char, make_id
from fanzha.privacy import Protector

COLUMNS = ["msisdn", "line_type", "id_no", "owner_name", "open_time", "shop_id", "clerk_id", "status", "imsi",
           "occupation"]
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "欧阳娜娜"]


def make_rows(n: int, *, start: int = 0) -> list[dict]:
    rows = []
    for i in range(start, start + n):
        person = i // 2  # two lines per person
        rows.append({
            "msisdn": f"133{i:08d}" if i % 10 else f"0715{2000000 + i}",
            "line_type": "mobile" if i % 10 else "fixed",
            "id_no": make_id("421202" if person % 3 else "422301", date(1960 + person % 40, 1 + person % 12, 1 + person % 28), person % 1000),
            "owner_name": NAMES[person % len(NAMES)],
            "open_time": f"2025-0{1 + i % 9}-1{i % 10}T08:30:00" + ("+08:00" if i % 2 else ""),
            "shop_id": f"S{i % 7}",
            "clerk_id": f"C{i % 7}{i % 3}",
            "status": "active",
            "imsi": f"46011{i:010d}" if i % 4 else "",
            "occupation": "student" if person % 5 == 0 else "",
        })
    return rows


def write_csv(path: Path, rows: list[dict], columns=COLUMNS) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return path


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in
                ("persons", "lines", "shops", "clerks", "cells")}


def snapshot(engine) -> dict:
    with engine.connect() as conn:
        return {
            "lines": conn.execute(text("SELECT * FROM lines ORDER BY msisdn")).all(),
            "persons": conn.execute(text(
                "SELECT id, id_hash, id_enc, name_enc, name_hash, occupation FROM persons ORDER BY id")).all(),
            "clerks": conn.execute(text("SELECT * FROM clerks ORDER BY clerk_id")).all(),
        }


def test_load_is_idempotent_and_derives_everything(db_url, engine, tmp_path):
    rows = make_rows(60)
    path = write_csv(tmp_path / "subscribers.csv", rows)
    first = load_subscribers(path, url=db_url, progress=False)
    assert (first.read, first.inserted, first.quarantined, first.persons_new) == (60, 60, 0, 30)
    assert first.quarantine_path is None
    c = counts(engine)
    assert c["lines"] == 60 and c["persons"] == 30 and c["shops"] == 7 and c["clerks"] == 21
    before = snapshot(engine)

    again = load_subscribers(path, url=db_url, progress=False)
    assert (again.loaded, again.unchanged, again.persons_new, again.persons_updated) == (0, 60, 0, 0)
    assert snapshot(engine) == before, "loading the same file twice changes nothing"

    protector = Protector.from_settings(get_settings())
    with engine.connect() as conn:
        person = conn.execute(text(
            "SELECT p.id_enc, p.name_enc, p.id_masked, p.name_masked, p.birth_date, p.sex, p.division_code, "
            "l.carrier, l.open_time FROM persons p JOIN lines l ON l.person_id = p.id WHERE l.msisdn = :m"),
            {"m": rows[1]["msisdn"]}).one()
    assert protector.decrypt(person.id_enc) == rows[1]["id_no"]
    assert protector.decrypt(person.name_enc) == rows[1]["owner_name"]
    assert person.id_masked == rows[1]["id_no"][:4] + "*" * 10 + rows[1]["id_no"][-4:]
    assert person.name_masked == "张*"
    assert str(person.birth_date) == "1960-01-01" and person.sex == "F" and person.division_code == "422301"
    assert person.carrier == "China Telecom"
    # 2025-02-11T08:30:00+08:00 is stored as UTC.
    assert str(person.open_time).startswith("2025-02-11 00:30:00")


def test_no_clear_id_or_name_in_any_column(db_url, engine, tmp_path):
    rows = make_rows(20)
    load_subscribers(write_csv(tmp_path / "s.csv", rows), url=db_url, progress=False)
    secrets = {r["id_no"] for r in rows} | {r["owner_name"] for r in rows}
    tables = ("persons", "lines", "shops", "clerks")
    with engine.connect() as conn:
        for table in tables:
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                for value in row:
                    assert not any(s in str(value) for s in secrets), (table, value)


def test_bad_rows_are_quarantined_with_reasons(db_url, engine, tmp_path):
    rows = make_rows(12)
    good_id = rows[0]["id_no"]
    rows[1]["id_no"] = good_id[:17] + ("0" if good_id[17] != "0" else "1")
    rows[2]["msisdn"] = "1330000"
    rows[3]["line_type"] = "satellite"
    rows[4]["status"] = "frozen"
    rows[5]["open_time"] = "last tuesday"
    rows[6]["clerk_id"] = ""
    rows[8]["msisdn"] = rows[7]["msisdn"]  # duplicate: the first one loads
    rows[9]["id_no"] = "999999" + good_id[6:17]
    rows[9]["id_no"] += check_char(rows[9]["id_no"])
    result = load_subscribers(write_csv(tmp_path / "s.csv", rows), url=db_url, progress=False)
    assert result.read == 12 and result.quarantined == 8 and result.inserted == 4
    assert counts(engine)["lines"] == 4
    with open(result.quarantine_path, encoding="utf-8") as fh:
        bad = {int(r["source_row"]): r["reason"] for r in csv.DictReader(fh)}
    assert bad[2] == f"id_no: check character should be {good_id[17]}, got {rows[1]['id_no'][17]}"
    assert bad[3] == "msisdn: mobile number must have 11 digits, got 7"
    assert bad[4].startswith("line_type: 'satellite' is not one of")
    assert bad[5].startswith("status: 'frozen' is not one of")
    assert bad[6] == "open_time: 'last tuesday' is not an ISO 8601 time"
    assert bad[7] == "clerk_id: missing"
    assert bad[9] == "msisdn: appears more than once in the input (first one loaded)"
    assert bad[10] == "id_no: division 999999 is unknown"
    assert set(result.reasons) == {"id_no", "msisdn", "line_type", "status", "open_time", "clerk_id"}
    assert oct(result.quarantine_path.stat().st_mode & 0o777) == "0o600"


def test_missing_column_quarantines_the_file(db_url, engine, tmp_path):
    path = write_csv(tmp_path / "s.csv", make_rows(3), columns=[c for c in COLUMNS if c != "owner_name"])
    result = load_subscribers(path, url=db_url, progress=False)
    assert result.quarantined == 3 and result.loaded == 0
    assert result.reasons == {"file": 3}


def test_changed_rows_update(db_url, engine, tmp_path):
    rows = make_rows(10)
    path = write_csv(tmp_path / "s.csv", rows)
    load_subscribers(path, url=db_url, progress=False)
    rows[2]["status"] = "suspended"
    rows[4]["owner_name"] = "赵六"  # person 2's first row: the name is taken from there
    rows[4]["occupation"] = "retired"
    rows.extend(make_rows(2, start=10))
    result = load_subscribers(write_csv(path, rows), url=db_url, progress=False)
    assert (result.inserted, result.updated, result.unchanged) == (2, 1, 9)
    assert (result.persons_new, result.persons_updated) == (1, 1)
    protector = Protector.from_settings(get_settings())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM lines WHERE msisdn = :m"), {"m": rows[2]["msisdn"]}).scalar() == "suspended"
        p = conn.execute(text("SELECT name_enc, name_masked, occupation FROM persons WHERE id_hash = :h"),
                         {"h": protector.hash(rows[4]["id_no"])}).one()
    assert protector.decrypt(p.name_enc) == "赵六" and p.name_masked == "赵*" and p.occupation == "retired"


def test_folder_of_csv_and_parquet(db_url, engine, tmp_path):
    folder = tmp_path / "subscribers"
    folder.mkdir()
    write_csv(folder / "day1.csv", make_rows(8))
    pq.write_table(pa.Table.from_pylist(make_rows(8, start=8)), folder / "day2.parquet")
    result = load_subscribers(folder, url=db_url, progress=False)
    assert result.read == 16 and result.inserted == 16
    assert counts(engine)["lines"] == 16


def test_failure_rolls_back_everything(db_url, engine, tmp_path, monkeypatch):
    calls = []
    original = load_mod.Bulk.insert

    def failing(self, table, columns, rows):
        calls.append(table)
        if table == "lines":
            raise RuntimeError("disk full")
        return original(self, table, columns, rows)

    monkeypatch.setattr(load_mod.Bulk, "insert", failing)
    rows = make_rows(6)
    rows[0]["status"] = "bogus"
    with pytest.raises(RuntimeError, match="disk full"):
        load_subscribers(write_csv(tmp_path / "s.csv", rows), url=db_url, progress=False)
    assert "persons" in calls
    assert counts(engine) == {"persons": 0, "lines": 0, "shops": 0, "clerks": 0, "cells": 0}
    quarantine = get_settings().home / "quarantine"
    assert not quarantine.exists() or not list(quarantine.iterdir()), "no quarantine file for a failed run"


def test_bulk_mode_restores_indexes(db_url, engine, tmp_path, monkeypatch):
    monkeypatch.setattr(load_mod, "BULK_MODE_MIN_ROWS", 0)
    before = {(t, i["name"]) for t in ("lines", "persons") for i in inspect(engine).get_indexes(t)}
    fks_before = {fk["name"] for fk in inspect(engine).get_foreign_keys("lines")}
    uniques_before = inspect(engine).get_unique_constraints("persons")
    result = load_subscribers(write_csv(tmp_path / "s.csv", make_rows(30)), url=db_url, progress=False)
    assert result.inserted == 30
    insp = inspect(engine)
    assert {(t, i["name"]) for t in ("lines", "persons") for i in insp.get_indexes(t)} == before
    assert {fk["name"] for fk in insp.get_foreign_keys("lines")} == fks_before
    assert insp.get_unique_constraints("persons") == uniques_before
    assert len(before) >= 3


def test_references_hold_and_foreign_keys_are_enforced_after_a_load(db_url, engine, tmp_path, monkeypatch):
    monkeypatch.setattr(load_mod, "BULK_MODE_MIN_ROWS", 0)
    rows = make_rows(30)
    load_subscribers(write_csv(tmp_path / "s.csv", rows), url=db_url, progress=False)
    rows[3]["shop_id"], rows[3]["clerk_id"] = "S-new", "C-new"  # new parents on the second, incremental load
    rows.extend(make_rows(4, start=100))
    second = load_subscribers(write_csv(tmp_path / "s2.csv", rows), url=db_url, progress=False)
    assert (second.inserted, second.updated, second.shops_new, second.clerks_new) == (4, 1, 1, 1)
    with engine.connect() as conn:
        orphans = conn.execute(text(
            "SELECT count(*) FROM lines l LEFT JOIN persons p ON p.id = l.person_id "
            "LEFT JOIN shops s ON s.shop_id = l.shop_id LEFT JOIN clerks c ON c.clerk_id = l.clerk_id "
            "WHERE p.id IS NULL OR s.shop_id IS NULL OR c.clerk_id IS NULL")).scalar()
        assert orphans == 0
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            # The load turned enforcement off on its own connection only for its transaction.
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        # Ids the load handed out itself are never handed out again by the database.
        new_id = conn.execute(text("INSERT INTO persons (id_hash, id_enc, id_masked) VALUES ('h', 'e', 'm') "
                                   "RETURNING id")).scalar()
        assert new_id > conn.execute(text("SELECT max(id) FROM persons WHERE id_hash <> 'h'")).scalar()
        with pytest.raises(Exception, match="(?i)foreign key"):
            conn.execute(text("INSERT INTO lines (msisdn, line_type, person_id, status) VALUES ('13999999999', "
                              "'mobile', 999999, 'active')"))


def test_backslashes_tabs_and_null_markers_are_stored_as_written(db_url, engine, tmp_path):
    rows = make_rows(4)
    rows[0]["occupation"], rows[0]["shop_id"] = "a\\b\tc", "\\N"  # PostgreSQL's COPY escape and NULL marker
    rows[2]["clerk_id"] = 'C"1,\\'
    load_subscribers(write_csv(tmp_path / "s.csv", rows), url=db_url, progress=False)
    with engine.connect() as conn:
        line = conn.execute(text("SELECT l.shop_id, p.occupation FROM lines l JOIN persons p ON p.id = l.person_id "
                                 "WHERE l.msisdn = :m"), {"m": rows[0]["msisdn"]}).one()
        assert tuple(line) == ("\\N", "a\\b\tc")
        assert conn.execute(text("SELECT clerk_id FROM lines WHERE msisdn = :m"), {"m": rows[2]["msisdn"]}).scalar() \
            == 'C"1,\\'


def test_process_pool_gives_the_same_result(db_url, engine, tmp_path):
    if not db_url.startswith("sqlite"):
        pytest.skip("the pool is backend-independent; once is enough")
    rows = make_rows(40)
    result = load_subscribers(write_csv(tmp_path / "s.csv", rows), url=db_url, progress=False, workers=2)
    assert result.inserted == 40 and result.persons_new == 20
    protector = Protector.from_settings(get_settings())
    with engine.connect() as conn:
        enc = conn.execute(text("SELECT id_enc FROM persons WHERE id_hash = :h"), {"h": protector.hash(rows[0]["id_no"])}).scalar()
    assert protector.decrypt(enc) == rows[0]["id_no"]


def test_cells_load_idempotent_with_quarantine(db_url, engine, tmp_path):
    path = tmp_path / "cells.csv"
    path.write_text("cell_id,lat,lon,region_code\nA1,29.84,114.32,421202\nA2,29.71,113.9,421281\n"
                    "A3,95,114,421202\nA4,29.7,114.1,999999\nA1,0,0,421202\n")
    first = load_cells(path, url=db_url, progress=False)
    assert (first.read, first.inserted, first.quarantined) == (5, 2, 3)
    assert (load_cells(path, url=db_url, progress=False).unchanged) == 2
    path.write_text("cell_id,lat,lon,region_code\nA1,29.85,114.32,421202\n")
    assert load_cells(path, url=db_url, progress=False).updated == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT lat FROM cells WHERE cell_id = 'A1'")).scalar() == pytest.approx(29.85)


def test_cli_load_prints_summary(db_url, tmp_path):
    from fanzha.cli import app

    path = write_csv(tmp_path / "s.csv", make_rows(6))
    res = CliRunner().invoke(app, ["load", "--subscribers", str(path), "--url", db_url])
    assert res.exit_code == 0, res.output
    assert "subscribers" in res.output and "persons: 3 new" in res.output


def test_cli_keys_id_number():
    from fanzha.cli import app

    runner = CliRunner()
    out = runner.invoke(app, ["keys", "generate"]).output
    assert "FANZHA_HASH_KEY=" in out and "FANZHA_DATA_KEY=" in out
    res = runner.invoke(app, ["id", "check", make_id("421202", date(1990, 3, 7), 1)])
    assert res.exit_code == 0 and "湖北省咸宁市咸安区" in res.output and "4212**********0017" in res.output
    res = runner.invoke(app, ["id", "check", "421202199003070011"])
    assert res.exit_code == 1 and "check character should be 7" in res.output
    res = runner.invoke(app, ["number", "info", "0715-8123456"])
    assert res.exit_code == 0 and "0715" in res.output and "咸宁" in res.output
