"""Call-record files (CSV/Parquet, file or folder) → a Parquet store partitioned by day.

Store layout::

    STORE/cdr/day=2026-05-03/part-<run>-<i>.parquet     voice CDRs (schema.CDR.stored_columns)
    STORE/sms/day=.../...                               SMS records
    STORE/_ledger.jsonl                                 one line per ingested file (sha256, kind, rows)
    STORE/_runs/<run>/summary.json, quarantine_<kind>.csv

Guarantees, and how:
- bad rows never stop a run and are never dropped: each goes to ``quarantine_<kind>.csv`` with its
  reason, and is counted in the summary; good rows of the same file are stored;
- a ``record_id`` is stored once: duplicates within the run and against the store are dropped;
- the same file twice (by content hash) is a no-op, thanks to the ledger;
- an interrupted run leaves no partial partition file: Parquet files are written to
  ``STORE/_staging`` and then renamed into place one by one (rename is atomic); the ledger is
  written last, so a rerun re-reads the files and the record_id de-duplication against what was
  already published makes it complete the store exactly.
Validation runs as one vectorised DuckDB query per file (schema.validation_sql).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from fanzha.analytics.schema import KINDS, Kind, validation_sql

DATA_SUFFIXES = (".csv", ".csv.gz", ".parquet")


@dataclass
class KindSummary:
    files_read: int = 0
    files_skipped: int = 0  # already in the ledger (same content)
    rows_read: int = 0
    rows_stored: int = 0
    duplicates: int = 0  # valid rows whose record_id was already seen (this run or stored before)
    quarantined: dict[str, int] = field(default_factory=dict)
    file_errors: list[str] = field(default_factory=list)

    @property
    def rows_quarantined(self) -> int:
        return sum(self.quarantined.values())


@dataclass
class RunSummary:
    run_id: str
    store: str
    kinds: dict[str, KindSummary]
    seconds: float = 0.0
    quarantine_files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        for name, ks in self.kinds.items():
            d["kinds"][name]["rows_quarantined"] = ks.rows_quarantined
        return d


DedupScope = Callable[[str, int, int], "Iterable[Path | str]"]


def list_data_files(path: Path) -> list[Path]:
    """PATH is a file or a folder (searched recursively) of CSV / Parquet files."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"no such file or folder: {path}")
    return sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(DATA_SUFFIXES))


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _sql_str(s: str | Path) -> str:
    return "'" + str(s).replace("'", "''") + "'"


class Ledger:
    """Append-only record of ingested files, keyed by (kind, content hash)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: set[tuple[str, str]] = set()
        if path.is_file():
            for line in path.read_text().splitlines():
                if line.strip():
                    entry = json.loads(line)
                    self.seen.add((entry["kind"], entry["sha256"]))

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self.seen

    def append(self, entries: Iterable[dict]) -> None:
        lines = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries)
        if not lines:
            return
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(lines)
            fh.flush()
            os.fsync(fh.fileno())
        for e in entries:
            self.seen.add((e["kind"], e["sha256"]))


def _raw_relation(con: duckdb.DuckDBPyConnection, path: Path, kind: Kind) -> str:
    """Make ``raw`` (all VARCHAR, contract columns, ``_src_row``) over the file; return its name.

    Parquet: a view (``_src_row`` is the file's own row number, so nothing is copied before
    validation); CSV: a temp table, because the reader's rejects are collected while it is read.
    """
    _drop(con, "raw")
    con.execute("DROP TABLE IF EXISTS reject_errors")
    con.execute("DROP TABLE IF EXISTS reject_scans")
    name = path.name.lower()
    parquet = name.endswith(".parquet")
    if parquet:
        src = f"read_parquet({_sql_str(path)}, file_row_number=true)"
    else:
        # all_varchar: a bad value must become a quarantined row, not a failed read;
        # store_rejects keeps lines with too many columns (reason malformed_line).
        src = (
            f"read_csv({_sql_str(path)}, all_varchar=true, header=true, null_padding=true, "
            "store_rejects=true)"
        )
    present = {r[0].lower(): r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
    cols = []
    for c in kind.columns:
        cols.append(f'CAST("{present[c]}" AS VARCHAR) AS {c}' if c in present else f"CAST(NULL AS VARCHAR) AS {c}")
    if parquet:
        row = f'"{present["file_row_number"]}" + 1' if "file_row_number" in present else "row_number() OVER ()"
        con.execute(f"CREATE TEMP VIEW raw AS SELECT {', '.join(cols)}, {row} AS _src_row FROM {src}")
    else:
        con.execute(f"CREATE TEMP TABLE raw AS SELECT {', '.join(cols)}, row_number() OVER () AS _src_row FROM {src}")
    return "raw"


def _drop(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop table or view ``name`` if it exists (DuckDB's DROP names the kind of object)."""
    for kind in con.execute(
        "SELECT 'TABLE' FROM duckdb_tables() WHERE table_name = $1 UNION ALL "
        "SELECT 'VIEW' FROM duckdb_views() WHERE view_name = $1 AND NOT internal", [name]
    ).fetchall():
        con.execute(f"DROP {kind[0]} {name}")


def _rejected_lines(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, str]]:
    try:
        return con.execute("SELECT line, csv_line, error_type FROM reject_errors ORDER BY line").fetchall()
    except duckdb.CatalogException:
        return []


def ingest(
    *,
    store: Path,
    cdr: Path | None = None,
    sms: Path | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    on_publish: Callable[[Path], None] | None = None,
    dedup_scope: DedupScope | None = None,
) -> RunSummary:
    """Ingest CDR and/or SMS files into ``store``; return the run summary (also written to disk).

    ``progress(label, done, total)`` is called per file; ``on_publish(path)`` after each Parquet file
    is renamed into the store (tests use it to interrupt a run half-way).

    ``dedup_scope(kind, lo, hi)``: the store parts that may hold a record with event time in
    ``[lo, hi]`` (the new valid rows' range). New rows are compared with those parts only instead of the
    whole store; exact, because a repeated record carries its own start time. The monitor passes it
    (its part index), so a new file costs its own rows, not the size of the store.
    """
    started = dt.datetime.now(dt.UTC)
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)
    run_id = started.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    run_dir = store / "_runs" / run_id
    staging_root = store / "_staging"
    inputs = {name: p for name, p in (("cdr", cdr), ("sms", sms)) if p is not None}
    summary = RunSummary(run_id=run_id, store=str(store), kinds={k: KindSummary() for k in inputs})

    lock = open(store / ".lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)  # one ingest per store at a time
    try:
        # Leftovers of an interrupted run were never published; the rerun rebuilds them.
        shutil.rmtree(staging_root, ignore_errors=True)
        ledger = Ledger(store / "_ledger.jsonl")
        con = duckdb.connect()
        con.execute("SET TimeZone='UTC'")
        tmp = store / "_tmp"
        tmp.mkdir(exist_ok=True)
        con.execute(f"SET temp_directory={_sql_str(tmp)}")
        ledger_entries: list[dict] = []
        for kind_name, path in inputs.items():
            kind = KINDS[kind_name]
            ks = summary.kinds[kind_name]
            files = list_data_files(path)
            entries = _ingest_kind(
                con, kind=kind, files=files, store=store, run_id=run_id, run_dir=run_dir,
                staging=staging_root / kind_name, ledger=ledger, ks=ks, summary=summary,
                progress=progress, on_publish=on_publish, dedup_scope=dedup_scope,
            )
            ledger_entries.extend(entries)
        con.close()
        ledger.append(ledger_entries)
        shutil.rmtree(staging_root, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
        summary.seconds = round((dt.datetime.now(dt.UTC) - started).total_seconds(), 3)
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "summary.json").write_text(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
    return summary


def _ingest_kind(
    con, *, kind: Kind, files, store, run_id, run_dir, staging, ledger, ks, summary, progress, on_publish,
    dedup_scope: DedupScope | None = None,
) -> list[dict]:
    good_cols = ", ".join(kind.columns + ("ts", "day"))
    entries: list[dict] = []
    quarantine = run_dir / f"quarantine_{kind.name}.csv"
    qcount: Counter[str] = Counter()
    seen_now: set[str] = set()
    good_parts: list[str] = []  # the valid rows of each file, left where validation put them
    for i, f in enumerate(files):
        if progress:
            progress(f"{kind.name}: {f.name}", i, len(files))
        digest = _sha256(f)
        if (kind.name, digest) in ledger or digest in seen_now:
            ks.files_skipped += 1
            continue
        seen_now.add(digest)
        try:
            _raw_relation(con, f, kind)
            checked = f"checked_{i}"
            _drop(con, checked)
            con.execute(f"CREATE TEMP TABLE {checked} AS {validation_sql(kind, 'raw')}")
        except duckdb.Error as exc:  # unreadable file: reported, never stops the run
            ks.file_errors.append(f"{f}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            continue
        ks.files_read += 1
        n_raw = con.execute(f"SELECT count(*) FROM {checked}").fetchone()[0]
        rejects = _rejected_lines(con)
        ks.rows_read += n_raw + len(rejects)
        bad = dict(con.execute(f"SELECT reason, count(*) FROM {checked} WHERE reason IS NOT NULL GROUP BY 1").fetchall())
        if bad or rejects:
            run_dir.mkdir(parents=True, exist_ok=True)
            _write_quarantine(con, kind, f, quarantine, rejects, checked)
        for r, n in bad.items():
            qcount[r] += n
        if rejects:
            qcount["malformed_line"] += len(rejects)
        good_parts.append(f"SELECT {good_cols}, {i} AS _file_idx, _src_row FROM {checked} WHERE reason IS NULL")
        n_rows = n_raw + len(rejects)
        entries.append({
            "kind": kind.name, "sha256": digest, "path": str(f.resolve()), "size": f.stat().st_size,
            "rows": n_rows, "run_id": run_id, "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        })
    _drop(con, "raw")
    ks.quarantined = dict(sorted(qcount.items()))
    if quarantine.exists():
        summary.quarantine_files.append(str(quarantine))
    if progress:
        progress(f"{kind.name}: writing store", len(files), len(files))
    if not good_parts:  # nothing new to store
        return entries
    con.execute(f"CREATE OR REPLACE TEMP VIEW good AS {' UNION ALL '.join(good_parts)}")
    n_good = con.execute("SELECT count(*) FROM good").fetchone()[0]
    anti = ""
    if dedup_scope is not None:
        lo, hi = con.execute("SELECT MIN(ts), MAX(ts) FROM good").fetchone()
        scope = [Path(p) for p in dedup_scope(kind.name, lo, hi)] if lo is not None else []
        if scope:
            anti = ("AND record_id NOT IN (SELECT record_id FROM read_parquet(["
                    + ", ".join(_sql_str(p) for p in scope) + "]))")
    elif any((store / kind.name).glob("day=*/*.parquet")):
        glob = _sql_str(store / kind.name / "day=*" / "*.parquet")
        anti = f"AND record_id NOT IN (SELECT record_id FROM read_parquet({glob}))"
    # First occurrence (file order, then row order) of each record_id wins. Repeated ids are found
    # with one hash aggregate; only their rows go through the ordered pass.
    con.execute("CREATE OR REPLACE TEMP TABLE dup_ids AS SELECT record_id FROM good GROUP BY record_id HAVING count(*) > 1")
    fresh = f"""SELECT {good_cols} FROM good WHERE record_id NOT IN (SELECT record_id FROM dup_ids) {anti}
        UNION ALL
        SELECT {good_cols} FROM good WHERE record_id IN (SELECT record_id FROM dup_ids) {anti}
        QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY _file_idx, _src_row) = 1"""
    n_fresh = 0
    if n_good:
        staging.mkdir(parents=True, exist_ok=True)
        cols = ", ".join(kind.stored_columns + ("day",))
        n_fresh = con.execute(
            f"COPY (SELECT {cols} FROM ({fresh}) x) TO {_sql_str(staging)} "
            f"(FORMAT PARQUET, PARTITION_BY (day), FILENAME_PATTERN 'part-{run_id}-{{i}}', OVERWRITE_OR_IGNORE)"
        ).fetchone()[0]
        if n_fresh:
            _publish(staging, store / kind.name, on_publish)
    ks.duplicates = n_good - n_fresh
    ks.rows_stored = n_fresh
    con.execute("DROP VIEW IF EXISTS good")
    con.execute("DROP TABLE IF EXISTS dup_ids")
    for i in range(len(files)):
        _drop(con, f"checked_{i}")
    return entries


def _publish(staging: Path, target: Path, on_publish: Callable[[Path], None] | None) -> None:
    """Move each staged file into place with an atomic rename (same filesystem)."""
    for part in sorted(staging.glob("day=*/*.parquet")):
        dest_dir = target / part.parent.name
        dest_dir.mkdir(parents=True, exist_ok=True)
        dest = dest_dir / part.name
        os.replace(part, dest)
        if on_publish:
            on_publish(dest)


def _write_quarantine(con, kind: Kind, source: Path, out: Path, rejects, checked: str) -> None:
    """Append the file's bad rows (original text + reason) to the run's quarantine CSV."""
    import csv

    rows = con.execute(
        f"""SELECT c.reason, r._src_row, {', '.join('r.' + c for c in kind.columns)}
        FROM {checked} c JOIN raw r USING (_src_row) WHERE c.reason IS NOT NULL ORDER BY r._src_row"""
    ).fetchall()
    new = not out.exists()
    with open(out, "a", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(["source_file", "source_row", "reason", *kind.columns, "raw_line"])
        for reason, src_row, *vals in rows:
            w.writerow([str(source), src_row, reason, *["" if v is None else v for v in vals], ""])
        for line, csv_line, err in rejects:
            w.writerow([str(source), f"line {line}", "malformed_line", *[""] * len(kind.columns), csv_line])
