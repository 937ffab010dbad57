"""Spark engine: the same DuckDB-dialect SQL, transpiled with sqlglot, for clusters.

No JVM starts until the first query or registration. The master URL comes from the argument,
else ``FANZHA_SPARK_MASTER`` (default ``local[2]``); on a cluster, submit a driver script with
``spark-submit --master yarn|k8s://...|spark://host:7077`` and pass the session it creates
(``SparkEngine(spark=SparkSession.builder.getOrCreate())``), or set ``FANZHA_SPARK_MASTER``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pyarrow as pa

from fanzha.analytics.engines.base import Engine


@lru_cache(maxsize=256)
def to_spark_sql(query: str) -> str:
    """DuckDB dialect → Spark SQL (cached: feature queries repeat)."""
    import sqlglot

    return sqlglot.transpile(query, read="duckdb", write="spark")[0]


class SparkEngine(Engine):
    name = "spark"

    def __init__(self, *, spark=None, master: str | None = None, app_name: str = "fanzha", conf: dict | None = None):
        self._spark = spark
        self._master = master
        self._app_name = app_name
        self._conf = conf or {}

    @property
    def spark(self):
        if self._spark is None:
            from pyspark.sql import SparkSession

            from fanzha.config import get_settings

            builder = SparkSession.builder.master(self._master or get_settings().spark_master).appName(self._app_name)
            defaults = {
                # Features use epoch seconds; UTC keeps any timestamp rendering identical to DuckDB's.
                "spark.sql.session.timeZone": "UTC",
                "spark.sql.execution.arrow.pyspark.enabled": "true",
                "spark.ui.enabled": "false",
            }
            for k, v in {**defaults, **self._conf}.items():
                builder = builder.config(k, v)
            self._spark = builder.getOrCreate()
        return self._spark

    def _paths(self, path) -> list[str]:
        if isinstance(path, (list, tuple)):
            return [str(p) for p in path]
        return [str(path)]

    def register_parquet(self, name, path, *, hive=True):
        p = Path(path) if not isinstance(path, (list, tuple)) else None
        reader = self.spark.read
        if p is not None and p.is_dir() and not hive:
            reader = reader.option("recursiveFileLookup", "true")
        reader.parquet(*self._paths(path)).createOrReplaceTempView(name)

    def register_csv(self, name, path):
        # inferSchema off: every column is text, as on DuckDB (all_varchar); SQL casts explicitly.
        self.spark.read.option("header", "true").csv(self._paths(path)).createOrReplaceTempView(name)

    def register_arrow(self, name, table: pa.Table):
        self.spark.createDataFrame(table.to_pandas()).createOrReplaceTempView(name)

    def sql(self, query):
        return self.spark.sql(to_spark_sql(query)).toArrow()

    def create_view(self, name, query):
        self.spark.sql(to_spark_sql(query)).createOrReplaceTempView(name)

    def has_table(self, name):
        return bool(self.spark.catalog.tableExists(name))

    def version(self):
        return f"Spark {self.spark.version} ({self.spark.sparkContext.master})"

    def close(self):
        # A session passed in belongs to the caller (e.g. a test fixture); only stop our own.
        pass
