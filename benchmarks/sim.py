"""Benchmark of `fanzha sim`: CDRs per second of the whole run and of the generation phase, with CPU
time and load, for several province sizes, in one run.

    python benchmarks/sim.py [--case 200000x1 --case 20000x7] [--format csv|parquet] [--workers N]

Each case runs in a fresh process (so peak memory and CPU times are its own). "whole run" counts from
the call of `simulate` to its return: building the world (persons, IDs, lines, social graph), streaming
every CDR and SMS to disk, and the small files. "generation phase" is the streaming alone, which is what
grows with a province's traffic (a province-day of 100 million CDRs is almost all streaming). CPU time
adds the worker processes' to the main one's, so CPU time well above wall time means both cores worked.
Other people's work on the machine shows in the load average: wall times are only comparable at equal load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))


def one(lines: int, days: int, fmt: str, workers: int | None, seed: int) -> dict:
    from fanzha.sim import simulate

    out = Path(tempfile.mkdtemp(prefix="fanzha-sim-bench-"))
    try:
        load0 = os.getloadavg()[0]
        t0 = time.perf_counter()
        s = simulate(lines=lines, days=days, seed=seed, out=out, fmt=fmt, workers=workers)
        wall = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"lines": lines, "days": days, "format": fmt, "workers": s["workers"], "cdr": s["cdr"], "sms": s["sms"],
            "wall": wall, "world": s["seconds_world"], "stream": s["seconds_stream"],
            "cpu_world": s["seconds_cpu_world"], "cpu_stream": s["seconds_cpu_stream"],
            "load_start": load0, "load_end": os.getloadavg()[0], "size_mib": size / 2**20,
            "peak_rss_mib": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024}


def table(results: list[dict]) -> str:
    rows = [
        ("lines × days", lambda r: f"{r['lines']:,} × {r['days']}"),
        ("format, workers", lambda r: f"{r['format']}, {r['workers']}"),
        ("CDRs written", lambda r: f"{r['cdr']:,}"),
        ("SMS written", lambda r: f"{r['sms']:,}"),
        ("whole run: wall s", lambda r: f"{r['wall']:.2f}"),
        ("whole run: CPU s (all processes)", lambda r: f"{r['cpu_world'] + r['cpu_stream']:.2f}"),
        ("whole run: CDRs/s", lambda r: f"{r['cdr'] / r['wall']:,.0f}"),
        ("world build: wall s", lambda r: f"{r['world']:.2f}"),
        ("world build: CPU s", lambda r: f"{r['cpu_world']:.2f}"),
        ("generation phase: wall s", lambda r: f"{r['stream']:.2f}"),
        ("generation phase: CPU s", lambda r: f"{r['cpu_stream']:.2f}"),
        ("generation phase: CDRs/s", lambda r: f"{r['cdr'] / r['stream']:,.0f}"),
        ("generation phase: CDR+SMS/s", lambda r: f"{(r['cdr'] + r['sms']) / r['stream']:,.0f}"),
        ("generation phase: CDRs per CPU-s", lambda r: f"{r['cdr'] / r['cpu_stream']:,.0f}"),
        ("load average (1 min) start → end", lambda r: f"{r['load_start']:.1f} → {r['load_end']:.1f}"),
        ("peak RSS of a process, MiB", lambda r: f"{r['peak_rss_mib']:,.0f}"),
        ("output size, MiB", lambda r: f"{r['size_mib']:,.0f}"),
    ]
    width = max(len(k) for k, _ in rows)
    cols = [[f(r) for r in results] for _, f in rows]
    cw = [max(len(c[i]) for c in cols) for i in range(len(results))]
    lines = [f"{'measure':<{width}}  " + "  ".join(f"{'case ' + str(i + 1):>{w}}" for i, w in enumerate(cw))]
    for (k, _), c in zip(rows, cols):
        lines.append(f"{k:<{width}}  " + "  ".join(f"{v:>{w}}" for v, w in zip(c, cw)))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", action="append", help="LINESxDAYS (repeatable; default 200000x1 and 20000x7)")
    ap.add_argument("--format", default="csv", choices=["csv", "parquet"])
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one case, print its JSON
    args = ap.parse_args()
    if args.one:
        lines, days = (int(x) for x in args.one.split("x"))
        print(json.dumps(one(lines, days, args.format, args.workers, args.seed)))
        return
    results = []
    for case in args.case or ["200000x1", "20000x7"]:
        cmd = [sys.executable, __file__, "--one", case, "--format", args.format, "--seed", str(args.seed)]
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        env = {**os.environ, "PYTHONPATH": str(SRC)}
        done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(table(results))


if __name__ == "__main__":
    main()
