"""The monitor as a Spark Structured Streaming job in local[2]: file source → foreachBatch → the same
ingest, buckets, detectors and casework steps; a restart from the checkpoint takes only new files."""

from __future__ import annotations

import duckdb
import pytest
from sqlalchemy import func, select

from monitor_stream import FRAUD, Stream, lines, write

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    pyspark = pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("fanzha-monitor-test")
               .config("spark.sql.session.timeZone", "UTC").config("spark.sql.shuffle.partitions", "2")
               .config("spark.ui.enabled", "false").getOrCreate())
    assert pyspark.__version__
    yield session
    session.stop()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the database side is tested elsewhere
def test_structured_streaming_job(spark, db_url, engine, monitor_settings, tmp_path):
    from fanzha.casework.alerts.models import Alert
    from fanzha.casework.monitor.models import MonitorFile
    from fanzha.monitor.service import Monitor
    from fanzha.monitor.spark_job import start

    drop = monitor_settings.monitor_drop
    s = Stream(normal=lines(150), victims=[], fraud_per_min=30)
    first = [s.frame(range(0, 5)), s.frame(range(5, 10))]
    for i, f in enumerate(first):
        write(f, drop / "cdr", f"cdr-{i}.csv")
    checkpoint = tmp_path / "checkpoint"
    mon = Monitor(drop_dir=drop, settings=monitor_settings, engine=engine, home=tmp_path / "monitor", threads=1)
    try:
        for q in start(spark, mon, drop=drop, checkpoint=checkpoint, available_now=True):
            q.awaitTermination()
    finally:
        mon.close()
    store = tmp_path / "monitor" / "store" / "cdr"
    total = sum(len(f) for f in first)
    with engine.connect() as conn:
        alerts = conn.execute(select(Alert.detector, Alert.subject).where(Alert.source == "monitor")).all()
        files = conn.execute(select(MonitorFile.origin, MonitorFile.status, MonitorFile.rows_read)).all()
    assert ("fraud_caller", FRAUD) in set(alerts)
    assert {f.origin for f in files} == {"spark"} and {f.status for f in files} == {"scored"}
    assert sum(f.rows_read for f in files) == total
    assert duckdb.sql(f"SELECT COUNT(*) FROM read_parquet('{store}/*/*.parquet')").fetchall()[0][0] == total

    # Restart from the checkpoint with one more file: only the new records come in, nothing twice.
    more = s.frame(range(10, 13))
    write(more, drop / "cdr", "cdr-2.csv")
    mon = Monitor(drop_dir=drop, settings=monitor_settings, engine=engine, home=tmp_path / "monitor", threads=1)
    try:
        for q in start(spark, mon, drop=drop, checkpoint=checkpoint, available_now=True):
            q.awaitTermination()
        in_buckets = mon.state.con.execute("SELECT SUM(calls) FROM line_hour").fetchall()[0][0]
    finally:
        mon.close()
    assert in_buckets == total + len(more)
    with engine.connect() as conn:
        n_alerts = conn.execute(select(func.count()).select_from(Alert).where(Alert.source == "monitor")).scalar_one()
    assert n_alerts == len(alerts)  # the fraud line is not alerted again
