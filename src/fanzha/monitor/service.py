"""The monitor loop. Applying (``apply_inbox``) and scoring (``score``) run in two threads under
``run_forever``, one after the other under ``run_once`` and the Spark job:

1. claim complete files from the drop folder into the inbox (rename; arrival time kept in the name);
2. per inbox file, oldest first: ingest it through ``analytics.ingest`` (validation, quarantine, record_id
   de-duplication against the overlapping store parts, Parquet store); a file whose every row broke the
   contract, or that cannot be read, is moved aside with a report; otherwise its store parts go into the
   buckets (one DuckDB transaction, see ``analytics.stream.state``) and the file is marked applied;
3. a scoring pass over the lines dirty up to the last applied part; alerts with their victim warnings are
   committed in chunks of the application database, then the pass's files are marked scored with their
   lag; then ``dirty`` is cleared up to that part, suspension orders are dispatched and warnings handed over.

kill -9 anywhere: a restart finds claimed files in the inbox, ingest's ledger and the applied-parts
table make the store and the buckets exact, and ``monitor_alerts`` (written with each alert) keeps a
re-scored line from being alerted twice.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from fanzha.analytics.ingest import ingest
from fanzha.analytics.stream import drop
from fanzha.analytics.detectors.lines import registration_facts
from fanzha.analytics.stream.score import LINE_DETECTORS, load_subscribers, reached, score_pass
from fanzha.analytics.stream.state import StateStore
from fanzha.config import Settings, get_settings
from fanzha.monitor import metrics as m

log = logging.getLogger("fanzha.monitor")
EVICT_EVERY_PARTS = 30  # store parts applied between evictions of buckets that left the window
COMPACT_MAX_PARTS = 480  # longest interval between compactions (merging fragments per bucket key)
STATE_MEMORY = "1GB"  # DuckDB memory limit of the state connection (it spills to disk beyond)
ALERTS_PER_COMMIT = 50  # alerts per application-database transaction in a scoring pass

# Test hook: pause the process (forever) when it reaches this step, after touching FANZHA_MONITOR_PAUSE_FILE,
# so a test can kill -9 it exactly there. Steps: claimed, ingested, applied, alerts_committed, scored.
PAUSE_AT = "FANZHA_MONITOR_PAUSE_AT"
PAUSE_FILE = "FANZHA_MONITOR_PAUSE_FILE"


def _checkpoint(step: str) -> None:
    if os.environ.get(PAUSE_AT) == step:
        marker = os.environ.get(PAUSE_FILE)
        if marker:
            Path(marker).write_text(step)
        while True:  # the test sends SIGKILL
            time.sleep(3600)


@dataclass
class CycleResult:
    files: int = 0
    rows: int = 0
    rejected: int = 0
    alerts: int = 0
    warnings: int = 0
    lags: list[float] = field(default_factory=list)


class Monitor:
    def __init__(self, *, drop_dir: Path, settings: Settings | None = None, home: Path | None = None,
                 engine=None, threads: int | None = None, clock: Callable[[], datetime] | None = None) -> None:
        from fanzha.analytics.pipeline import load_models
        from fanzha.casework.auth.principal import Principal
        from fanzha.db import engine_for

        self.settings = settings or get_settings()
        # What "now" is for raising alerts and the re-alert window: the wall clock, or, in a replay of
        # recorded traffic (fanzha.analytics.replay), the end of the hour just replayed, so the window
        # runs in the records' time as it would have live.
        self.clock = clock or (lambda: datetime.now(UTC))
        self.drop = Path(drop_dir)
        self.drop.mkdir(parents=True, exist_ok=True)
        self.home = Path(home or self.settings.monitor_home)
        self.store = self.home / "store"
        self.inbox = drop.Inbox(self.home / "inbox")
        self.rejected = self.home / "rejected"
        self.engine = engine or engine_for(self.settings.db_url)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.state = StateStore(self.home / "state.duckdb", lateness_s=int(self.settings.monitor_lateness_minutes * 60),
                                threads=threads, memory_limit=STATE_MEMORY)
        self.state.set_cells(self.settings.monitor_cells)
        self.models, self.model_origin = load_models(self.settings.monitor_model_dir)
        self.subscribers = load_subscribers(self.settings.monitor_subscribers)
        self.owner_facts = registration_facts(self.subscribers)
        self.reader = self.state.reader()  # scoring's own connection: it runs beside the applying (run_forever)
        self.actor = Principal.system("monitor")
        self.cycles = 0
        self.last_cycle: datetime | None = None
        self.stopping = threading.Event()
        self._apply_lock = threading.Lock()  # the Spark job's two queries call process_inbox from their own threads
        self._score_lock = threading.Lock()
        self._names_lock = threading.Lock()
        self._wake = threading.Event()  # set when a file was applied: the scoring thread has work
        self._evictions, self._compact_every = 0, 1  # see _upkeep
        self._cells_scored_hi: int | None = None  # window end cell_anomaly last ran for
        self._alerted = self._recent_line_alerts()
        self._applied_names = self._applied_not_scored()
        self._unapplied: list[tuple[str, Path]] = self._scan_unapplied()  # then kept up by ingest's on_publish

    # ---- one file -------------------------------------------------------------------------------
    def _scan_unapplied(self) -> list[tuple[str, Path]]:
        """Store parts not applied to the buckets (once, at start: what a killed monitor published)."""
        found = []
        for kind in ("cdr", "sms"):
            root = self.store / kind
            if root.is_dir():
                for day in root.iterdir():
                    if day.is_dir():
                        found.extend((kind, p) for p in day.glob("*.parquet"))
        if found:
            done = self.state.applied([str(p) for _, p in found])
            found = [(k, p) for k, p in found if str(p) not in done]
        return sorted(found, key=lambda kp: (kp[1].stat().st_mtime_ns, str(kp[1])))

    def _published(self, kind: str):
        return lambda path: self._unapplied.append((kind, Path(path)))

    def _dedup_scope(self, kind: str, lo: int, hi: int) -> list[str]:
        """Store parts a new file's records are compared with (record_id de-duplication): the applied parts
        whose event-time range overlaps the file's, and any part published but not yet applied."""
        pending = [str(p) for k, p in self._unapplied if k == kind]
        return self.state.parts_overlapping(kind, lo, hi) + pending

    def _process(self, c: drop.Claimed, res: CycleResult) -> None:
        from fanzha.casework.monitor import service as mon

        summary = ingest(store=self.store, dedup_scope=self._dedup_scope, on_publish=self._published(c.kind),
                         **{c.kind: c.path})
        ks = summary.kinds[c.kind]
        _checkpoint("ingested")
        fatal = ks.file_errors or (ks.rows_read > 0 and ks.rows_quarantined == ks.rows_read)
        if fatal:
            report = {"file": c.name, "kind": c.kind, "errors": ks.file_errors, "rows_read": ks.rows_read,
                      "quarantined": ks.quarantined, "quarantine_files": summary.quarantine_files,
                      "verdict": "no valid row: file moved aside, processing goes on"}
            drop.move_aside(c, self.rejected, report)
            with self.sessions.begin() as db:
                mon.mark_rejected(db, name=c.name, report=str(report), rows_read=ks.rows_read,
                                  rows_quarantined=ks.rows_quarantined)
            m.FILES.labels(c.kind, "rejected").inc()
            m.ROWS_QUARANTINED.labels(c.kind).inc(ks.rows_quarantined)
            log.warning("file rejected", extra={"event": "file.rejected", "file": c.name, "kind": c.kind,
                                                "rows_read": ks.rows_read, "errors": ks.file_errors[:3]})
            res.rejected += 1
            return
        applied = self.state.apply_parts(self._unapplied)
        self._unapplied = []
        _checkpoint("applied")
        with self.sessions.begin() as db:
            mon.mark_applied(db, name=c.name, rows_read=ks.rows_read, rows_stored=ks.rows_stored,
                             rows_quarantined=ks.rows_quarantined, rows_late=applied.late)
        with self._names_lock:
            self._applied_names.append(c.name)
        self._wake.set()
        c.path.unlink(missing_ok=True)
        m.FILES.labels(c.kind, "applied").inc()
        m.ROWS.labels(c.kind).inc(ks.rows_read)
        m.ROWS_QUARANTINED.labels(c.kind).inc(ks.rows_quarantined)
        m.ROWS_LATE.labels(c.kind).inc(applied.late)
        if applied.watermark is not None:
            m.WATERMARK.set(applied.watermark)
        res.files += 1
        res.rows += ks.rows_read
        log.info("file applied", extra={"event": "file.applied", "file": c.name, "kind": c.kind,
                                        "rows_read": ks.rows_read, "rows_stored": ks.rows_stored,
                                        "rows_quarantined": ks.rows_quarantined, "duplicates": ks.duplicates,
                                        "rows_late": applied.late, "parts": applied.parts})

    # ---- scoring ----------------------------------------------------------------------------------
    def _score(self, res: CycleResult) -> None:
        """One scoring pass over what is applied now. It may run in its own thread beside the applying: it
        takes the files applied so far and the last apply transaction together, scores the lines dirty up
        to that transaction, and marks exactly those files scored; later work waits for the next pass."""
        with self._score_lock:
            with self._names_lock:
                names, self._applied_names = self._applied_names, []
                upto = self.reader.apply_seq
            try:
                self._score_upto(res, names, upto)
            except BaseException:
                with self._names_lock:  # not scored: the next pass takes them again
                    self._applied_names[:0] = names
                raise

    def _score_upto(self, res: CycleResult, names: list[str], upto: int) -> None:
        from fanzha.casework.measures.dispatch import dispatch_orders
        from fanzha.casework.monitor import service as mon
        from fanzha.casework.monitor import warnings as warn

        if not names and not self.reader.dirty_count(upto):
            return
        sp = score_pass(self.reader, models=self.models, subscribers=self.subscribers, skip=self._skip(), upto=upto,
                        static_facts=self.owner_facts, cells_scored_hi=self._cells_scored_hi)
        alerts = [_alert_dict(a) for a in sp.alerts]
        line_alerts = _warning_lines(alerts)
        reach: dict[str, list] = {}
        for r in reached(self.reader, sorted(line_alerts)).itertuples():
            reach.setdefault(r.fraud_msisdn, []).append(warn.Contact(
                r.fraud_msisdn, r.peer, int(r.contacts), int(r.longest_s or 0),
                None if r.last_ts != r.last_ts else int(r.last_ts)))
        now = self.clock()
        raised = mon.Raised()
        # Alerts are committed in chunks, each with its monitor_alerts rows (exactly once per alert), so the
        # applying thread's short writes never wait behind a long transaction.
        for i in range(0, len(alerts), ALERTS_PER_COMMIT):
            with self.sessions.begin() as db:
                part = mon.raise_once(db, alerts=alerts[i:i + ALERTS_PER_COMMIT], actor=self.actor,
                                      settings=self.settings, now=now)
                fresh = _warning_lines(part.raised)
                res.warnings += warn.plan_warnings(db, contacts=[c for line in fresh for c in reach.get(line, ())
                                                                     if c.peer not in line_alerts],
                                                   detectors=fresh, settings=self.settings, now=now)
            raised.merge(part)
        with self.sessions.begin() as db:
            lags = mon.mark_scored(db, names=names, at=datetime.now(UTC), alerts=len(raised.raised))
        _checkpoint("alerts_committed")
        if sp.cells_hi is not None:
            self._cells_scored_hi = sp.cells_hi
        self.reader.clear_dirty(upto)
        _checkpoint("scored")
        for a in raised.raised:
            m.ALERTS.labels(a["detector"]).inc()
            if a["detector"] == "fraud_caller" and a["subject_type"] == "msisdn":
                self._alerted[a["subject"]] = now
        for lag in lags:
            m.LAG.observe(lag)
        res.alerts += len(raised.raised)
        res.lags.extend(lags)
        if raised.order_ids:
            dispatch_orders(self.sessions, settings=self.settings, order_ids=raised.order_ids)
        handed = warn.hand_over(self.sessions, settings=self.settings)
        m.WARNINGS.inc(handed)
        log.info("scored", extra={"event": "scored", "as_of": sp.as_of, "candidates": sp.candidates,
                                  "alerts": len(raised.raised), "skipped_repeats": raised.skipped,
                                  "orders": len(raised.order_ids), "warnings_handed": handed,
                                  "files": len(lags), "lag_max_s": round(max(lags), 3) if lags else None})

    def _recent_line_alerts(self) -> dict[str, datetime]:
        """fraud_caller lines alerted within the re-alert window: not worth scoring again (the model's
        explanations are the costly part of a pass)."""
        from sqlalchemy import select

        from fanzha.casework.context import aware
        from fanzha.casework.monitor.models import MonitorAlert

        since = self.clock() - timedelta(hours=self.settings.monitor_realert_hours)
        with self.sessions() as db:
            rows = db.execute(select(MonitorAlert.subject, MonitorAlert.raised_at).where(
                MonitorAlert.detector == "fraud_caller", MonitorAlert.subject_type == "msisdn",
                MonitorAlert.raised_at >= since)).all()
        return {s: aware(t) for s, t in rows}

    def _skip(self) -> set[str]:
        since = self.clock() - timedelta(hours=self.settings.monitor_realert_hours)
        self._alerted = {s: t for s, t in self._alerted.items() if t >= since}
        return set(self._alerted)

    def _applied_not_scored(self) -> list[str]:
        """Files applied but not yet reflected in stored alerts (what a stopped monitor left), oldest first."""
        from sqlalchemy import select

        from fanzha.casework.monitor.models import MonitorFile

        with self.sessions() as db:
            return list(db.execute(select(MonitorFile.name).where(MonitorFile.status == "applied")
                                   .order_by(MonitorFile.arrived_at)).scalars())

    # ---- the loop -----------------------------------------------------------------------------------
    def claim(self) -> int:
        """Move complete files from the drop folder into the inbox; returns how many."""
        ready = drop.ready_files(self.drop, settle_s=self.settings.monitor_settle_seconds)
        for path, st in ready:
            self.inbox.claim(path, st, self.drop)
        if ready:
            _checkpoint("claimed")
        return len(ready)

    def apply_inbox(self) -> CycleResult:
        """Every file in the inbox (oldest first) into the store and the buckets; no scoring."""
        from fanzha.casework.monitor import service as mon

        with self._apply_lock:
            res = CycleResult()
            pending = self.inbox.pending()
            m.BACKLOG.set(len(pending))
            if pending:
                with self.sessions.begin() as db:
                    for c in pending:
                        origin = "http" if "-http-" in c.name else "spark" if "-spark-" in c.name else "drop"
                        mon.record_arrival(db, name=c.name, kind=c.kind, origin=origin,
                                           arrived_at=datetime.fromtimestamp(c.arrived_ns / 1e9, UTC))
            for c in pending:
                if self.stopping.is_set():
                    break
                self._process(c, res)
            if self.state.parts_since_compaction >= EVICT_EVERY_PARTS:
                self._upkeep()
            return res

    def _upkeep(self) -> None:
        """Evict buckets that left the window; compact every ``_compact_every`` evictions. Compaction pays
        when a bucket key gets fragments from many files (event time near wall time: a line calls in many
        files of the same hour); when it merged little last time (files far apart in event time, e.g. a
        replay), it is done half as often, down to every COMPACT_MAX_PARTS parts."""
        self._evictions += 1
        compact = self._evictions >= self._compact_every
        sizes = self.state.evict_and_compact(compact=compact)
        for table, n in sizes.items():
            m.STATE_ROWS.labels(table).set(n)
        if compact:
            self._evictions = 0
            merged = self.state.merged_share if self.state.merged_share is not None else 1.0
            limit = COMPACT_MAX_PARTS // EVICT_EVERY_PARTS
            self._compact_every = 1 if merged >= 0.2 else min(2 * self._compact_every, limit)
            log.info("compacted", extra={"event": "state.compacted", "merged_share": round(merged, 3),
                                         "next_in_evictions": self._compact_every, **sizes})

    def score(self) -> CycleResult:
        """One scoring pass over what is applied (the scoring thread's step)."""
        t = time.perf_counter()
        res = CycleResult()
        self._score(res)
        self.cycles += 1
        self.last_cycle = datetime.now(UTC)
        m.LAST_CYCLE.set(time.time())
        m.PASS_SECONDS.observe(time.perf_counter() - t)
        return res

    def process_inbox(self) -> CycleResult:
        """Every file in the inbox (oldest first), then one scoring pass. Also the Spark job's step."""
        res = self.apply_inbox()
        scored = self.score()
        res.alerts, res.warnings, res.lags = scored.alerts, scored.warnings, scored.lags
        return res

    def run_once(self) -> CycleResult:
        self.claim()
        return self.process_inbox()

    def _scoring_loop(self) -> None:
        while not self.stopping.is_set():
            self._wake.wait(self.settings.monitor_poll_seconds)
            self._wake.clear()
            try:
                self.score()
            except Exception:  # logged; the files stay applied and the next pass takes them
                log.exception("scoring pass failed", extra={"event": "score.failed"})
                self.stopping.wait(self.settings.monitor_poll_seconds)

    def run_forever(self) -> None:
        """Two threads, so both cores work: this one claims and applies files, the scoring thread scores
        whatever has been applied (a pass takes the files applied while the previous pass ran)."""
        log.info("monitor started", extra={"event": "start", "drop": str(self.drop), "home": str(self.home),
                                           "models": self.model_origin, "pid": os.getpid()})
        scorer = threading.Thread(target=self._scoring_loop, name="fanzha-monitor-score", daemon=True)
        scorer.start()
        self._wake.set()  # files applied before a restart
        while not self.stopping.is_set():
            try:
                self.claim()
                res = self.apply_inbox()
            except Exception:  # logged; the file stays in the inbox and is taken again
                log.exception("applying failed", extra={"event": "apply.failed"})
                self.stopping.wait(self.settings.monitor_poll_seconds)
                continue
            if not res.files and not res.rejected:
                self.stopping.wait(self.settings.monitor_poll_seconds)
        scorer.join()
        log.info("monitor stopped", extra={"event": "stop"})

    def stop(self) -> None:
        self.stopping.set()

    def close(self) -> None:
        self.reader.close()
        self.state.close()

    def health(self) -> dict:
        wm = self.state.watermark if self.state else None
        age = (datetime.now(UTC) - self.last_cycle).total_seconds() if self.last_cycle else None
        ok = age is not None and age < max(60.0, 10 * self.settings.monitor_poll_seconds)
        return {"status": "ok" if ok else "starting" if self.last_cycle is None else "stalled",
                "last_cycle_age_s": age, "cycles": self.cycles, "watermark": wm, "models": self.model_origin,
                "drop": str(self.drop)}


def _warning_lines(alerts: list[dict]) -> dict[str, str]:
    """msisdn → detector of the line alerts whose victims are warned (LINE_DETECTORS)."""
    return {a["subject"]: a["detector"] for a in alerts
            if a["subject_type"] == "msisdn" and a["detector"] in LINE_DETECTORS}


def _alert_dict(a) -> dict:
    et = a.event_time.to_pydatetime() if a.event_time is not None else None
    return {"subject_type": a.subject_type, "subject": a.subject, "detector": a.detector, "score": a.score,
            "severity": a.severity, "reasons": a.reasons_text(), "evidence": a.evidence, "event_time": et}


def install_signal_handlers(monitor: Monitor) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: monitor.stop())
