"""Benchmark of the counter-gate check API under a steady load, from one run.

    python benchmarks/onboarding.py [--lines 2000000] [--rate 200] [--duration 60] [--workers 2] [--postgres | --url URL]

Builds a registry of LINES lines (about two per person, 200 shops, 2,000 clerks, 1 % shut down for fraud)
and a history of earlier counter checks (one per five persons, 2 days to 3 years old) with a direct bulk insert, a police blacklist of 1,000 persons, and 20 clerk accounts with API tokens.
Then serves the app with uvicorn in a separate process on 127.0.0.1 and sends POST /api/onboarding/checks
at a fixed RATE (open loop: each request's latency counts from its scheduled send time, so a slow server
cannot hide its queueing) for DURATION seconds after a short warm-up, from a lean HTTP/1.1 keep-alive client on
asyncio (uvloop when installed) on loopback. Prints p50/p95/p99/max latency, achieved rate, errors, the decisions
and the verdict against the target (p99 <= 50 ms at the rate asked, no errors).

Default database: a temporary SQLite file. ``--postgres`` creates (and afterwards drops) a database on the
PostgreSQL at $FANZHA_TEST_PG (default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

from _processes import cpu_of  # noqa: E402

DIVISIONS = ("421202", "421221", "421222", "421223", "421224", "421281")
SHOPS, CLERKS_PER_SHOP, USERS = 200, 10, 20
BLACKLISTED = 1000
HISTORY_EVERY = 5  # one past counter check per this many persons


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PREFIX: dict[int, tuple[str, int]] = {}


def person_id(i: int) -> str:
    """A valid, unique ID number for person i (deterministic, so requests can name existing persons).

    The check character is the weighted digit sum mod 11 (as ``fanzha.ids.check_char``), split into a cached
    sum over division + birth date and the sum over the sequence, so a million IDs take about a second."""
    key = i % 120000
    hit = _PREFIX.get(key)
    if hit is None:
        born = date(1950, 1, 1) + timedelta(days=(i // 6) % 20000)
        prefix = f"{DIVISIONS[i % 6]}{born:%Y%m%d}"
        hit = _PREFIX[key] = (prefix, sum(int(d) * w for d, w in zip(prefix, _WEIGHTS)))
    seq = f"{(i // 120000) % 1000:03d}"
    total = hit[1] + int(seq[0]) * 8 + int(seq[1]) * 4 + int(seq[2]) * 2
    return hit[0] + seq + _CHECK[total % 11]


def _chunks(n: int, size: int):
    for start in range(0, n, size):
        yield start, min(n, start + size)


def load(url: str, lines: int, progress) -> float:
    """Bulk insert shops, clerks, persons and lines; returns seconds taken."""
    from fanzha.config import get_settings
    from fanzha.db import make_engine
    from fanzha.privacy import Protector

    protector = Protector.from_settings(get_settings())
    name_enc = protector.encrypt("测试")  # one token for all: the check decrypts and compares names
    persons = (lines + 1) // 2
    t0 = time.perf_counter()
    engine = make_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        pg = engine.dialect.name == "postgresql"
        ph = "%s" if pg else "?"

        def insert(table: str, cols: tuple[str, ...], rows) -> None:
            if pg:
                with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
                    for r in rows:
                        cp.write_row(r)
            else:
                cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join([ph] * len(cols))})", rows)

        insert("shops", ("shop_id", "name", "region_code"),
               [(f"S{s:04d}", f"营业厅{s}", DIVISIONS[s % 6]) for s in range(SHOPS)])  # fmt: skip
        insert("clerks", ("clerk_id", "shop_id", "name"),
               [(f"c{s:04d}_{k}", f"S{s:04d}", None) for s in range(SHOPS) for k in range(CLERKS_PER_SHOP)])  # fmt: skip
        raw.commit()
        history = []  # past counter checks of every HISTORY_EVERY-th person, as a running system has them
        for a, b in _chunks(persons, 50_000):
            ids = [person_id(i) for i in range(a, b)]
            hashes = protector.hash_many(ids)
            rows = [(i + 1, h, "x", n[:4] + "*" * 10 + n[-4:], name_enc, "测*", n[:6])
                    for i, n, h in zip(range(a, b), ids, hashes)]  # fmt: skip
            insert("persons", ("id", "id_hash", "id_enc", "id_masked", "name_enc", "name_masked", "division_code"), rows)
            raw.commit()
            history.extend((r[1], r[3], r[6]) for r in rows[::HISTORY_EVERY])
            progress("persons", b, persons)
        import numpy as np

        rng = np.random.default_rng(7)
        base = datetime(2023, 1, 1, tzinfo=UTC)
        statuses = np.array(["active", "cancelled", "shutdown"])
        for a, b in _chunks(lines, 100_000):
            n = b - a
            shops = rng.integers(SHOPS, size=n).tolist()
            clerks = rng.integers(CLERKS_PER_SHOP, size=n).tolist()
            u = rng.random(n)
            status = statuses[(u < 0.06).astype(int) + (u < 0.01).astype(int)].tolist()  # 1 % shutdown, 5 % cancelled
            types = np.where(rng.random(n) < 0.9, "mobile", "fixed").tolist()
            minutes = rng.integers(3 * 365 * 24 * 60, size=n).tolist()
            opened = [base + timedelta(minutes=m) for m in minutes]
            if not pg:
                opened = [t.strftime("%Y-%m-%d %H:%M:%S.000000") for t in opened]
            rows = [(f"133{j:08d}", types[k], j // 2 + 1, opened[k], f"S{shops[k]:04d}", f"c{shops[k]:04d}_{clerks[k]}",
                     status[k], "telecom") for k, j in enumerate(range(a, b))]  # fmt: skip
            insert("lines", ("msisdn", "line_type", "person_id", "open_time", "shop_id", "clerk_id", "status", "carrier"),
                   rows)  # fmt: skip
            raw.commit()
            progress("lines", b, lines)
        # Counter checks of earlier days (all before the rules' time windows): the checks table has a history and
        # the database its statistics, as in a running system, instead of starting the measurement empty.
        past = rng.integers(2 * 24 * 60, 3 * 365 * 24 * 60, size=len(history)).tolist()
        now = datetime.now(UTC)
        cols = ("created_at", "shop_id", "clerk", "person_hash", "id_masked", "name_masked", "name_enc", "age",
                "division_code", "requested", "requested_total", "purpose", "decision", "reasons", "status", "checklist")
        for a, b in _chunks(len(history), 100_000):
            rows = []
            for k in range(a, b):
                h, masked, division = history[k]
                at = now - timedelta(minutes=past[k])
                shop = k % SHOPS
                rows.append((at if pg else at.strftime("%Y-%m-%d %H:%M:%S.%f"), f"S{shop:04d}", f"c{shop:04d}_{k % CLERKS_PER_SHOP}",
                             h, masked, "测*", name_enc, 40, division, '{"mobile": 1}', 1, "本人使用", "pass", "[]",
                             "completed", "telecom"))  # fmt: skip
            insert("onboarding_checks", cols, rows)
            raw.commit()
            progress("past checks", b, len(history))
        if pg:
            cur.execute("SELECT setval(pg_get_serial_sequence('persons', 'id'), (SELECT max(id) FROM persons))")
            raw.commit()
            # What autovacuum and the checkpointer would have done long before in a running system: the first
            # reads of freshly copied rows would otherwise set their hint bits (writing pages) and a checkpoint
            # of the load's WAL would start during the measurement.
            driver = raw.driver_connection
            driver.autocommit = True
            driver.execute("VACUUM (ANALYZE)")
            driver.execute("CHECKPOINT")
            driver.autocommit = False
        else:
            cur.execute("ANALYZE")
            raw.commit()
            # Fold the bulk load's WAL into the database file and truncate it, so the checks do not start on
            # a write-ahead log of hundreds of MB (each read would search its index; the first checkpoints
            # under load would copy it back while checks wait).
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()
        engine.dispose()
    return time.perf_counter() - t0


def setup_accounts(url: str, persons: int) -> list[str]:
    """Blacklist 1,000 persons (through the real import) and create clerk accounts; returns API tokens."""
    from fanzha.casework.audit.service import chain_key
    from fanzha.casework.auth import flows as auth_flows
    from fanzha.casework.auth import service as auth_service
    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.blacklist import flows as bl_flows
    from fanzha.config import get_settings
    from fanzha.db import engine_for, session_scope
    from fanzha.privacy import Protector

    settings = get_settings()
    key, protector = chain_key(settings), Protector.from_settings(settings)
    engine = engine_for(url)
    home = Path(os.environ["FANZHA_HOME"])
    csv_path = home / "police.csv"
    rnd = random.Random(11)
    with csv_path.open("w", encoding="utf-8") as fh:
        fh.write("id_no,name,case_no,decided_on,ban_years,keep_msisdn\n")
        for k, i in enumerate(rnd.sample(range(persons), BLACKLISTED)):
            fh.write(f"{person_id(i)},测试,BENCH-{k},2026-01-05,5,\n")
    tokens = []
    with session_scope(engine) as db:
        bl_flows.import_csv(db, key=key, protector=protector, actor=Principal.system("bench"), path=csv_path)
    for u in range(USERS):
        shop = u * (SHOPS // USERS)
        with session_scope(engine) as db:
            # The username is the registry clerk_id, so the clerk-risk check finds the clerk's lines.
            auth_flows.add_user(db, key=key, actor=Principal.system("bench"), username=f"c{shop:04d}_0",
                                password="benchmark-password", roles=["clerk"], shops=[f"S{shop:04d}"])  # fmt: skip
        with session_scope(engine) as db:
            user = auth_service.get_user(db, username=f"c{shop:04d}_0")
            tokens.append(auth_service.issue_token(db, user=user, name="bench", days=1))
    return tokens


def _cpu_of(server_pid: int) -> tuple[float, float]:
    """(CPU seconds of the server and its worker processes, of this load-generating process, of PostgreSQL)."""
    import psutil

    server = psutil.Process(server_pid)
    total = 0.0
    for proc in [server, *server.children(recursive=True)]:
        try:
            t = proc.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    me = psutil.Process().cpu_times()
    return total, me.user + me.system, _postgres_cpu()


def _postgres_cpu() -> float:
    """CPU seconds of the local PostgreSQL server's processes so far (0 when none is visible)."""
    return cpu_of(lambda cmd: cmd.startswith("postgres:") or "/bin/postgres " in cmd)


def _server_stack() -> str:
    """What uvicorn picks with http/loop "auto": httptools and uvloop when installed, else h11 and asyncio."""
    import importlib.util

    have = lambda m: importlib.util.find_spec(m) is not None  # noqa: E731
    return f"{'httptools' if have('httptools') else 'h11'}, {'uvloop' if have('uvloop') else 'asyncio'}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Http:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams for the load generator.

    httpx costs several ms of CPU per request and its pool degrades with many waiting requests; on a
    2-core machine that CPU is taken from the server under test. This client writes a prepared request
    and reads one Content-Length response: about a tenth of the CPU. Connections are reused LIFO and
    opened on demand up to ``limit``; a request waiting for a connection is still timed from its
    scheduled send time. Connections idle for ``IDLE_S`` are closed before the server's keep-alive
    timeout (uvicorn: 5 s) can close them under a request."""

    IDLE_S = 2.0

    def __init__(self, host: str, port: int, limit: int = 256) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.opened, self.limit = 0, limit
        self.freed = asyncio.Condition()

    async def _take(self):
        async with self.freed:
            while not self.idle and self.opened >= self.limit:
                await self.freed.wait()
            stale = time.monotonic() - self.IDLE_S
            while self.idle and self.idle[0][2] < stale:  # the oldest idle ones sit at the bottom
                self.idle.pop(0)[1].close()
                self.opened -= 1
            if self.idle:
                return self.idle.pop()[:2]
            self.opened += 1
        try:
            return await asyncio.open_connection(self.host, self.port)
        except OSError:
            await self._drop()
            raise

    async def _give(self, conn) -> None:
        async with self.freed:
            self.idle.append((*conn, time.monotonic()))
            self.freed.notify()

    async def _drop(self) -> None:
        async with self.freed:
            self.opened -= 1
            self.freed.notify()

    async def post(self, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        conn = await self._take()
        reader, writer = conn
        try:
            writer.write(
                f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
            )
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            length, close = 0, False
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "connection" and value.strip().lower() == "close":
                    close = True
            payload = await reader.readexactly(length)
        except BaseException:
            writer.close()
            await self._drop()
            raise
        if close:
            writer.close()
            await self._drop()
        else:
            await self._give(conn)
        return status, payload

    async def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()


async def run_load(host: str, port: int, tokens: list[str], persons: int, rate: float, duration: float,
                   warmup: float):  # fmt: skip
    rnd = random.Random(3)
    latencies: list[float] = []
    slices: dict[int, list[float]] = {}  # latencies by 10-s slice of the measured phase (send time)
    errors: Counter[str] = Counter()
    decisions: Counter[str] = Counter()
    path = "/api/onboarding/checks"

    def body() -> bytes:
        i = rnd.randrange(persons) if rnd.random() < 0.9 else persons + rnd.randrange(10**6)
        n = 3 if rnd.random() < 0.05 else 1
        return json.dumps({"id_no": person_id(i), "name": "测试", "purpose": "本人使用",
                           "lines": [{"line_type": "mobile", "count": n}]}, ensure_ascii=False).encode()  # fmt: skip

    client = _Http(host, port)
    # First requests load lazy data (division names, rules, staff shares of the clerks' shops) in each
    # worker: one by one, unmeasured, so the open-loop phase starts on a warm server.
    sequential = []
    for k in range(4 * len(tokens)):
        t = time.perf_counter()
        await client.post(path, body(), tokens[k % len(tokens)])
        sequential.append(time.perf_counter() - t)
    service_time = statistics.median(sequential[len(sequential) // 2:])

    total = int((warmup + duration) * rate)
    plan = [(body(), rnd.choice(tokens)) for _ in range(total)]  # prepared up front: the sender only sends

    async def one(scheduled: float, payload: bytes, token: str, count: bool) -> None:
        try:
            status, answer = await asyncio.wait_for(client.post(path, payload, token), timeout=30)
            elapsed = time.perf_counter() - scheduled
            if count:
                if status == 200:
                    latencies.append(elapsed)
                    slices.setdefault(int((scheduled - t0 - warmup) // 10), []).append(elapsed)
                    decisions[json.loads(answer)["decision"]] += 1
                else:
                    errors[f"HTTP {status}"] += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError) as exc:
            if count:
                errors[type(exc).__name__] += 1

    tasks = []
    # The generator must not stall itself: with its collector on, full collections of its own heap (the plan,
    # the finished tasks: some 200 k objects by the end) ran about once a minute and delayed the answers being
    # read, which then counted as the server's slowest. Its garbage goes by reference counting; cycles wait.
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for k, (payload, token) in enumerate(plan):
            scheduled = t0 + k / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(scheduled, payload, token, k >= warmup * rate)))
        await asyncio.gather(*tasks)
    finally:
        gc.enable()
        gc.unfreeze()
    wall = time.perf_counter() - t0 - warmup
    await client.close()
    worst = [max(v) for _, v in sorted(slices.items())]
    return latencies, errors, decisions, wall, service_time, len(sequential), worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=2_000_000, help="registry lines to load (default 2,000,000)")
    ap.add_argument("--rate", type=float, default=200, help="requests per second to send (default 200)")
    ap.add_argument("--duration", type=float, default=60, help="seconds of measured load (default 60)")
    ap.add_argument("--warmup", type=float, default=5, help="seconds of unmeasured load first (default 5)")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2: one per core)")
    ap.add_argument("--postgres", action="store_true", help="use a fresh database on the local PostgreSQL")
    ap.add_argument("--url", default=None, help="an EMPTY database URL to use instead (it is migrated)")
    args = ap.parse_args()

    home = tempfile.mkdtemp(prefix="fanzha-onb-bench-")
    os.environ["FANZHA_HOME"] = home
    # The accounts' passwords are never used here: cheap Argon2 keeps the set-up short (tokens are SHA-256).
    os.environ["FANZHA_ARGON2_TIME_COST"], os.environ["FANZHA_ARGON2_MEMORY_KIB"] = "1", "1024"
    pg_name = None
    admin = os.environ.get("FANZHA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    if args.url:
        url = args.url
    elif args.postgres:
        import psycopg

        pg_name = f"fanzha_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        url = admin.rsplit("/", 1)[0] + "/" + pg_name
    else:
        url = f"sqlite:///{home}/bench.db"
    os.environ["FANZHA_DATABASE_URL"] = url
    server = None
    try:
        from rich.progress import Progress

        from fanzha.migrate import upgrade

        upgrade(url)
        with Progress() as bar:
            tasks: dict[str, int] = {}

            def progress(what: str, done: int, total: int) -> None:
                if what not in tasks:
                    tasks[what] = bar.add_task(f"loading {what}", total=total)
                bar.update(tasks[what], completed=done)

            load_s = load(url, args.lines, progress)
        persons = (args.lines + 1) // 2
        tokens = setup_accounts(url, persons)

        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(SRC), "FANZHA_DATABASE_URL": url, "FANZHA_HOME": home}
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "fanzha.web.app:create_app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning", "--no-access-log", "--workers", str(args.workers)], env=env)  # fmt: skip
        import httpx

        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise SystemExit("server did not start")
        cpu0, load0 = _cpu_of(server.pid), os.getloadavg()[0]
        try:
            import uvloop

            run = uvloop.run
        except ImportError:
            run = asyncio.run
        lat, errors, decisions, wall, service_time, warm, worst = run(
            run_load("127.0.0.1", port, tokens, persons, args.rate, args.duration, args.warmup))
        (server_cpu, client_cpu, pg_cpu), load1 = [b - a for a, b in zip(cpu0, _cpu_of(server.pid))], os.getloadavg()[0]
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        from fanzha.db import engine_for

        engine_for.cache_clear()
        if pg_name:
            import psycopg

            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(home, ignore_errors=True)

    sent = int((args.warmup + args.duration) * args.rate) + warm  # the CPU figures cover all of them
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) >= 2 else [float("nan")] * 99
    ms = lambda v: f"{v * 1000:.1f}"  # noqa: E731
    rows = [
        ("database", "postgresql" if url.startswith("postgresql") else "sqlite"),
        ("lines loaded", f"{args.lines:,}"),
        ("load time, s (bulk insert)", f"{load_s:.1f}"),
        ("uvicorn workers (http, loop)", f"{args.workers} ({_server_stack()})"),
        ("one request alone, ms (median, warm)", ms(service_time)),
        ("target rate, req/s", f"{args.rate:g}"),
        ("measured duration, s", f"{args.duration:g}"),
        ("answered OK", f"{len(lat):,}"),
        ("achieved rate, req/s", f"{len(lat) / wall:.1f}"),
        ("server CPU per request, ms (all workers)", f"{server_cpu / sent * 1000:.2f}"),
        ("server CPU s / load generator CPU s", f"{server_cpu:.1f} / {client_cpu:.1f}"),
        *([("PostgreSQL CPU per request, ms", f"{pg_cpu / sent * 1000:.2f}")] if url.startswith("postgresql") else []),
        ("load average before -> after (cores)", f"{load0:.1f} -> {load1:.1f} ({os.cpu_count()})"),
        ("errors", f"{sum(errors.values())}" + (f" ({dict(errors)})" if errors else "")),
        ("p50 latency, ms", ms(q[49])),
        ("p95 latency, ms", ms(q[94])),
        ("p99 latency, ms", ms(q[98])),
        ("max latency, ms", ms(max(lat)) if lat else "nan"),
        ("max latency by 10-s slice, ms", " ".join(ms(v) for v in worst)),
        ("decisions", ", ".join(f"{k} {v}" for k, v in sorted(decisions.items()))),
        ("target: p99 <= 50 ms at the rate, no errors",
         "MET" if lat and q[98] <= 0.050 and not errors and len(lat) / wall >= 0.98 * args.rate else "NOT MET"),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
