"""Benchmark: the casework path on SQLite (and PostgreSQL with --pg): alert import with merging and
grouping, the three-level review, and order dispatch through the file adapter (one BSS file per order).

    python benchmarks/casework.py                  # 2,000 alerts on 1,500 lines, SQLite
    python benchmarks/casework.py --alerts 10000   # more
    python benchmarks/casework.py --pg postgresql://postgres@127.0.0.1:5432/postgres   # also PostgreSQL

Prints one table of measured figures from one run per backend.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def make_registry(engine, settings, n_lines: int) -> list[str]:
    from fanzha.casework.registry.models import Line, Person
    from fanzha.db import session_scope
    from fanzha.ids import check_char
    from fanzha.privacy import Protector, mask_id

    protector = Protector.from_settings(settings)
    numbers = []
    with session_scope(engine) as db:
        for i in range(0, n_lines, 3):  # three lines per owner
            first17 = f"421202{1970 + i % 40}0101{i % 1000:03d}"
            id_no = first17 + check_char(first17)
            p = Person(id_hash=protector.hash(f"{id_no}{i}"), id_enc=protector.encrypt(id_no), id_masked=mask_id(id_no))
            db.add(p)
            db.flush()
            for j in range(3):
                m = f"133{i + j:08d}"
                db.add(Line(msisdn=m, line_type="mobile", person_id=p.id, status="active"))
                numbers.append(m)
    return numbers[:n_lines]


def write_alerts(path: Path, numbers: list[str], n: int, seed: int = 3) -> None:
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["alert_id", "subject_type", "subject", "detector", "score", "severity", "event_time", "reasons",
                    "evidence"])  # fmt: skip
        for i in range(n):
            m = rng.choice(numbers)
            score = round(rng.random(), 3)
            hour = rng.randrange(0, 72)
            w.writerow([f"a{i}", "msisdn", m, rng.choice(["fraud_caller", "simbox", "resold_card"]), score, "",
                        f"2026-05-{1 + hour // 24:02d}T{hour % 24:02d}:00:00+08:00", "benchmark",
                        json.dumps({"imei": f"86{rng.randrange(10**4):013d}"})])  # fmt: skip


def run(url: str, label: str, n_alerts: int, n_lines: int, home: Path) -> list[tuple[str, str, str]]:
    from fanzha.casework.alerts.importer import import_alerts
    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.cases import flows
    from fanzha.casework.cases.models import Case
    from fanzha.casework.context import work_context
    from fanzha.casework.measures.dispatch import dispatch_orders
    from fanzha.config import Settings
    from fanzha.db import make_engine, session_scope
    from fanzha.migrate import upgrade
    from sqlalchemy import select

    upgrade(url)
    engine = make_engine(url)
    settings = Settings(home=home, database_url=url, auto_suspend_score=0.99)
    numbers = make_registry(engine, settings, n_lines)
    path = home / "alerts.csv"
    write_alerts(path, numbers, n_alerts)
    system = Principal.system("bench")

    t = time.perf_counter()
    first = import_alerts(engine, path=path, actor=system, settings=settings)
    t_import = time.perf_counter() - t
    t = time.perf_counter()
    again = import_alerts(engine, path=path, actor=system, settings=settings)
    t_again = time.perf_counter() - t

    with session_scope(engine) as db:
        open_ids = list(db.execute(select(Case.id).where(Case.state == "open").order_by(Case.id)).scalars())
    ctx = work_context(settings)
    l1 = Principal(user_id=None, username="r1", roles=frozenset({"reviewer_l1"}))
    l2 = Principal(user_id=None, username="r2", roles=frozenset({"reviewer_l2"}))
    sample = open_ids[:200]
    t = time.perf_counter()
    for cid in sample:
        with session_scope(engine) as db:
            flows.transition(db, ctx=ctx, case_id=cid, action="l1_verify", actor=l1)
        with session_scope(engine) as db:
            flows.transition(db, ctx=ctx, case_id=cid, action="l2_approve", actor=l2, measure="suspend")
    t_review = time.perf_counter() - t
    t = time.perf_counter()
    sent = dispatch_orders(engine, settings=settings)
    t_dispatch = time.perf_counter() - t
    from fanzha.casework.measures.models import MeasureOrder
    from sqlalchemy import func

    with session_scope(engine) as db:
        done = db.execute(select(func.count()).select_from(MeasureOrder).where(MeasureOrder.status == "done")).scalar_one()
    engine.dispose()
    return [
        (label, "alerts imported (merged + grouped)", f"{first.imported:,} ({first.merged:,} merged) into "
         f"{len(first.cases):,} cases in {t_import:.2f} s = {first.imported / t_import:,.0f} alerts/s"),
        (label, "re-import of the same file (idempotent)", f"{again.duplicates:,} skipped, {again.imported} new, "
         f"{t_again:.2f} s"),
        (label, "L1 + L2 review transitions", f"{2 * len(sample)} transitions in {t_review:.2f} s = "
         f"{2 * len(sample) / t_review:,.0f}/s"),
        (label, "orders dispatched (file adapter)", f"{sent.sent:,} ({first.orders:,} auto-suspensions + approvals) in "
         f"{t_dispatch:.2f} s = {sent.sent / max(t_dispatch, 1e-9):,.0f} orders/s; failed {sent.failed}"),
        (label, "BSS files written", f"{len(list((home / 'bss').glob('*.csv'))):,} files for {done:,} orders done"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=2000, help="alerts in the generated alerts.csv")
    parser.add_argument("--lines", type=int, default=1500, help="registry lines the alerts point at")
    parser.add_argument("--pg", default=None, help="PostgreSQL admin URL: also run on a fresh database there")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "sqlite"
        home.mkdir()
        os.environ["FANZHA_HOME"] = str(home)
        rows += run(f"sqlite:///{home / 'bench.db'}", "SQLite", args.alerts, args.lines, home)
        if args.pg:
            import psycopg

            name = f"fanzha_bench_{uuid.uuid4().hex[:8]}"
            admin = args.pg.replace("postgresql+psycopg", "postgresql")
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            try:
                home = Path(tmp) / "pg"
                home.mkdir()
                rows += run(f"{admin.rsplit('/', 1)[0]}/{name}", "PostgreSQL", args.alerts, args.lines, home)
            finally:
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    width = max(len(r[1]) for r in rows)
    print(f"{'backend':<11} {'measure':<{width}}  result")
    for backend, what, result in rows:
        print(f"{backend:<11} {what:<{width}}  {result}")
    print(f"(cpu count {os.cpu_count()}; machine shared with other jobs, figures may be depressed)")


if __name__ == "__main__":
    main()
