"""Benchmark: one page view of the alert inbox (告警收件箱) over a large alerts table, from one run.

    python benchmarks/inbox.py [--alerts 1000000] [--postgres]

Bulk-inserts ALERTS alerts (300 days, 30 % merged into an earlier one, 11 detector codes, 3 severities) into a
fresh, migrated database (a temporary SQLite file, or with ``--postgres`` a database created and dropped on
$FANZHA_TEST_PG), runs ANALYZE (PostgreSQL: VACUUM ANALYZE, as autovacuum leaves a running table), then times the
queries behind one inbox page (median of 5 after a warm-up): the newest 50 primary alerts, the same filtered by
detector and severity, page 20, the count of primary alerts, the filtered count, and the detector choices with
their counts. Prints each in ms and the whole page view.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

DETECTORS = ["fraud_caller"] * 6 + ["simbox", "cell_anomaly", "resold_card", "report_normal", "report_loan_credit"]


def fill(engine, n: int) -> float:
    from fanzha.casework.alerts.models import Alert

    t0, rnd, start = time.perf_counter(), random.Random(1), datetime(2026, 1, 1, tzinfo=UTC)
    table, rows = Alert.__table__, []
    with engine.begin() as c:
        for i in range(1, n + 1):
            at = start + timedelta(seconds=rnd.randrange(300 * 86400))
            merged = None if i < 10 or rnd.random() > 0.3 else rnd.randrange(1, i)
            rows.append({"id": i, "alert_id": f"a{i}", "source": "detector", "subject_type": "msisdn",
                         "subject": f"133{i:08d}", "subject_key": f"133{i:08d}", "detector": rnd.choice(DETECTORS),
                         "score": rnd.random(), "severity": rnd.choice(["medium", "high", "critical"]),
                         "event_time": at, "reasons": "r", "evidence": "{}", "received_at": at, "raised_by": "bench",
                         "merged_into_id": merged, "hits": 1, "last_seen": at, "case_id": None})  # fmt: skip
            if len(rows) == 20000 or i == n:
                c.execute(table.insert(), rows)
                rows = []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("VACUUM ANALYZE alerts" if engine.dialect.name == "postgresql" else "ANALYZE")
    return time.perf_counter() - t0


def timed(fn, reps: int = 5) -> float:
    fn()
    runs = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--alerts", type=int, default=1_000_000, help="alerts to load (default 1,000,000)")
    ap.add_argument("--postgres", action="store_true", help="use a fresh database on the local PostgreSQL")
    args = ap.parse_args()

    from fanzha.casework.alerts import service
    from fanzha.casework.alerts.service import InboxFilter
    from fanzha.db import make_engine, session_scope
    from fanzha.migrate import upgrade

    home = tempfile.mkdtemp(prefix="fanzha-inbox-bench-")
    admin = os.environ.get("FANZHA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    pg_name = f"fanzha_bench_{uuid.uuid4().hex[:8]}" if args.postgres else None
    if pg_name:
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        url = admin.rsplit("/", 1)[0] + "/" + pg_name
    else:
        url = f"sqlite:///{home}/bench.db"
    try:
        upgrade(url)
        engine = make_engine(url)
        load_s = fill(engine, args.alerts)
        every, some = InboxFilter(), InboxFilter(detector="simbox", severity="critical")
        with session_scope(engine) as db:
            rows = [
                ("newest 50 primary alerts (page 1)", timed(lambda: service.search_inbox(db, flt=every, limit=50))),
                ("page 1 filtered: simbox + critical", timed(lambda: service.search_inbox(db, flt=some, limit=50))),
                ("page 20", timed(lambda: service.search_inbox(db, flt=every, limit=50, offset=950))),
                ("count of primary alerts", timed(lambda: service.count_inbox(db, flt=every))),
                ("count filtered", timed(lambda: service.count_inbox(db, flt=some))),
                ("detector choices with counts", timed(lambda: service.inbox_detectors(db))),
            ]
            primary = service.count_inbox(db, flt=every)
        engine.dispose()
        print(f"database {engine.dialect.name}: {args.alerts:,} alerts ({primary:,} primary), loaded in {load_s:.1f} s")
        for label, ms in rows:
            print(f"{label:40s} {ms:8.1f} ms")
        page = rows[0][1] + rows[3][1] + rows[5][1]
        print(f"{'one unfiltered page view (page+count+choices)':40s} {page:8.1f} ms")
    finally:
        if pg_name:
            import psycopg

            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
