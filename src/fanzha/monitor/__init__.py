"""The 24×7 monitor (实时监测): drop folder / HTTP batches → ingest → hourly buckets → detectors → casework.

:mod:`.service` runs the loop, :mod:`.metrics` holds the Prometheus metrics, :mod:`.logs` the JSON log
format, :mod:`.http` the standalone /metrics and /health server, :mod:`.spark_job` the same pipeline as a
Spark Structured Streaming job. Operations guide: docs/monitoring.md.
"""
