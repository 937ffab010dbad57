"""Concurrent writers on the SQLite default: they queue for the write lock instead of failing.

Without BEGIN IMMEDIATE, a deferred transaction that finds the WAL database changed while it waited
fails at once with "database is locked" (seen at 200 counter checks/s)."""

from __future__ import annotations

import threading

from sqlalchemy import text

from fanzha.db import make_engine


def test_concurrent_read_then_write_transactions_all_commit(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}", pool_size=8)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE head (id INTEGER PRIMARY KEY, seq INTEGER)"))
        conn.execute(text("CREATE TABLE events (seq INTEGER PRIMARY KEY)"))
        conn.execute(text("INSERT INTO head VALUES (1, 0)"))
    errors: list[Exception] = []
    start = threading.Barrier(4)

    def writer() -> None:
        start.wait()
        for _ in range(10):
            try:
                with engine.begin() as conn:
                    conn.execute(text("SELECT count(*) FROM events")).scalar()  # a read first, as a check does
                    seq = conn.execute(text("UPDATE head SET seq = seq + 1 WHERE id = 1 RETURNING seq")).scalar()
                    conn.execute(text("INSERT INTO events VALUES (:s)"), {"s": seq})
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), max(seq) FROM events")).one() == (40, 40)
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_a_waiting_writer_queues_on_the_writer_lock_not_the_busy_timeout(tmp_path):
    """The second writer waits as long as the first holds the write transaction (here 0.5 s, ten times its
    busy timeout) and goes on the moment it commits: it queues on the writer lock, not in SQLite's polling."""
    import time

    from sqlalchemy import event

    engine = make_engine(f"sqlite:///{tmp_path / 'q.db'}", pool_size=4)

    @event.listens_for(engine, "connect")
    def _short_busy(dbapi_conn, _record) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout = 50")

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    holding, done = threading.Event(), {}

    def second() -> None:
        holding.wait()
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (2)"))
        done["waited"] = time.perf_counter() - t0

    other = threading.Thread(target=second)
    other.start()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
        holding.set()
        time.sleep(0.5)
    other.join(timeout=10)
    assert 0.3 < done["waited"] < 5
    with engine.connect() as conn:
        assert [r[0] for r in conn.execute(text("SELECT n FROM t ORDER BY rowid"))] == [1, 2]
    assert (tmp_path / "q.db-writer").exists()
    engine.dispose()
