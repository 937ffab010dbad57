"""One (day, chunk of own lines) turned into finished file bytes, on as many cores as there are.

A chunk depends only on the seed, the day and its first line (its random streams are keyed so), and
its record ids only on the day and the chunk number, so chunks can be made in any process in any order
and the files are the same byte for byte whatever the number of workers. Workers are forked after the
world is built, so they share it (copy-on-write) instead of receiving it; each sends back the encoded
CSV (or the Arrow table, for Parquet) and the few facts the main process keeps across chunks."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from fanzha.sim.dirty import corrupt_records
from fanzha.sim.output import Formatter
from fanzha.sim.rand import stream
from fanzha.sim.traffic import FRAUD_ROLES, Traffic, generate_chunk
from fanzha.sim.world import DAY, R

HARD_NEGATIVE_ROLES = np.array([R["courier"], R["sales"], R["telemarketer"], R["delivery_rider"]])


@dataclass
class ChunkJob:
    """What every worker needs (inherited through fork, never pickled)."""

    traffic: Traffic
    formatter: Formatter
    start: date
    fmt: str
    dirty_rate: float
    min_victim_s: int
    parts: Path | None = None  # workers leave CSV bodies here as files (cheaper than through a pipe)


@dataclass
class ChunkResult:
    day: int
    cdr: bytes | Path | pa.Table  # CSV body without header (or a file holding it), or the table (Parquet)
    sms: bytes | Path | pa.Table
    n_cdr: int
    n_sms: int
    n_calls: int  # calls generated (the main process draws one harassment number per call)
    role_line: np.ndarray  # (own line, absolute second) of every event a role produced
    role_t: np.ndarray
    victims: tuple[np.ndarray, np.ndarray, np.ndarray]  # (fraud line, victim, absolute second)
    harass_at: np.ndarray  # index among the calls of each hard-negative harassment candidate
    harass: tuple[np.ndarray, np.ndarray, np.ndarray]


_JOB: ChunkJob | None = None


def make_chunk(job: ChunkJob, day: int, chunk: int, a: int, b: int) -> ChunkResult:
    traffic, lines = job.traffic, job.traffic.w.lines
    seed = traffic.w.seed
    calls, sms = generate_chunk(traffic, day, a, b)
    role_line = np.concatenate([ev.role_line[ev.role_line >= 0] for ev in (calls, sms)])
    role_t = np.concatenate([day * DAY + ev.t[ev.role_line >= 0] for ev in (calls, sms)])
    r = calls.role_line
    out_role = (r >= 0) & (calls.a == r)
    role = lines.role[np.where(out_role, r, 0)]
    vic = out_role & np.isin(role, FRAUD_ROLES) & (calls.dur >= job.min_victim_s)
    hn = np.flatnonzero(out_role & np.isin(role, HARD_NEGATIVE_ROLES) & (calls.dur > 0))
    day_date = job.start + timedelta(days=day)
    payload, rows = [], []
    for kind, ev in (("cdr", calls), ("sms", sms)):
        legs = traffic.legs(ev, day)
        table = job.formatter.table(legs, day_date, chunk, kind == "sms")
        if job.dirty_rate:
            table, _ = corrupt_records(table, stream(seed, f"dirty-{kind}", day, a), job.dirty_rate)
        rows.append(table.num_rows)
        payload.append(_encode(table, job.fmt, job.parts and job.parts / f"{kind}-{day}-{chunk}.csv"))
    return ChunkResult(day, payload[0], payload[1], rows[0], rows[1], len(r), role_line, role_t,
                       (calls.a[vic], calls.b[vic], day * DAY + calls.t[vic]),
                       hn, (calls.a[hn], calls.b[hn], day * DAY + calls.t[hn]))


def _encode(table: pa.Table, fmt: str, path: Path | None) -> bytes | Path | pa.Table:
    if fmt != "csv":
        return table
    options = pcsv.WriteOptions(include_header=False, quoting_style="none")
    if path is not None:
        pcsv.write_csv(table, str(path), options)
        return path
    sink = pa.BufferOutputStream()
    pcsv.write_csv(table, sink, options)
    return sink.getvalue().to_pybytes()


def _worker_init() -> None:
    """Keep freed memory in the worker's heap: each chunk allocates arrays of the same sizes again, and
    fresh pages from the kernel (page faults, zeroing) otherwise cost as much as the work itself."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 1 << 30)
    libc.mallopt(m_trim_threshold, (1 << 31) - 1)


def _run(day: int, chunk: int, a: int, b: int) -> ChunkResult:
    return make_chunk(_JOB, day, chunk, a, b)


def default_workers() -> int:
    return max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def run_chunks(job: ChunkJob, tasks: list[tuple[int, int, int, int]], workers: int,
               parts: Path) -> Iterator[ChunkResult]:
    """Results of TASKS (day, chunk, a, b) in task order; at most a few wait at once (bounded memory).
    With several workers, CSV bodies come back as files in PARTS (the caller removes the folder)."""
    global _JOB
    if workers <= 1 or len(tasks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for t in tasks:
            yield make_chunk(job, *t)
        return
    parts.mkdir(parents=True, exist_ok=True)
    _JOB = replace(job, parts=parts)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_worker_init)
    try:
        pending: deque[Future] = deque()
        todo = iter(tasks)
        for t in todo:
            pending.append(pool.submit(_run, *t))
            if len(pending) >= workers + 1:
                break
        while pending:
            res = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.submit(_run, *nxt))
            yield res
    finally:
        _JOB = None
        pool.shutdown(wait=True, cancel_futures=True)
