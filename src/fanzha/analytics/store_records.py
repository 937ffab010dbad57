"""One line's call records, read back from every Parquet store fanzha writes (for pages and reports).

fanzha keeps call records in two stores of the same layout (``fanzha.analytics.ingest``): ``<home>/store``, which
``fanzha ingest`` fills, and ``<home>/monitor/store``, which the 24×7 monitor fills as mediation files arrive
(``Settings.record_stores``). A case page, a trace report or a police query wants a line's records wherever they
were stored, each once: a record ingested into both stores (the same ``record_id`` of the same line) counts once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path


def record_globs(stores: Iterable[Path], kind: str = "cdr") -> list[str]:
    """The Parquet file patterns of ``kind`` in those stores that hold any file (missing stores are skipped)."""
    out = []
    for store in stores:
        folder = Path(store) / kind
        if folder.is_dir() and any(folder.rglob("*.parquet")):
            out.append(str(folder / "**" / "*.parquet"))
    return out


def load_line_records(con, stores: Iterable[Path], msisdns: Sequence[str], *, kind: str = "cdr",
                      table: str = "line_records") -> bool:
    """Create the TEMP table ``table`` on the DuckDB connection ``con`` with the records of ``msisdns``.

    Records are de-duplicated by (msisdn, record_id) across the stores. Returns False (and creates nothing) when
    no store holds any file of ``kind`` or no line is asked for."""
    globs = record_globs(stores, kind)
    if not globs or not msisdns:
        return False
    con.execute(
        f"CREATE TEMP TABLE {table} AS SELECT * EXCLUDE (dup) FROM (SELECT *, row_number() OVER "
        "(PARTITION BY msisdn, record_id) AS dup FROM read_parquet(?, hive_partitioning = true, union_by_name = true) "
        "WHERE msisdn IN (SELECT unnest(?))) WHERE dup = 1",
        [globs, list(msisdns)],
    )  # fmt: skip
    return True
