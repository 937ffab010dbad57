"""Engines run the analytics SQL: DuckDB embedded (default) or Apache Spark (scale-out).

Feature logic is written once, as DuckDB-dialect SQL built by pure functions; an engine registers
tables and runs that SQL (Spark transpiles it with sqlglot first). Nothing starts at import.
"""

from __future__ import annotations

from fanzha.analytics.engines.base import Engine


def get_engine(name: str = "duckdb", **kwargs) -> Engine:
    """``duckdb`` (default) or ``spark``; kwargs go to the engine's constructor."""
    if name == "duckdb":
        from fanzha.analytics.engines.duckdb import DuckDBEngine

        return DuckDBEngine(**kwargs)
    if name == "spark":
        from fanzha.analytics.engines.spark import SparkEngine

        return SparkEngine(**kwargs)
    raise ValueError(f"unknown engine {name!r}: use 'duckdb' or 'spark'")


__all__ = ["Engine", "get_engine"]
