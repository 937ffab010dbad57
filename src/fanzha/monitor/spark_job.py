"""The monitor as a Spark Structured Streaming job (scale-out; docs/monitoring.md "Spark").

Spark's file source watches ``DROP/cdr`` and ``DROP/sms`` (CSV files of the data contract, read as text
so that every bad value reaches the validation); each micro-batch goes, through ``foreachBatch``, into
the very same steps as a dropped file: one Parquet file per batch into the monitor's inbox, then
``Monitor.process_inbox()`` — analytics.ingest validation and quarantine, hourly buckets, detectors,
casework alerts. Spark's checkpoint replays a batch that did not finish; the batch file's records are
then stored and counted once (ingest keeps each ``record_id`` once, the buckets each part once), and
alerts are raised once (``monitor_alerts``).

    spark-submit --master yarn fanzha_monitor_spark.py   # a driver calling run(...) below
    fanzha monitor --drop DIR --spark [--trigger-seconds 2]  # local[2] or FANZHA_SPARK_MASTER
"""

from __future__ import annotations

import time
from pathlib import Path

from fanzha.analytics.schema import KINDS


def contract_schema(kind: str):
    from pyspark.sql.types import StringType, StructField, StructType

    return StructType([StructField(c, StringType(), True) for c in KINDS[kind].columns])


def take_batch(monitor, df, batch_id: int, kind: str) -> int:
    """foreachBatch: the micro-batch as one Parquet file into the inbox, then the monitor's own steps."""
    arrived = time.time_ns()
    staging = monitor.home / "spark-staging" / f"{kind}-b{batch_id:09d}"
    rows = df.count()
    if rows:
        df.coalesce(1).write.mode("overwrite").parquet(str(staging))
        part = next(p for p in sorted(staging.glob("*.parquet")))
        monitor.inbox.put(part, kind, arrived, f"spark-{kind}-b{batch_id:09d}.parquet")
    monitor.process_inbox()
    return rows


def start(spark, monitor, *, drop: Path, checkpoint: Path, trigger_s: float = 2.0, available_now: bool = False,
          max_files: int = 64) -> list:
    """Start one streaming query per kind; returns the queries (``q.awaitTermination()``)."""
    queries = []
    for kind in ("cdr", "sms"):
        folder = Path(drop) / kind
        folder.mkdir(parents=True, exist_ok=True)
        src = (spark.readStream.schema(contract_schema(kind)).option("header", "true")
               .option("maxFilesPerTrigger", max_files).option("mode", "PERMISSIVE")
               # files taken are moved out of the drop folder once their batch has committed
               .option("cleanSource", "archive").option("sourceArchiveDir", str(monitor.home / "spark-archive"))
               .csv(str(folder)))
        writer = (src.writeStream.queryName(f"fanzha_monitor_{kind}")
                  .foreachBatch(lambda df, bid, k=kind: take_batch(monitor, df, bid, k))
                  .option("checkpointLocation", str(Path(checkpoint) / kind)))
        writer = writer.trigger(availableNow=True) if available_now else writer.trigger(processingTime=f"{trigger_s} seconds")
        queries.append(writer.start())
    return queries


def run(*, drop: Path, settings=None, spark=None, checkpoint: Path | None = None, trigger_s: float = 2.0,
        available_now: bool = False) -> None:
    """Build the monitor and the queries, and wait (for ever, or until the backlog is done)."""
    from fanzha.config import get_settings
    from fanzha.monitor.service import Monitor

    settings = settings or get_settings()
    if spark is None:
        from fanzha.analytics.engines.spark import SparkEngine

        spark = SparkEngine(app_name="fanzha-monitor").spark
    monitor = Monitor(drop_dir=drop, settings=settings)
    try:
        queries = start(spark, monitor, drop=drop, checkpoint=checkpoint or monitor.home / "spark-checkpoint",
                        trigger_s=trigger_s, available_now=available_now)
        for q in queries:
            q.awaitTermination()
    finally:
        monitor.close()
