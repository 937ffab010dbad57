"""Benchmark of the security layer, from one run: password hashing, audit-chain append and verify,
and signed-in page/API requests through the whole stack (in-process, no network).

    python benchmarks/security.py [--events 5000] [--threads 4] [--requests 300] [--url postgresql://…]

Default database: a temporary SQLite file. With --url (an empty database you may write to) it
migrates it first. Argon2 uses the production parameters (t=3, m=64 MiB, p=4).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=5000, help="audit events appended (one transaction each)")
    ap.add_argument("--threads", type=int, default=4, help="concurrent appenders for the contention figure")
    ap.add_argument("--requests", type=int, default=300, help="API lookups and page loads to time")
    ap.add_argument("--url", default=None, help="database URL (default: temporary SQLite file)")
    args = ap.parse_args()

    home = tempfile.mkdtemp(prefix="fanzha-sec-bench-")
    os.environ["FANZHA_HOME"] = home
    url = args.url or f"sqlite:///{home}/bench.db"
    os.environ["FANZHA_DATABASE_URL"] = url

    from fastapi.testclient import TestClient

    from fanzha.casework.audit import service as audit
    from fanzha.casework.auth import flows, service
    from fanzha.casework.auth.principal import Principal
    from fanzha.config import get_settings
    from fanzha.db import engine_for, session_scope
    from fanzha.migrate import upgrade

    upgrade(url)
    settings = get_settings()
    engine = engine_for(url)
    key = audit.chain_key(settings)
    rows: list[tuple[str, str]] = [("database", engine.dialect.name)]

    # Argon2 with production parameters.
    times = []
    for _ in range(5):
        t = time.perf_counter()
        h = service.hash_password("benchmark-password")
        times.append(time.perf_counter() - t)
    rows.append(("Argon2id hash, ms (median of 5)", f"{statistics.median(times) * 1000:.0f}"))
    t = time.perf_counter()
    service._hasher()[0].verify(h, "benchmark-password")
    rows.append(("Argon2id verify, ms", f"{(time.perf_counter() - t) * 1000:.0f}"))

    actor = Principal(user_id=1, username="bench")

    def append(n: int) -> None:
        for i in range(n):
            with session_scope(engine) as db:
                audit.record(db, key=key, actor=actor, action="bench.append", subject_type="line",
                             subject_id=f"1330715{i % 10000:04d}", purpose="benchmark", detail={"i": i})  # fmt: skip

    t = time.perf_counter()
    append(args.events)
    dt = time.perf_counter() - t
    rows.append((f"audit append, 1 writer, events/s ({args.events:,} commits)", f"{args.events / dt:,.0f}"))

    per = max(1, args.events // args.threads)
    threads = [threading.Thread(target=append, args=(per,)) for _ in range(args.threads)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    dt = time.perf_counter() - t
    rows.append((f"audit append, {args.threads} writers, events/s ({per * args.threads:,} commits)",
                 f"{per * args.threads / dt:,.0f}"))  # fmt: skip

    t = time.perf_counter()
    with session_scope(engine) as db:
        result = audit.verify(db, key=key)
    dt = time.perf_counter() - t
    rows.append(("audit verify, events/s", f"{result.checked / dt:,.0f}"))
    rows.append(("audit verify result", f"{'OK' if result.ok else 'BROKEN'} ({result.checked:,} events)"))

    # Whole stack: create_app, sign in by token, API lookups; pages with cookie.
    from fanzha.web.app import create_app

    settings = settings.model_copy(update={"rate_query_per_minute": 10**9, "rate_login_per_minute": 10**9})
    app = create_app(settings)
    with session_scope(engine) as db:
        user = flows.add_user(db, key=key, actor=Principal.system("bench"), username="bench_sup",
                              password="benchmark-password", roles=["supervisor"])  # fmt: skip
        token = service.issue_token(db, user=user, name="bench", days=1)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        lat = []
        for i in range(args.requests):
            t = time.perf_counter()
            r = client.post("/api/lines/search", json={"msisdn": f"133071{i:05d}"}, headers=headers)
            lat.append(time.perf_counter() - t)
            assert r.status_code == 200
        rows.append(("API lookup (token auth + audit event), req/s", f"{len(lat) / sum(lat):,.0f}"))
        rows.append(("API lookup p95 latency, ms", f"{statistics.quantiles(lat, n=20)[18] * 1000:.1f}"))
        page = client.get("/login")
        import re

        csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
        t = time.perf_counter()
        r = client.post("/login", data={"username": "bench_sup", "password": "benchmark-password",
                                        "csrf_token": csrf}, follow_redirects=False)  # fmt: skip
        rows.append(("page login (Argon2 verify + session), ms", f"{(time.perf_counter() - t) * 1000:.0f}"))
        assert r.status_code == 303
        lat = []
        for _ in range(args.requests):
            t = time.perf_counter()
            r = client.get("/audit")
            lat.append(time.perf_counter() - t)
            assert r.status_code == 200
        rows.append(("audit page (session auth, 50 newest events), req/s", f"{len(lat) / sum(lat):,.0f}"))

    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
