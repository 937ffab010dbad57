"""Where the graph gets its DuckDB connection and contract inputs.

Kept small on purpose: once the analytics engine (analytics/engines, inputs.register_inputs) is on main,
`connect()` and `register()` are replaced by it and the SQL in edges.py runs unchanged.
"""

from __future__ import annotations

from pathlib import Path

import duckdb


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    # Times without an offset are China Standard Time (data contract); also how times print back.
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    return con


def _files(path: Path) -> tuple[str, list[str]]:
    if path.is_dir():
        pq = sorted(str(p) for p in path.rglob("*.parquet"))
        if pq:
            return "parquet", pq
        csv = sorted(str(p) for p in path.rglob("*.csv"))
        if not csv:
            raise FileNotFoundError(f"no CSV or Parquet files in {path}")
        return "csv", csv
    if not path.exists():
        raise FileNotFoundError(path)
    return ("parquet" if path.suffix.lower() == ".parquet" else "csv"), [str(path)]


def register(con: duckdb.DuckDBPyConnection, name: str, path: str | Path) -> None:
    """A contract input (file, or folder of CSV/Parquet files) as view `name`; CSV columns read as text."""
    kind, files = _files(Path(path))
    lst = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    if kind == "parquet":
        src = f"read_parquet({lst}, union_by_name = true, hive_partitioning = false)"
    else:
        src = f"read_csv({lst}, header = true, all_varchar = true, union_by_name = true)"
    con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {src}")
