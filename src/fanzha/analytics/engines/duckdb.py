"""DuckDB engine: embedded, the default."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa

from fanzha.analytics.engines.base import Engine


def _lit(s: str | Path) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _files_lit(path) -> str:
    if isinstance(path, (list, tuple)):
        return "[" + ", ".join(_lit(p) for p in path) + "]"
    p = Path(path)
    if p.is_dir():
        return _lit(p / "**" / "*.parquet")
    return _lit(p)


class DuckDBEngine(Engine):
    name = "duckdb"

    def __init__(self, *, database: str = ":memory:", threads: int | None = None, memory_limit: str | None = None):
        self.con = duckdb.connect(database)
        # Features use epoch seconds (ts), but UTC keeps any timestamp rendering unambiguous.
        self.con.execute("SET TimeZone='UTC'")
        if threads:
            self.con.execute(f"SET threads={int(threads)}")
        if memory_limit is None:
            from fanzha.config import get_settings

            memory_limit = get_settings().duckdb_memory_limit
        if memory_limit:
            self.con.execute(f"SET memory_limit={_lit(memory_limit)}")
            # Spilled data goes to the system temp folder, not next to the working directory.
            spill = Path(tempfile.gettempdir()) / "fanzha-duckdb"
            spill.mkdir(exist_ok=True)
            self.con.execute(f"SET temp_directory={_lit(spill)}")
        self._arrow: dict[str, pa.Table] = {}

    @classmethod
    def wrap(cls, con: duckdb.DuckDBPyConnection) -> DuckDBEngine:
        """An engine over an existing connection (e.g. a cursor: a second connection to one database)."""
        engine = object.__new__(cls)
        engine.con = con
        engine._arrow = {}
        return engine

    def register_parquet(self, name, path, *, hive=True):
        self.con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet({_files_lit(path)}, "
            f"hive_partitioning={'true' if hive else 'false'})"
        )

    def register_csv(self, name, path):
        self.con.execute(
            f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_csv({_files_lit(path)}, header=true, all_varchar=true)"
        )

    def register_arrow(self, name, table):
        self._arrow[name] = table  # keep a reference: DuckDB scans it lazily
        self.con.register(f"__arrow_{name}", table)
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM __arrow_{name}")

    def sql(self, query):
        # Streamed out in batches: the result is not also held inside DuckDB's memory_limit.
        return self.con.sql(query).to_arrow_reader(1 << 20).read_all()

    def create_view(self, name, query):
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS {query}")

    def has_table(self, name):
        q = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
        return self.con.execute(q, [name]).fetchone()[0] > 0

    def version(self):
        return f"DuckDB {duckdb.__version__}"

    def close(self):
        self.con.close()
