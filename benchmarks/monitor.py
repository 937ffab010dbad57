"""Benchmark: the 24×7 monitor under a sustained stream of simulator files.

    python benchmarks/monitor.py                    # 20,000 CDRs/s for 5 minutes (plus the SMS of the same hours)
    python benchmarks/monitor.py --minutes 1        # shorter
    python benchmarks/monitor.py --rate 5000 --file-seconds 5

A synthetic province (fanzha.sim) is generated and cut, in time order, into one CDR file (and one SMS
file) per ``--file-seconds`` holding ``rate × file-seconds`` CDRs. A feeder renames the files into the
drop folder on that schedule while `fanzha monitor` runs as its own process (SQLite database, DuckDB
state). Printed from one run: achieved throughput, the lag from each file's arrival to its alerts being
in the database (p50/p95/p99, from table monitor_files), whether the monitor kept up, alerts, the
monitor's RSS over time, and the machine's load average (other people's work shares the 2 cores).
Target (issue #9): keeps up, p95 ≤ 60 s, memory flat.
"""

from __future__ import annotations

import argparse
import math
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
CDRS_PER_LINE_DAY = 5.6  # measured on the default scenario (787,038 CDRs / 20,000 lines / 7 days)


def make_files(work: Path, *, rate: int, minutes: float, file_s: float, lines: int, seed: int, sms: bool) -> tuple[list, dict]:
    """Simulate, then cut into (cdr_file, sms_file|None) pairs in time order under work/feed."""
    import duckdb

    from fanzha.sim.generate import simulate

    need = int(rate * minutes * 60)
    days = max(1, int(need / (lines * CDRS_PER_LINE_DAY)) + 1)
    sim = work / "sim"
    t = time.perf_counter()
    summary = simulate(lines=lines, days=days, seed=seed, out=sim, fmt="parquet")
    sim_s = time.perf_counter() - t
    per_file = int(rate * file_s)
    n_files = max(1, need // per_file)
    feed = work / "feed"
    (feed / "cdr").mkdir(parents=True)
    (feed / "sms").mkdir(parents=True)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE c AS SELECT *, row_number() OVER (ORDER BY start_time, record_id) - 1 AS i "
                f"FROM read_parquet('{sim}/cdr/*.parquet') ORDER BY i LIMIT {n_files * per_file}")
    last = con.execute("SELECT start_time FROM c WHERE i % ? = ? - 1 ORDER BY i", [per_file, per_file]).fetchall()
    con.execute(f"CREATE TABLE s AS SELECT * FROM read_parquet('{sim}/sms/*.parquet') ORDER BY send_time, record_id")
    pairs = []
    prev = None
    for k in range(n_files):
        cf = feed / "cdr" / f"cdr-{k:05d}.csv"
        con.execute(f"COPY (SELECT * EXCLUDE (i) FROM c WHERE i >= {k * per_file} AND i < {(k + 1) * per_file} "
                    f"ORDER BY i) TO '{cf}' (HEADER)")
        sf = None
        if sms:
            hi = last[k][0]
            cond = f"send_time <= '{hi}'" + (f" AND send_time > '{prev}'" if prev is not None else "")
            sf = feed / "sms" / f"sms-{k:05d}.csv"
            con.execute(f"COPY (SELECT * FROM s WHERE {cond}) TO '{sf}' (HEADER)")
            prev = hi
        pairs.append((cf, sf))
    counts = {"cdr": n_files * per_file,
              "sms": sum(max(0, sum(1 for _ in open(sf)) - 1) for _, sf in pairs if sf) if sms else 0,
              "sim_seconds": round(sim_s, 1), "sim_days": days, "files": n_files, "per_file": per_file,
              "labels": summary.get("labels")}
    con.close()
    return pairs, counts


def rss_mb(pid: int) -> float:
    import psutil

    try:
        p = psutil.Process(pid)
        return (p.memory_info().rss + sum(c.memory_info().rss for c in p.children(recursive=True))) / 2**20
    except psutil.NoSuchProcess:
        return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=5.0, help="how long files keep arriving")
    ap.add_argument("--rate", type=int, default=20_000, help="CDRs per second arriving")
    ap.add_argument("--file-seconds", type=float, default=2.5, help="a new CDR file (and SMS file) every N s")
    ap.add_argument("--lines", type=int, default=100_000, help="lines in the simulated province")
    ap.add_argument("--no-sms", action="store_true", help="feed CDR files only")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--drain-timeout", type=float, default=600.0, help="max seconds to wait for the backlog after feeding")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    args = ap.parse_args()

    load0 = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="fanzha-monitor-bench-"))
    try:
        t = time.perf_counter()
        pairs, counts = make_files(work, rate=args.rate, minutes=args.minutes, file_s=args.file_seconds,
                                   lines=args.lines, seed=args.seed, sms=not args.no_sms)
        prep_s = time.perf_counter() - t
        home, drop = work / "home", work / "drop"
        drop.mkdir()
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "FANZHA_HOME": str(home),
               "FANZHA_MONITOR_SETTLE_SECONDS": "0", "FANZHA_MONITOR_POLL_SECONDS": "0.2"}
        env.pop("FANZHA_DATABASE_URL", None)
        log = open(work / "monitor.log", "w")
        mon = subprocess.Popen([sys.executable, "-c", "from fanzha.cli import main; main()", "monitor", "--drop", str(drop),
                                "--subscribers", str(work / "sim" / "subscribers.parquet"),
                                "--cells", str(next((work / "sim").glob("cells.*")))],
                               env=env, stdout=log, stderr=log)
        time.sleep(8)  # start-up (imports, migrations, model) is not part of the stream
        samples = []
        t0 = time.time()
        next_sample = t0
        for k, (cf, sf) in enumerate(pairs):
            due = t0 + k * args.file_seconds
            while time.time() < due:
                time.sleep(min(0.05, max(0.0, due - time.time())))
            os.replace(cf, drop / cf.name)
            if sf is not None:
                os.replace(sf, drop / sf.name)
            if time.time() >= next_sample:
                samples.append((time.time() - t0, rss_mb(mon.pid), os.getloadavg()[0]))
                next_sample += 10
        fed_s = time.time() - t0
        db_url = f"sqlite:///{home / 'fanzha.db'}"
        expect = len(pairs) * (2 if not args.no_sms else 1)
        import sqlalchemy as sa

        engine = sa.create_engine(db_url)
        backlog_at_end = None
        deadline = time.time() + args.drain_timeout
        while True:
            with engine.connect() as c:
                done = c.execute(sa.text("SELECT COUNT(*) FROM monitor_files WHERE status IN ('scored','rejected')")).scalar()
            if backlog_at_end is None:
                backlog_at_end = expect - done
            if done >= expect or time.time() > deadline or mon.poll() is not None:
                break
            if time.time() >= next_sample:
                samples.append((time.time() - t0, rss_mb(mon.pid), os.getloadavg()[0]))
                next_sample += 10
            time.sleep(0.5)
        drained_s = time.time() - t0
        samples.append((drained_s, rss_mb(mon.pid), os.getloadavg()[0]))
        mon.terminate()
        mon.wait(timeout=60)
        with engine.connect() as c:
            rows = c.execute(sa.text("SELECT kind, rows_read, lag_s, arrived_at, scored_at FROM monitor_files "
                                     "WHERE status = 'scored' ORDER BY arrived_at")).all()
            alerts = dict(c.execute(sa.text("SELECT detector, COUNT(*) FROM alerts WHERE source = 'monitor' "
                                            "GROUP BY detector")).all())
            orders = c.execute(sa.text("SELECT COUNT(*) FROM measure_orders")).scalar()
        print_report(args, counts, prep_s, fed_s, drained_s, backlog_at_end, expect, rows, alerts, orders, samples,
                     load0, os.getloadavg())
    finally:
        if args.keep:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def _q(values, q):
    import numpy as np

    return float(np.quantile(values, q)) if len(values) else float("nan")


def print_report(args, counts, prep_s, fed_s, drained_s, backlog, expect, rows, alerts, orders, samples, load0, load1):
    lags = [r.lag_s for r in rows if r.lag_s is not None]
    cdr_rows = sum(r.rows_read for r in rows if r.kind == "cdr")
    all_rows = sum(r.rows_read for r in rows)
    offered = counts["cdr"] / fed_s
    achieved = cdr_rows / drained_s
    half = len(samples) // 2
    rss_first = max((s[1] for s in samples[: max(half, 1)]), default=float("nan"))
    rss_second = max((s[1] for s in samples[half:]), default=float("nan"))
    # Keeping up = the lag does not grow: files arriving in the last third wait no longer than those of the
    # first third (up to 2× or +10 s of jitter), and the queue left when feeding stopped is no more than what
    # arrives within the p95 lag. A monitor that falls behind shows as a lag that keeps growing.
    by_arrival = [r.lag_s for r in sorted(rows, key=lambda r: r.arrived_at) if r.lag_s is not None]
    third = max(len(by_arrival) // 3, 1)
    p95_first, p95_last = _q(by_arrival[:third], 0.95), _q(by_arrival[-third:], 0.95)
    per_interval = 1 if args.no_sms else 2
    queue_ok = backlog <= per_interval * max(1, math.ceil(_q(lags, 0.95) / args.file_seconds))
    steady = p95_last <= max(2 * p95_first, p95_first + 10)
    keeps_up = queue_ok and steady and _q(lags, 0.95) <= 60
    print()
    print("| figure | value |")
    print("|---|---|")
    print(f"| province | {args.lines:,} lines, {counts['sim_days']} simulated days, sim {counts['sim_seconds']} s (prep {prep_s:.0f} s) |")
    print(f"| stream | {counts['files']} CDR files of {counts['per_file']:,} every {args.file_seconds} s"
          f"{'' if args.no_sms else ' + as many SMS files'} for {fed_s:.0f} s |")
    print(f"| offered | {offered:,.0f} CDRs/s ({counts['cdr']:,} CDRs, {counts['sms']:,} SMS) |")
    print(f"| files through the monitor | {len(rows)} of {expect} |")
    print(f"| achieved (CDRs taken in ÷ time until the last file was scored) | {achieved:,.0f} CDRs/s; {all_rows / drained_s:,.0f} records/s with SMS |")
    print(f"| backlog when feeding stopped | {backlog} files |")
    print(f"| lag p95, files of the first third / last third | {p95_first:.1f} / {p95_last:.1f} s |")
    print(f"| lag arrival → alerts in DB p50 / p95 / p99 / max | {_q(lags, .5):.1f} / {_q(lags, .95):.1f} / {_q(lags, .99):.1f} / {max(lags, default=float('nan')):.1f} s |")
    print(f"| alerts | {sum(alerts.values())} ({', '.join(f'{k} {v}' for k, v in sorted(alerts.items()))}); suspension orders {orders} |")
    print(f"| monitor RSS peak, first half / second half | {rss_first:,.0f} / {rss_second:,.0f} MiB |")
    print(f"| load average (1 min) at start / end | {load0[0]:.1f} / {load1[0]:.1f} (2 cores, shared) |")
    print(f"| target: keeps up, p95 ≤ 60 s | {'met' if keeps_up else 'NOT met'} |")
    print()
    print("| t (s) | monitor RSS (MiB) | load avg |")
    print("|---|---|---|")
    for t, rss, la in samples:
        print(f"| {t:.0f} | {rss:,.0f} | {la:.1f} |")
    print(json.dumps({"achieved_cdr_per_s": round(achieved), "p50_s": _q(lags, .5), "p95_s": _q(lags, .95),
                      "p99_s": _q(lags, .99), "backlog_files": backlog}))


if __name__ == "__main__":
    main()
