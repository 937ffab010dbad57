"""Benchmark of `fanzha sim`: generation rate (CDRs/s, records/s) and peak memory, from one run.

    python benchmarks/sim.py [--lines 200000] [--days 2] [--format csv|parquet] [--seed 1]

The world (persons, lines, social graph) is built once per run; the CDR rate is measured over the
whole run, so it includes that set-up, and separately over the streaming phase alone.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--days", type=int, default=2)
    ap.add_argument("--format", default="csv", choices=["csv", "parquet"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="keep the files here (default: a temp folder, removed)")
    args = ap.parse_args()

    from fanzha.sim import simulate

    out = args.out or Path(tempfile.mkdtemp(prefix="fanzha-sim-bench-"))
    t0, c0 = time.perf_counter(), time.process_time()
    s = simulate(lines=args.lines, days=args.days, seed=args.seed, out=out, fmt=args.format)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_mb = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 2**20
    if args.out is None:
        shutil.rmtree(out)
    records = s["cdr"] + s["sms"]
    rows = [
        ("lines", f"{args.lines:,}"), ("days", str(args.days)), ("format", args.format),
        ("CDRs written", f"{s['cdr']:,}"), ("SMS written", f"{s['sms']:,}"),
        ("wall time, s", f"{wall:.2f}"), ("world build, s", f"{s['seconds_world']:.2f}"),
        ("CDRs/s (whole run)", f"{s['cdr'] / wall:,.0f}"),
        ("CDR+SMS records/s (whole run)", f"{records / wall:,.0f}"),
        ("streaming phase, s", f"{s['seconds_stream']:.2f}"),
        ("CDRs/s (streaming phase)", f"{s['cdr'] / s['seconds_stream']:,.0f}"),
        ("CDR+SMS records/s (streaming phase)", f"{records / s['seconds_stream']:,.0f}"),
        ("process CPU time, s (all threads)", f"{cpu:.2f}"),
        ("CDRs per CPU-second (whole run)", f"{s['cdr'] / cpu:,.0f}"),
        ("load average (1 min) at end", f"{os.getloadavg()[0]:.1f}"),
        ("peak RSS, MiB", f"{peak_mb:,.0f}"), ("output size, MiB", f"{size_mb:,.0f}"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
