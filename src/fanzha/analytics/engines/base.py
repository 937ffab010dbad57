"""The small interface every engine implements (the splink pattern: pure SQL builders + a few hooks)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import pandas as pd
import pyarrow as pa


class Engine(ABC):
    """Register tables by name, run DuckDB-dialect SQL, get Arrow back."""

    name: str = "engine"

    @abstractmethod
    def register_parquet(self, name: str, path: str | Path, *, hive: bool = True) -> None:
        """Expose Parquet file(s) — a file, folder or glob — as table ``name``."""

    @abstractmethod
    def register_csv(self, name: str, path: str | Path) -> None:
        """Expose a CSV file (header row, contract column names, all columns read as text) as ``name``."""

    @abstractmethod
    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Expose an in-memory Arrow table as ``name``."""

    @abstractmethod
    def sql(self, query: str) -> pa.Table:
        """Run a DuckDB-dialect SELECT and return the result as an Arrow table."""

    @abstractmethod
    def create_view(self, name: str, query: str) -> None:
        """Make the DuckDB-dialect SELECT ``query`` available as view ``name``."""

    @abstractmethod
    def has_table(self, name: str) -> bool: ...

    @abstractmethod
    def version(self) -> str: ...

    def register_file(self, name: str, path: str | Path) -> None:
        """A contract input (``NAME.csv``, ``NAME.parquet`` or a folder of either) as table ``name``."""
        p = Path(path)
        if p.is_dir():
            files = sorted(p.rglob("*.parquet"))
            if files:
                self.register_parquet(name, p, hive=False)
                return
            csvs = sorted(p.rglob("*.csv"))
            if not csvs:
                raise FileNotFoundError(f"no CSV or Parquet files in {p}")
            self.register_csv(name, csvs)
            return
        if p.suffix.lower() == ".parquet":
            self.register_parquet(name, p, hive=False)
        else:
            self.register_csv(name, p)

    def df(self, query: str) -> pd.DataFrame:
        # self_destruct frees each Arrow column as it is converted: the result is not held twice.
        return self.sql(query).to_pandas(self_destruct=True, split_blocks=True)

    def close(self) -> None:  # noqa: B027 - optional hook
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
