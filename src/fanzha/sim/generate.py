"""`simulate`: build the province, stream its traffic day by day and chunk by chunk, write the files."""

from __future__ import annotations

import resource
import shutil
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from fanzha.sim.casefiles import blacklist_table, reports_table, tips_table
from fanzha.sim.config import SimConfig, resolve
from fanzha.sim.chunks import ChunkJob, ChunkResult, default_workers, run_chunks
from fanzha.sim.dirty import corrupt_subscribers
from fanzha.sim.output import CDR_COLUMNS, SMS_COLUMNS, DayFiles, Formatter, write_table
from fanzha.sim.people import OCCUPATIONS
from fanzha.sim.rand import stream
from fanzha.sim.social import build_ties
from fanzha.sim.text import iso_times
from fanzha.sim.traffic import Traffic
from fanzha.sim.world import LABELS, NEVER, STATUS, TYPES, World, build_world

DEFAULT_START = date(2026, 11, 1)
# Lines per chunk: fixed (not derived from memory) so that output depends only on the seed; bounds
# the rows held at once to about a day's traffic of this many lines.
CHUNK_LINES = 40_000


def simulate(*, lines: int, days: int, seed: int, out: Path, config: SimConfig | Path | None = None,
             fmt: str = "csv", start: date | None = None, progress: bool = False,
             dirty_rate: float = 0.0, workers: int | None = None) -> dict:
    """Generate a synthetic province and write the data-contract files into OUT; returns summary counts.

    WORKERS processes generate the (day, chunk) pieces (default: one per core); the files do not
    depend on it."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, not {fmt!r}")
    if lines < 50 or days < 1:
        raise ValueError("need at least 50 lines and 1 day")
    t_start, c_start = time.perf_counter(), _cpu()
    cfg = resolve(config)
    start = start or DEFAULT_START
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    world = build_world(cfg=cfg, lines=lines, days=days, seed=seed, start=start)
    ties = build_ties(world)
    traffic = Traffic(world, ties)
    t_world, c_world = time.perf_counter(), _cpu()
    workers = workers if workers is not None else default_workers()
    L = world.n_lines
    dirty_rng = stream(seed, "dirty")
    counts: Counter = Counter()

    first_seen = np.full(L, NEVER, dtype=np.int64)
    victims: dict[str, list] = {"line": [], "peer": [], "t": []}
    harass: dict[str, list] = {"line": [], "peer": [], "t": []}
    track_rng = stream(seed, "track")
    job = ChunkJob(traffic=traffic, formatter=Formatter(world), start=start, fmt=fmt, dirty_rate=dirty_rate,
                   min_victim_s=cfg.reports.victim_min_duration_s)
    cdr_files, sms_files = DayFiles(out, "cdr", fmt), DayFiles(out, "sms", fmt)
    chunks = [(a, min(L, a + CHUNK_LINES)) for a in range(0, L, CHUNK_LINES)]
    tasks = [(day, k, a, b) for day in range(days) for k, (a, b) in enumerate(chunks)]
    bar = _progress(progress, len(tasks))
    try:
        # Results come back in task order, so everything kept across chunks is order-independent of
        # the workers: the same seed gives the same files whatever WORKERS is.
        for res in run_chunks(job, tasks, workers, out / ".parts"):
            day_date = start + timedelta(days=res.day)
            np.minimum.at(first_seen, res.role_line, res.role_t)
            for store, (line, peer, t) in ((victims, res.victims), (harass, _harassed(res, track_rng))):
                store["line"].append(line)
                store["peer"].append(peer)
                store["t"].append(t)
            cdr_files.write(day_date, res.cdr, CDR_COLUMNS)
            sms_files.write(day_date, res.sms, SMS_COLUMNS)
            counts["cdr"] += res.n_cdr
            counts["sms"] += res.n_sms
            if bar:
                bar[0].update(bar[1], advance=1, description=f"{day_date} · {counts['cdr']:,} CDRs")
    finally:
        cdr_files.close()
        sms_files.close()
        shutil.rmtree(out / ".parts", ignore_errors=True)
        if bar:
            bar[0].stop()

    t_stream, c_stream = time.perf_counter(), _cpu()
    vic = {k: np.concatenate(v) if v else np.zeros(0, np.int64) for k, v in victims.items()}
    har = {k: np.concatenate(v) if v else np.zeros(0, np.int64) for k, v in harass.items()}
    subs = subscribers_table(world)
    if dirty_rate:
        subs, counts["dirty_subscribers"] = corrupt_subscribers(subs, dirty_rng, dirty_rate)
    write_table(subs, out / "subscribers", fmt)
    write_table(cells_table(world), out / "cells", fmt)
    labels = labels_table(world, first_seen)
    hidden = unlabelled(world)
    if len(hidden):
        # labels.csv is then the training view (what the operator's history knows); labels_truth.csv the truth.
        write_table(labels, out / "labels_truth", fmt)
        write_table(training_view(labels, hidden), out / "labels", fmt)
    else:
        write_table(labels, out / "labels", fmt)
    reports = reports_table(world, vic, har)
    write_table(reports, out / "reports", fmt)
    tips = tips_table(world)
    write_table(tips, out / "tips", fmt)
    blacklist = blacklist_table(world)
    write_table(blacklist, out / "blacklist", fmt)

    by_label = Counter(labels.column("label").to_pylist())
    return {
        "persons": int(len(np.unique(world.lines.person))),
        "lines": L,
        "cells": len(world.cells),
        "cdr": int(counts["cdr"]),
        "sms": int(counts["sms"]),
        "labels": {k: int(by_label.get(k, 0)) for k in LABELS},
        "unlabelled": int(len(hidden)),  # fraud lines written as normal in labels (counted above by truth)
        "rings": len(world.rings),
        "reports": reports.num_rows,
        "tips": tips.num_rows,
        "blacklist": blacklist.num_rows,
        "dirty_rate": dirty_rate,
        "seconds": round(time.perf_counter() - t_start, 3),
        # Where the time went: building the world (persons, lines, graph) vs streaming the records.
        "seconds_world": round(t_world - t_start, 3),
        "seconds_stream": round(t_stream - t_world, 3),
        # CPU seconds of this process and its workers in those two phases, and how many workers.
        "seconds_cpu_world": round(c_world - c_start, 3),
        "seconds_cpu_stream": round(c_stream - c_world, 3),
        "workers": workers,
    }


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished (waited-for) worker processes."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _harassed(res: ChunkResult, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Hard-negative calls the callee felt harassed by (5 %): one draw per call of the chunk, in order."""
    keep = rng.random(res.n_calls)[res.harass_at] < 0.05
    return tuple(x[keep] for x in res.harass)


def subscribers_table(world: World) -> pa.Table:
    ln, persons = world.lines, world.persons
    return pa.table({
        "msisdn": ln.msisdn,
        "line_type": np.array(TYPES)[ln.type],
        "id_no": persons.id_no[ln.person],
        "owner_name": persons.name[ln.person],
        "open_time": iso_times(world.start, ln.open_t),
        "shop_id": world.shop_ids[ln.shop],
        "clerk_id": world.clerk_ids[ln.clerk],
        "status": np.array(STATUS)[ln.status],
        "imsi": pa.array(np.where(ln.imsi == "", None, ln.imsi), type=pa.string()),
        "occupation": np.array(OCCUPATIONS)[persons.occ[ln.person]],
    })


def cells_table(world: World) -> pa.Table:
    c = world.cells
    return pa.table({"cell_id": c.cell_id, "lat": c.lat, "lon": c.lon, "region_code": c.region_code})


def labels_table(world: World, first_seen: np.ndarray) -> pa.Table:
    ln = world.lines
    labelled = ln.label != 0
    since = np.where(first_seen < NEVER, first_seen, ln.act_from)
    since_s = np.where(labelled & (since < NEVER), iso_times(world.start, np.where(since < NEVER, since, 0)), "")
    ring = np.where(ln.ring >= 0, np.char.add("RING-", np.char.zfill(ln.ring.astype(str), 4)), "")
    return pa.table({
        "msisdn": ln.msisdn,
        "label": np.array(LABELS)[ln.label],
        "since": pa.array(np.where(since_s == "", None, since_s), type=pa.string()),
        "scenario": pa.array(np.where(ln.scenario == "", None, ln.scenario), type=pa.string()),
        "ring_id": pa.array(np.where(ring == "", None, ring), type=pa.string()),
    })


def unlabelled(world: World) -> np.ndarray:
    """Fraud lines (any label but normal) that the training view shows as normal: labels.unlabelled_share
    of them, drawn from the seed alone (the same lines whatever the workers)."""
    share = world.cfg.labels.unlabelled_share
    fraud = np.flatnonzero(world.lines.label != 0)
    if share <= 0 or not len(fraud):
        return np.zeros(0, np.int64)
    pick = stream(world.seed, "unlabelled").permutation(fraud)[:int(round(share * len(fraud)))]
    return np.sort(pick)


def training_view(labels: pa.Table, hidden: np.ndarray) -> pa.Table:
    """LABELS with the HIDDEN rows written as ordinary lines: label normal, no since, scenario or ring
    (a fraud line that was never caught carries nothing that would tell it apart)."""
    mask = np.zeros(labels.num_rows, bool)
    mask[hidden] = True
    cols = {"msisdn": labels.column("msisdn")}
    for name in ("label", "since", "scenario", "ring_id"):
        values = np.array(labels.column(name).to_pylist(), dtype=object)
        values[mask] = "normal" if name == "label" else None
        cols[name] = pa.array(values, type=pa.string())
    return pa.table(cols)


def _progress(enabled: bool, total: int):
    if not enabled:
        return None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    p.start()
    return p, p.add_task("generating", total=total)
