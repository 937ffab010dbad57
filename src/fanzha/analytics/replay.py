"""Replay recorded traffic hour by hour through the 24×7 monitor: what a live operator would have had.

For each clock hour of the records (oldest first), that hour's CDR and SMS records are dropped into the
monitor's drop folder as one file each, as the mediation system would, and the monitor runs one cycle
(``Monitor.run_once``, what ``fanzha monitor --drop DIR --once`` does) with its clock at the end of that
hour. Every alert the cycle raised into casework is recorded with that hour end as its first-alert time
and ``event_time``: the end of the hour after which the alert existed. The result is an alerts frame in
the contract columns (``fanzha.analytics.detectors.output``), so ``fanzha.analytics.evaluate`` gives
precision, recall and the median delay from ``since``.

    >>> from fanzha.analytics.replay import replay  # doctest: +SKIP
    >>> alerts = replay(cdr=p / "cdr", sms=p / "sms", subscribers=p / "subscribers.csv",
    ...                 cells=p / "cells.csv", work=tmp)  # doctest: +SKIP
    >>> evaluate(alerts, read_labels(p / "labels.csv"))  # doctest: +SKIP

The monitor runs in this process with its own home (SQLite casework database, DuckDB state, store) under
``work``; its re-alert window runs in the records' time (the clock), so a group alert is raised again a
simulated day later, as it would be live. Records whose time cannot be read go into the first hour's file:
the monitor quarantines them with a reason, as it would any bad row.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from fanzha.analytics.detectors.output import ALERT_COLUMNS, iso_time

HOUR = 3600
KINDS = {"cdr": "start_time", "sms": "send_time"}


@dataclass
class ReplayStats:
    hours: int = 0
    files: int = 0
    rows: int = 0
    rejected: int = 0
    alerts: int = 0
    seconds: float = 0.0
    seconds_per_hour: list[float] = field(default_factory=list)


def _source(path: Path) -> str:
    """DuckDB reader over a contract file or folder (CSV or Parquet), every column as text (kept as given)."""
    path = Path(path)
    if path.is_dir():
        pq, csv = sorted(path.rglob("*.parquet")), sorted(path.rglob("*.csv"))
    else:
        pq, csv = ([path], []) if path.suffix == ".parquet" else ([], [path])
    if pq and not csv:
        files = ", ".join(f"'{p}'" for p in pq)
        return f"(SELECT * FROM read_parquet([{files}], union_by_name = true))"
    files = ", ".join(f"'{p}'" for p in csv)
    return f"(SELECT * FROM read_csv([{files}], all_varchar = true, header = true, union_by_name = true))"


def hour_files(*, cdr: Path | None, sms: Path | None, folder: Path) -> list[tuple[int, list[Path]]]:
    """The records cut into one CSV file per clock hour and kind under ``folder``: [(hour start epoch, files)],
    oldest first. Columns and values are written as they came (the monitor validates them)."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    hours: dict[int, list[Path]] = {}
    try:
        for kind, col in KINDS.items():
            path = cdr if kind == "cdr" else sms
            if path is None or not Path(path).exists():
                continue
            con.execute(f"CREATE OR REPLACE TABLE r AS SELECT *, CAST(FLOOR(EPOCH(TRY_CAST(CAST({col} AS VARCHAR) "
                        f"AS TIMESTAMPTZ)) / {HOUR}) AS BIGINT) * {HOUR} AS _h FROM {_source(path)}")
            first = con.execute("SELECT MIN(_h) FROM r").fetchone()[0]
            if first is None:  # nothing readable: one file, the monitor reports why
                first = 0
            con.execute(f"UPDATE r SET _h = {int(first)} WHERE _h IS NULL")
            for (h,) in con.execute("SELECT DISTINCT _h FROM r ORDER BY 1").fetchall():
                target = folder / f"{kind}-{int(h)}.csv"
                con.execute(f"COPY (SELECT * EXCLUDE (_h) FROM r WHERE _h = {int(h)} ORDER BY {col}) TO '{target}' (HEADER)")
                hours.setdefault(int(h), []).append(target)
    finally:
        con.close()
    return sorted(hours.items())


def _settings(*, work: Path, subscribers: Path | None, cells: Path | None, model_dir: Path | None,
              database_url: str | None):
    from fanzha.config import Settings

    return Settings(home=work / "home", database_url=database_url, monitor_drop=work / "drop",
                    monitor_subscribers=subscribers, monitor_cells=cells, monitor_model_dir=model_dir,
                    monitor_settle_seconds=0.0, monitor_poll_seconds=0.0, bss_retry_base_seconds=0.0)


def _new_alerts(engine, after_id: int) -> list:
    from sqlalchemy import select

    from fanzha.casework.alerts.models import Alert

    with engine.connect() as c:
        return list(c.execute(select(Alert.id, Alert.subject_type, Alert.subject, Alert.detector, Alert.score,
                                     Alert.severity, Alert.reasons, Alert.evidence)
                              .where(Alert.source == "monitor", Alert.id > after_id).order_by(Alert.id)).all())


def _rows(raised: list, hour_end: int) -> list[dict]:
    """Alert rows with the hour end as event time and first-alert time (per-line times of batch runs dropped:
    live, every line the alert names was first shown at this hour end)."""
    at = pd.Timestamp(hour_end, unit="s", tz="UTC")
    out = []
    for r in raised:
        ev = json.loads(r.evidence) if r.evidence else {}
        ev.pop("line_first_alert_time", None)
        ev["first_alert_time"] = iso_time(at)
        out.append({"alert_id": f"replay-{r.id}", "subject_type": r.subject_type, "subject": r.subject,
                    "detector": r.detector, "score": float(r.score), "severity": r.severity, "event_time": at,
                    "reasons": r.reasons, "evidence": ev})
    return out


def replay(*, cdr: Path, sms: Path | None = None, subscribers: Path | None = None, cells: Path | None = None,
           model_dir: Path | None = None, work: Path, database_url: str | None = None, engine=None,
           threads: int | None = 1, progress: Callable[[int, ReplayStats], None] | None = None,
           stats: ReplayStats | None = None) -> pd.DataFrame:
    """Replay the records through the monitor, one clock hour per cycle; the alerts it raised (one row per
    raise; a subject re-raised after the re-alert window appears again), event_time = the end of the hour
    after which it existed. ``progress(hour_start, stats)`` is called after every hour.

    ``work`` must be a fresh folder (the monitor's home, drop folder and the hour files go there).
    ``database_url``: casework database (default SQLite in ``work/home``); ``engine`` one already open."""
    from fanzha.migrate import upgrade
    from fanzha.monitor.service import Monitor

    work = Path(work)
    stats = stats if stats is not None else ReplayStats()
    settings = _settings(work=work, subscribers=subscribers, cells=cells, model_dir=model_dir, database_url=database_url)
    settings.home.mkdir(parents=True, exist_ok=True)
    if engine is None:
        upgrade(settings.db_url)
    hours = hour_files(cdr=cdr, sms=sms, folder=work / "hours")
    clock = {"now": datetime.fromtimestamp(hours[0][0] if hours else 0, UTC)}
    t0 = time.perf_counter()
    mon = Monitor(drop_dir=settings.monitor_drop, settings=settings, engine=engine, home=settings.monitor_home,
                  threads=threads, clock=lambda: clock["now"])
    rows: list[dict] = []
    seen = 0
    try:
        for h, files in hours:
            t = time.perf_counter()
            for f in files:  # rename into the drop folder: the file appears complete, as the protocol asks
                f.replace(settings.monitor_drop / f.name)
            clock["now"] = datetime.fromtimestamp(h + HOUR, UTC)
            res = mon.run_once()
            raised = _new_alerts(mon.engine, seen)
            if raised:
                seen = raised[-1].id
                rows.extend(_rows(raised, h + HOUR))
            stats.hours += 1
            stats.files += res.files
            stats.rows += res.rows
            stats.rejected += res.rejected
            stats.alerts += len(raised)
            stats.seconds_per_hour.append(time.perf_counter() - t)
            if progress is not None:
                progress(h, stats)
    finally:
        mon.close()
    stats.seconds = time.perf_counter() - t0
    frame = pd.DataFrame(rows, columns=ALERT_COLUMNS)
    frame["event_time"] = pd.to_datetime(frame["event_time"], utc=True)
    return frame
