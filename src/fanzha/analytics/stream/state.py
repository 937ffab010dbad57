"""The monitor's state: hourly bucket fragments in one DuckDB file, with the watermark, the lines
touched since the last scoring pass (``dirty``) and the store parts already applied.

Exactly-once, and how: ingest publishes each stored record once, in an immutable Parquet part
(analytics.ingest); :meth:`StateStore.apply_parts` adds a part's records to the buckets *and* records
the part as applied in one DuckDB transaction. A crash before the commit leaves neither; a restart
applies the part again from scratch. So every stored record is counted exactly once.

Late data: a record older than ``watermark - lateness`` (event time) is stored by ingest but not
added to the buckets (it is counted as late); buckets older than the window plus the lateness bound
are dropped, so the state stays the size of one window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from fanzha.analytics.engines.duckdb import DuckDBEngine
from fanzha.analytics.stream.buckets import (BLOCK_S, DAY, HISTORY_S, HISTORY_TABLES, HOUR, TABLES, compact_sql,
                                             fragment_sql)

PAIR_HISTORY_S = 30 * DAY


def _lit(s: str | Path) -> str:
    return "'" + str(s).replace("'", "''") + "'"


@dataclass
class Applied:
    parts: int = 0
    rows: int = 0
    late: int = 0
    watermark: int | None = None


class StateStore:
    def __init__(self, path: Path, *, lateness_s: int = 2 * HOUR, window_s: int = DAY, threads: int | None = None,
                 memory_limit: str | None = None) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.lateness_s = int(lateness_s)
        self.window_s = int(window_s)
        self.engine = DuckDBEngine(database=str(path), threads=threads, memory_limit=memory_limit)
        self.con = self.engine.con
        self.owner = True  # a reader (see :meth:`reader`) shares the database and does not close it
        # Checkpoint when compacting (evict_and_compact), not whenever the WAL passes 16 MB: an automatic
        # checkpoint inside a commit rewrites the growing tables and made each file's commit slower.
        self.con.execute("SET checkpoint_threshold = '1GB'")
        self.con.execute("SET enable_progress_bar = false")  # a service: no bars in its log
        self.parts_since_compaction = 0
        self.merged_share: float | None = None  # share of fragment rows the last compaction merged away
        for name, cols in TABLES.items():
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
        for name, (cols, _) in HISTORY_TABLES.items():
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
        # The cells file (contract) for positions and regions; set_cells replaces it.
        self.con.execute("CREATE TABLE IF NOT EXISTS cells (cell_id VARCHAR, lat DOUBLE, lon DOUBLE, region_code VARCHAR)")
        # No primary keys on the hot tables: DuckDB's index upkeep on every insert and delete cost more than
        # the rare duplicate (pair_first is compacted with the buckets; dirty is read with IN).
        self.con.execute("CREATE TABLE IF NOT EXISTS pair_first (msisdn VARCHAR, peer VARCHAR, first_ts BIGINT)")
        # dirty.seq: the apply_parts transaction that touched the line, so a scoring pass running beside
        # the applying thread clears exactly what it scored (lines touched later stay dirty)
        self.con.execute("CREATE TABLE IF NOT EXISTS dirty (msisdn VARCHAR, seq BIGINT)")
        self.con.execute("ALTER TABLE dirty ADD COLUMN IF NOT EXISTS seq BIGINT")
        self.con.execute("CREATE TABLE IF NOT EXISTS applied_parts (path VARCHAR PRIMARY KEY, kind VARCHAR, "
                         "rows BIGINT, late BIGINT, applied_at TIMESTAMPTZ, min_ts BIGINT, max_ts BIGINT)")
        # state files of earlier versions: the event-time range of a part came later (dedup scope)
        self.con.execute("ALTER TABLE applied_parts ADD COLUMN IF NOT EXISTS min_ts BIGINT")
        self.con.execute("ALTER TABLE applied_parts ADD COLUMN IF NOT EXISTS max_ts BIGINT")
        self.con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value BIGINT)")

    def reader(self) -> StateStore:
        """The same state through a second DuckDB connection (its own temp tables and transactions): the
        scoring thread reads with it while the applying thread writes with this one."""
        other = object.__new__(StateStore)
        other.__dict__.update(self.__dict__)
        other.con = self.con.cursor()
        other.con.execute("SET TimeZone='UTC'")
        other.con.execute("SET enable_progress_bar = false")
        other.engine = DuckDBEngine.wrap(other.con)
        other.owner = False
        return other

    def set_cells(self, path: Path | None) -> int:
        """Load the contract cells file (CSV or Parquet) as table ``cells``; returns the number of cells."""
        if path is None:
            return int(self.con.execute("SELECT COUNT(*) FROM cells").fetchall()[0][0])
        path = Path(path)
        reader = (f"read_parquet({_lit(path)})" if path.suffix == ".parquet"
                  else f"read_csv({_lit(path)}, header=true, all_varchar=true)")
        self.con.execute(f"""CREATE OR REPLACE TABLE cells AS
            SELECT DISTINCT ON (cell_id) CAST(cell_id AS VARCHAR) AS cell_id, TRY_CAST(lat AS DOUBLE) AS lat,
                   TRY_CAST(lon AS DOUBLE) AS lon, CAST(region_code AS VARCHAR) AS region_code
            FROM {reader} WHERE cell_id IS NOT NULL""")
        return int(self.con.execute("SELECT COUNT(*) FROM cells").fetchall()[0][0])

    # ---- watermark -------------------------------------------------------------------------------
    def meta(self, key: str) -> int | None:
        rows = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
        return int(rows[0][0]) if rows else None

    def _set_meta(self, key: str, value: int) -> None:
        self.con.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                         [key, int(value)])

    @property
    def watermark(self) -> int | None:
        """Latest event time seen (epoch s)."""
        return self.meta("watermark")

    def window(self) -> tuple[int, int] | None:
        """(lo, hi] of the current window: the clock hours up to the one holding the watermark."""
        wm = self.watermark
        if wm is None:
            return None
        hi = (wm // HOUR + 1) * HOUR
        return hi - self.window_s, hi

    # ---- applying parts -------------------------------------------------------------------------
    def applied(self, paths: list[str]) -> set[str]:
        if not paths:
            return set()
        self.con.register("_paths", _paths_table(paths))
        return {r[0] for r in self.con.execute("SELECT path FROM applied_parts WHERE path IN (SELECT p FROM _paths)").fetchall()}

    def apply_parts(self, parts: list[tuple[str, Path]]) -> Applied:
        """Add the records of store parts (kind, path) to the buckets, once each, in one transaction."""
        out = Applied()
        todo = [(k, str(p)) for k, p in parts]
        done = self.applied([p for _, p in todo])
        todo = [(k, p) for k, p in todo if p not in done]
        if not todo:
            out.watermark = self.watermark
            return out
        wm = self.watermark
        floor = (wm - self.lateness_s) if wm is not None else None
        seq = (self.meta("apply_seq") or 0) + 1
        self.con.execute("BEGIN TRANSACTION")
        try:
            top = wm
            for kind, path in todo:
                self.con.execute(f"CREATE OR REPLACE TEMP VIEW _part AS SELECT * FROM read_parquet({_lit(path)})")
                n, lo, hi = self.con.execute("SELECT COUNT(*), MIN(ts), MAX(ts) FROM _part").fetchall()[0]
                keep = f"ts >= {floor}" if floor is not None else "true"
                self.con.execute(f"CREATE OR REPLACE TEMP TABLE _src AS SELECT * FROM _part WHERE {keep}")
                kept, low = self.con.execute("SELECT COUNT(*), MIN(ts) FROM _src").fetchall()[0]
                if low is not None:
                    touched = self.meta("touched_from")
                    hour = (int(low) // HOUR) * HOUR
                    if touched is None or hour < touched:
                        self._set_meta("touched_from", hour)
                for table in (*TABLES, *HISTORY_TABLES):
                    sql = fragment_sql(table, kind, "_src")
                    if sql:
                        self.con.execute(f"INSERT INTO {table} {sql}")
                if kind == "cdr":
                    self.con.execute("INSERT INTO pair_first SELECT msisdn, peer, MIN(ts) FROM _src GROUP BY msisdn, peer")
                self.con.execute(f"INSERT INTO dirty SELECT DISTINCT msisdn, {seq} FROM _src")
                self.con.execute("INSERT INTO applied_parts (path, kind, rows, late, applied_at, min_ts, max_ts) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 [path, kind, int(n), int(n - kept), dt.datetime.now(dt.UTC), lo, hi])
                out.parts += 1
                out.rows += int(n)
                out.late += int(n - kept)
                if hi is not None and (top is None or hi > top):
                    top = int(hi)
            if top is not None:
                self._set_meta("watermark", top)
            self._set_meta("apply_seq", seq)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("DROP TABLE IF EXISTS _src")
        out.watermark = self.watermark
        self.parts_since_compaction += out.parts
        return out

    def parts_overlapping(self, kind: str, lo: int, hi: int) -> list[str]:
        """Applied parts of ``kind`` that hold records with event time in [lo, hi] (or whose range is unknown)."""
        rows = self.con.execute(
            "SELECT path FROM applied_parts WHERE kind = ? AND (min_ts IS NULL OR (min_ts <= ? AND max_ts >= ?))",
            [kind, int(hi), int(lo)]).fetchall()
        return [r[0] for r in rows]

    # ---- scoring bookkeeping ----------------------------------------------------------------------
    @property
    def apply_seq(self) -> int:
        """The last committed apply_parts transaction (a scoring pass scores the lines dirty up to it)."""
        return self.meta("apply_seq") or 0

    def dirty_count(self, upto: int | None = None) -> int:
        where = f"WHERE COALESCE(seq, 0) <= {int(upto)}" if upto is not None else ""
        return int(self.con.execute(f"SELECT COUNT(*) FROM dirty {where}").fetchall()[0][0])

    def clear_dirty(self, upto: int | None = None) -> None:
        """Lines scored: those dirty up to apply transaction ``upto`` (all if None)."""
        where = f"WHERE COALESCE(seq, 0) <= {int(upto)}" if upto is not None else ""
        self.con.execute(f"DELETE FROM dirty {where}")

    # ---- upkeep -------------------------------------------------------------------------------------
    def evict_and_compact(self, *, compact: bool = True) -> dict[str, int]:
        """Drop buckets that left the window (plus the lateness bound); with ``compact``, merge the
        fragments per bucket key of the hours that received records since the last compaction (older
        hours were merged then and, beyond the lateness bound, get no more records). Returns table sizes."""
        wm = self.watermark
        sizes: dict[str, int] = {}
        if wm is None:
            return sizes
        oldest = (wm // HOUR) * HOUR - self.window_s - self.lateness_s - HOUR
        touched = self.meta("touched_from")
        before = after = 0
        self.con.execute("BEGIN TRANSACTION")
        try:
            # (table, time column, its step, oldest kept, counted in merged_share): the window tables, then the
            # history tables kept a week and a day
            kept_from = (wm // HOUR) * HOUR - HISTORY_S
            plan = [(t, "hour_ts", HOUR, oldest, True) for t in TABLES] + [
                (t, col, BLOCK_S if col == "block_ts" else HOUR, kept_from, False) for t, (_, col) in HISTORY_TABLES.items()]
            for table, col, step, cutoff, counted in plan:
                self.con.execute(f"DELETE FROM {table} WHERE {col} < {int(cutoff)}")
                if compact and touched is not None:
                    recent = f"{col} >= {(int(touched) // step) * step}"
                    self.con.execute(f"CREATE OR REPLACE TEMP TABLE _compact AS {compact_sql(table, recent)}")
                    if counted:
                        before += self.con.execute(f"SELECT COUNT(*) FROM {table} WHERE {recent}").fetchall()[0][0]
                        after += self.con.execute("SELECT COUNT(*) FROM _compact").fetchall()[0][0]
                    self.con.execute(f"DELETE FROM {table} WHERE {recent}")
                    self.con.execute(f"INSERT INTO {table} SELECT * FROM _compact")
                sizes[table] = int(self.con.execute(f"SELECT COUNT(*) FROM {table}").fetchall()[0][0])
            if compact:
                self.con.execute(f"""CREATE OR REPLACE TEMP TABLE _compact AS SELECT msisdn, peer, MIN(first_ts) AS first_ts
                    FROM pair_first GROUP BY msisdn, peer HAVING MIN(first_ts) >= {int(wm - PAIR_HISTORY_S)}""")
                self.con.execute("DELETE FROM pair_first")
                self.con.execute("INSERT INTO pair_first SELECT * FROM _compact")
                self.con.execute("DELETE FROM meta WHERE key = 'touched_from'")
            else:
                self.con.execute(f"DELETE FROM pair_first WHERE first_ts < {int(wm - PAIR_HISTORY_S)}")
            sizes["pair_first"] = int(self.con.execute("SELECT COUNT(*) FROM pair_first").fetchall()[0][0])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("DROP TABLE IF EXISTS _compact")
        self.con.execute("CHECKPOINT")
        self.parts_since_compaction = 0
        if compact and before:
            self.merged_share = 1 - after / before
        return sizes

    def close(self) -> None:
        if self.owner:
            self.engine.close()
        else:
            self.con.close()


def _paths_table(paths: list[str]):
    import pyarrow as pa

    return pa.table({"p": pa.array(paths, pa.string())})
