"""Benchmark: `fanzha load` of subscriber rows into SQLite and a fresh PostgreSQL database.

    python benchmarks/load.py                 # 2,000,000 rows (the issue's target: < 60 s per backend)
    python benchmarks/load.py --rows 200000   # quicker

Generates contract-valid rows (IDs via fanzha.ids.make_id, ~1.5 lines per person), writes one CSV,
then for each backend: migrate an empty database, load (timed), load the same file again (timed;
must change nothing), and prints one table of the measured figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from fanzha.ids import make_id  # noqa: E402
from _processes import cpu_of  # noqa: E402

HUBEI = ["421202", "421221", "421222", "421223", "421224", "421281", "420102", "420106", "420111", "422301"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华")
MOBILE_PREFIXES = ["133", "153", "173", "177", "180", "181", "189", "191", "199", "130", "186", "138", "139", "158"]


def generate(rows: int, out: Path, seed: int = 7) -> Path:
    rng = np.random.default_rng(seed)
    n_persons = max(1, int(rows / 1.5))
    born = date(1940, 1, 1)
    span = (date(2008, 12, 31) - born).days
    divisions = rng.choice(HUBEI, n_persons)
    days = rng.integers(0, span, n_persons)
    seqs = rng.integers(0, 1000, n_persons)
    persons = [make_id(d, born + timedelta(days=int(x)), int(s)) for d, x, s in zip(divisions, days, seqs)]
    names = [
        SURNAMES[a] + GIVEN[b] + (GIVEN[c] if c < len(GIVEN) else "")
        for a, b, c in zip(rng.integers(0, len(SURNAMES), n_persons), rng.integers(0, len(GIVEN), n_persons),
                           rng.integers(0, 2 * len(GIVEN), n_persons))
    ]
    owner = np.concatenate([np.arange(n_persons), rng.integers(0, n_persons, rows - n_persons)])[:rows]
    rng.shuffle(owner)
    # Unique numbers: 94% mobile, 4% fixed (0715), 2% IoT; drawn without replacement per block.
    kinds = rng.choice(3, rows, p=[0.94, 0.04, 0.02])
    msisdn = np.empty(rows, dtype=object)
    n_mobile = int((kinds == 0).sum())
    per_prefix = -(-n_mobile // len(MOBILE_PREFIXES))
    mob = []
    for p in MOBILE_PREFIXES:
        mob += [f"{p}{x:08d}" for x in rng.choice(100_000_000, per_prefix, replace=False)]
    msisdn[kinds == 0] = mob[:n_mobile]
    msisdn[kinds == 1] = [f"0715{x}" for x in rng.choice(np.arange(2_000_000, 9_000_000), int((kinds == 1).sum()), replace=False)]
    msisdn[kinds == 2] = [f"1440{x:09d}" for x in rng.choice(10**9, int((kinds == 2).sum()), replace=False)]
    opened = np.datetime64("2015-01-01T00:00:00") + rng.integers(0, 11 * 365 * 86400, rows).astype("timedelta64[s]")
    shops = rng.integers(0, 2000, rows)
    table = pa.table({
        "msisdn": msisdn.tolist(),
        "line_type": np.array(["mobile", "fixed", "iot"])[kinds].tolist(),
        "id_no": [persons[i] for i in owner],
        "owner_name": [names[i] for i in owner],
        "open_time": [t + "+08:00" for t in np.datetime_as_string(opened, unit="s").tolist()],
        "shop_id": [f"S{s:04d}" for s in shops],
        "clerk_id": [f"C{s:04d}{k}" for s, k in zip(shops, rng.integers(0, 5, rows))],
        "status": rng.choice(["active", "suspended", "shutdown", "cancelled"], rows, p=[0.9, 0.03, 0.02, 0.05]).tolist(),
        "imsi": [f"46011{x:010d}" if k == 0 else "" for x, k in zip(rng.integers(0, 10**10, rows), kinds)],
        "occupation": rng.choice(["", "student", "retired", "worker", "farmer", "teacher"], rows).tolist(),
    })
    path = out / "subscribers.csv"
    pacsv.write_csv(table, path)
    return path


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the hashing/encryption pool)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _server_cpu(url: str) -> float:
    """CPU seconds of the PostgreSQL backends serving URL's database (the load's pooled connection stays
    open until the engine is disposed, so its backend's counters cover the whole load)."""
    if not url.startswith("postgresql"):
        return 0.0
    name = url.rsplit("/", 1)[-1]
    return cpu_of(lambda cmd: cmd.startswith("postgres:") and f" {name} " in cmd)


def run(url: str, csv_path: Path, home: Path) -> tuple:
    from fanzha.casework.registry.load import load_subscribers
    from fanzha.config import Settings
    from fanzha.migrate import upgrade

    upgrade(url)
    settings = Settings(home=home)
    cpu0, load0 = _cpu(), os.getloadavg()[0]
    first = load_subscribers(csv_path, url=url, settings=settings, progress=False)
    cpu, server, load1 = _cpu() - cpu0, _server_cpu(url), os.getloadavg()[0]
    print(f"  {url.split(':')[0]}: first load {first.seconds:.1f} s, {cpu:.1f} CPU s (+ {server:.1f} database server), "
          f"load average {load0:.1f} -> {load1:.1f}", flush=True)
    second = load_subscribers(csv_path, url=url, settings=settings, progress=False)
    return first.seconds, second.seconds, cpu, server, (load0, load1), first, second


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=2_000_000, help="subscriber rows to generate and load")
    ap.add_argument("--pg", default=os.environ.get("FANZHA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
                    help="PostgreSQL admin URL (a fresh database is created and dropped)")
    ap.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    ap.add_argument("--keep", type=Path, help="folder to keep the generated CSV in and reuse on the next run")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="fanzha-bench-") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        keep = args.keep / f"subscribers-{args.rows}" if args.keep else None
        if keep and (keep / "subscribers.csv").is_file():
            csv_path = keep / "subscribers.csv"
        else:
            if keep:
                keep.mkdir(parents=True, exist_ok=True)
            csv_path = generate(args.rows, keep or tmp)
        gen_s = time.perf_counter() - t0
        size_mb = csv_path.stat().st_size / 1e6
        print(f"generated {args.rows:,} rows ({size_mb:.0f} MB CSV) in {gen_s:.1f} s; cores: {os.cpu_count()}, "
              f"load average at start: {os.getloadavg()[0]:.2f}", flush=True)
        results = []
        for backend in args.backends.split(","):
            if backend == "sqlite":
                url = f"sqlite:///{tmp / 'bench.db'}"
                results.append(("sqlite", *run(url, csv_path, tmp / "home-sqlite")))
            elif backend == "postgresql":
                import psycopg

                name = f"fanzha_bench_{uuid.uuid4().hex[:8]}"
                admin = psycopg.connect(args.pg, autocommit=True)
                admin.execute(f'CREATE DATABASE "{name}"')
                try:
                    url = f"{args.pg.rsplit('/', 1)[0]}/{name}"
                    results.append(("postgresql", *run(url, csv_path, tmp / "home-pg")))
                finally:
                    from fanzha.db import engine_for

                    engine_for.cache_clear()
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    admin.close()
        print()
        print(f"{'backend':<11} {'rows':>10} {'load s':>8} {'rows/s':>10} {'CPU s':>7} {'server CPU s':>12} "
              f"{'load avg':>11} {'persons':>9} {'reload s':>9} {'reload rows/s':>13} {'reload changed':>14} {'< 60 s':>6}")
        for backend, s1, s2, cpu, server, (la0, la1), first, second in results:
            print(f"{backend:<11} {first.read:>10,} {s1:>8.1f} {first.read / s1:>10,.0f} {cpu:>7.1f} {server:>12.1f} "
                  f"{f'{la0:.1f}->{la1:.1f}':>11} {first.persons_new:>9,} {s2:>9.1f} {second.read / s2:>13,.0f} "
                  f"{second.loaded + second.persons_updated:>14,} {'yes' if s1 < 60 else 'NO':>6}")
        print(f"\nload average at end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (shared with other work: "
              "figures may be depressed)")
        print("CPU s = this process + its hashing/encryption pool; server CPU s = the PostgreSQL backend of the load")


if __name__ == "__main__":
    main()
