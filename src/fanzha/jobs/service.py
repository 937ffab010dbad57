"""Creating, running and reading long jobs.

``start(engine, kind=…, title=…, actor=…, work=fn)`` stores a job and runs ``fn(progress)`` in a worker thread
(in a request: ``create`` in the request's session, then ``launch`` as a background task after the commit);
``fn`` calls ``progress.set_total(n)`` and ``progress.advance(1, "message")`` and returns the result file
(``Path``) or None. Progress is written at most every ``interval`` seconds (and at the end) in short
transactions, so pages can poll it. An exception marks the job failed with its message; a job whose worker
died with the server (no heartbeat for ``STALE_AFTER``) reads as interrupted and can be started again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from fanzha.casework.auth.principal import Principal
from fanzha.casework.context import aware, utcnow
from fanzha.db import session_scope
from fanzha.jobs.models import Job

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=2)
STATE_LABELS = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败", "interrupted": "已中断"}


class Progress:
    """Handed to the work function; thread-confined to the worker."""

    def __init__(self, engine: Engine, job_id: int, *, interval: float = 0.5) -> None:
        self.engine, self.job_id, self.interval = engine, job_id, interval
        self.done, self.total, self.message = 0, None, None
        self._written = 0.0

    def set_total(self, total: int) -> None:
        self.total = total
        self.flush()

    def advance(self, n: int = 1, message: str | None = None) -> None:
        self.done += n
        if message is not None:
            self.message = message
        if time.monotonic() - self._written >= self.interval:
            self.flush()

    def flush(self) -> None:
        with session_scope(self.engine) as db:
            job = db.get(Job, self.job_id)
            job.done, job.total = self.done, self.total
            job.message = (self.message or "")[:200] or None
            job.heartbeat_at = utcnow()
        self._written = time.monotonic()


Work = Callable[[Progress], Path | None]


def create(db: Session, *, kind: str, title: str, actor: Principal, params: dict | None = None) -> Job:
    job = Job(kind=kind[:32], title=title[:200], state="queued", done=0, params=json.dumps(params or {}, ensure_ascii=False),
              created_by=actor.username[:64], created_at=utcnow())  # fmt: skip
    db.add(job)
    db.flush()
    return job


def run(engine: Engine, job_id: int, work: Work) -> None:
    """Run ``work`` for the job now, in this thread (the worker thread calls this)."""
    with session_scope(engine) as db:
        job = db.get(Job, job_id)
        job.state, job.started_at, job.heartbeat_at = "running", utcnow(), utcnow()
    progress = Progress(engine, job_id)
    try:
        result = work(progress)
    except Exception as exc:  # the job's outcome, shown on its page; the server keeps running
        log.warning("job %s failed: %s", job_id, type(exc).__name__)
        with session_scope(engine) as db:
            job = db.get(Job, job_id)
            job.state, job.finished_at = "failed", utcnow()
            job.error = f"{type(exc).__name__}: {exc}"[:500]
            job.done, job.total = progress.done, progress.total
        return
    with session_scope(engine) as db:
        job = db.get(Job, job_id)
        job.state, job.finished_at, job.heartbeat_at = "done", utcnow(), utcnow()
        job.done = progress.total if progress.total is not None else progress.done
        job.total = progress.total
        job.message = "完成"
        if result is not None:
            job.result_path, job.result_name = str(result), result.name


def launch(engine: Engine, job_id: int, work: Work) -> threading.Thread:
    """Run a created (and committed) job in a daemon thread. Pages create the job in the request's transaction
    and launch it after the commit (a background task), so the worker never waits on the request's lock."""
    thread = threading.Thread(target=run, args=(engine, job_id, work), name=f"fanzha-job-{job_id}", daemon=True)
    thread.start()
    return thread


def start(engine: Engine, *, kind: str, title: str, actor: Principal, work: Work, params: dict | None = None) -> int:
    """Outside a request: store the job (committed, so its page can be shown at once) and launch it."""
    with session_scope(engine) as db:
        job_id = create(db, kind=kind, title=title, actor=actor, params=params).id
    launch(engine, job_id, work)
    return job_id


def get(db: Session, *, job_id: int, actor: Principal) -> Job | None:
    """A job is visible to the user who started it only."""
    job = db.get(Job, job_id)
    return job if job is not None and job.created_by == actor.username else None


def recent(db: Session, *, actor: Principal, kind: str | None = None, limit: int = 5) -> list[Job]:
    stmt = select(Job).where(Job.created_by == actor.username)
    if kind:
        stmt = stmt.where(Job.kind == kind)
    return list(db.execute(stmt.order_by(Job.id.desc()).limit(limit)).scalars())


def state_of(job: Job, *, now: datetime | None = None) -> str:
    if job.state in ("queued", "running"):
        beat = aware(job.heartbeat_at or job.created_at)
        if beat < (now or utcnow()) - STALE_AFTER:
            return "interrupted"
    return job.state


@dataclass(frozen=True)
class JobStatus:
    id: int
    kind: str
    title: str
    state: str
    state_label: str
    done: int
    total: int | None
    percent: int | None
    message: str | None
    error: str | None
    result_url: str | None
    finished: bool


def status(job: Job) -> JobStatus:
    state = state_of(job)
    percent = None
    if job.total:
        percent = min(100, int(100 * job.done / job.total))
    if state == "done":
        percent = 100
    has_result = state == "done" and job.result_path and Path(job.result_path).exists()
    return JobStatus(id=job.id, kind=job.kind, title=job.title, state=state, state_label=STATE_LABELS[state],
                     done=job.done, total=job.total, percent=percent, message=job.message, error=job.error,
                     result_url=f"/jobs/{job.id}/result" if has_result else None,
                     finished=state in ("done", "failed", "interrupted"))  # fmt: skip
