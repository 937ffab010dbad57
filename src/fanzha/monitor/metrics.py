"""Prometheus metrics of the monitor (default registry: `fanzha serve` exposes them at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

FILES = Counter("fanzha_monitor_files", "call-record files taken in", ["kind", "outcome"])
ROWS = Counter("fanzha_monitor_rows", "records read from files", ["kind"])
ROWS_QUARANTINED = Counter("fanzha_monitor_rows_quarantined", "records quarantined (broke the data contract)", ["kind"])
ROWS_LATE = Counter("fanzha_monitor_rows_late", "records older than the lateness bound (stored, not in live windows)",
                    ["kind"])
ALERTS = Counter("fanzha_monitor_alerts", "alerts raised into casework", ["detector"])
WARNINGS = Counter("fanzha_monitor_victim_warnings", "victim warnings handed to the channel")
LAG = Histogram("fanzha_monitor_lag_seconds", "file arrival → its alerts stored in the database",
                buckets=(1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800))
PASS_SECONDS = Histogram("fanzha_monitor_pass_seconds", "one monitor cycle (ingest, buckets, scoring, alerts)",
                         buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120))
WATERMARK = Gauge("fanzha_monitor_watermark_seconds", "newest event time seen (epoch s)")
BACKLOG = Gauge("fanzha_monitor_backlog_files", "files waiting in the drop folder and inbox")
LAST_CYCLE = Gauge("fanzha_monitor_last_cycle_timestamp", "wall time the last cycle ended (epoch s)")
STATE_ROWS = Gauge("fanzha_monitor_state_rows", "rows in the bucket tables after compaction", ["table"])
