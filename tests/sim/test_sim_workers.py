"""`fanzha sim` on several worker processes: the same files as on one, byte for byte."""

from __future__ import annotations

import hashlib

import pyarrow.csv as pcsv
import pyarrow.compute as pc

from fanzha.sim import generate, simulate


def _digests(folder):
    return {str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(folder.rglob("*")) if f.is_file()}


def test_files_do_not_depend_on_the_number_of_workers(tmp_path, monkeypatch):
    # Small chunks, so that each day is made of several pieces spread over the workers.
    monkeypatch.setattr(generate, "CHUNK_LINES", 400)
    one = simulate(lines=900, days=3, seed=3, out=tmp_path / "one", workers=1)
    two = simulate(lines=900, days=3, seed=3, out=tmp_path / "two", workers=2)
    assert (one["workers"], two["workers"]) == (1, 2)
    assert one["cdr"] == two["cdr"] > 0 and one["sms"] == two["sms"] > 0
    files = _digests(tmp_path / "one")
    assert len([f for f in files if f.startswith("cdr/")]) == 3
    assert files == _digests(tmp_path / "two")
    # The workers' part files are gone; record ids are distinct across the chunks of a day.
    assert not (tmp_path / "two" / ".parts").exists()
    day = pcsv.read_csv(tmp_path / "two" / "cdr" / "2026-11-02.csv")
    assert day.num_rows > 0
    assert pc.count_distinct(day.column("record_id")).as_py() == day.num_rows
    assert two["seconds_cpu_stream"] > 0
