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
