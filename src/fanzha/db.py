"""Database plumbing shared by the registry and casework: engine, sessions, declarative base.

SQLite (file) is the embedded default, PostgreSQL the production choice; the URL decides.
Nothing connects at import time.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

try:
    import fcntl
except ImportError:  # not on Windows: writers then queue with SQLite's busy handler alone
    fcntl = None

from sqlalchemy import MetaData, create_engine, event, exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


# A SAVEPOINT outside a transaction opens one (deferred): it always precedes writes here (begin_nested).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOI")


_threads_writing = threading.local()  # writer-lock files held by the current thread


class WriterQueueConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions queue on an OS file lock beside the database.

    SQLite lets one writer in at a time; the others wait in its busy handler, which polls with sleeps of
    1, 2, 5 … up to 100 ms, so under steady concurrent writes (counter checks at 200/s from several
    workers) a waiter oversleeps the moment the lock is free and the tail latency climbs to tens of ms.
    ``flock`` on ``<database>-writer`` instead blocks in the kernel and wakes the next writer as soon
    as the previous one commits or rolls back. Readers never take it (WAL readers do not block).
    The SQLite lock still guards everything: a writer that does not use this class just polls as before.
    """

    _writer_fd: int | None = None
    _writer_path = ""
    _writer_held = False
    _writer_owner: set = frozenset()

    def attach_writer_lock(self, path: str) -> None:
        if fcntl is not None:
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._writer_path = path

    def begin_write(self) -> None:
        """BEGIN IMMEDIATE, after taking the writer lock (released at commit, rollback or close).

        A thread that already writes through another connection to the same file skips the queue (it would
        wait for itself forever); SQLite's busy timeout then ends that wait with an error, as without it."""
        held = _threads_writing.__dict__.setdefault("paths", set())
        if self._writer_fd is not None and not self._writer_held and self._writer_path not in held:
            fcntl.flock(self._writer_fd, fcntl.LOCK_EX)  # blocks without the GIL
            self._writer_held, self._writer_owner = True, held  # the commit may come from another thread
            held.add(self._writer_path)
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._writer_held:
            self._writer_held = False
            self._writer_owner.discard(self._writer_path)
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._release_writer()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release_writer()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release_writer()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None


def _sqlite_begin_immediate(conn, cursor, statement, parameters, context, executemany) -> None:
    """Start write transactions with BEGIN IMMEDIATE (queued on the writer lock, see WriterQueueConnection).

    The driver would open them with a deferred BEGIN at the first write; in WAL mode a writer that finds
    the database changed while it waited for the lock then fails at once with "database is locked"
    (SQLITE_BUSY_SNAPSHOT, busy_timeout does not apply). BEGIN IMMEDIATE takes the write lock first, so
    concurrent writers (web workers, loaders) queue instead. Reads stay lock-free.
    """
    raw = conn.connection.driver_connection
    if not raw.in_transaction and statement.lstrip()[:7].upper().startswith(_WRITES):
        if isinstance(raw, WriterQueueConnection):
            raw.begin_write()
        else:
            raw.execute("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""  # "sqlite://" is an in-memory database
        on_disk = bool(path) and path != ":memory:" and not path.startswith("file:") and "?" not in path
        if on_disk:
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
            connect_args = {"factory": WriterQueueConnection, **kwargs.pop("connect_args", {})}
            kwargs["connect_args"] = connect_args
        engine = create_engine(url, **kwargs)
        if on_disk:
            lock_path = os.path.abspath(path) + "-writer"

            @event.listens_for(engine, "connect")
            def _writer_lock(dbapi_conn, _record) -> None:
                if isinstance(dbapi_conn, WriterQueueConnection):
                    dbapi_conn.attach_writer_lock(lock_path)

        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "before_cursor_execute", _sqlite_begin_immediate)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if "options=" not in url:  # a URL's own ``?options=-c ...`` replaces ours
        kwargs["connect_args"] = {"options": PG_OPTIONS, **kwargs.get("connect_args", {})}
    engine = create_engine(url, **kwargs)
    event.listen(engine, "checkin", _mark_idle)
    event.listen(engine, "checkout", _ping_if_idle)
    event.listen(engine, "before_cursor_execute", _send_deferred)
    event.listen(engine, "commit", _commit_with_deferred)
    event.listen(engine, "rollback", _drop_deferred)
    return engine


_DEFERRED = "fanzha_deferred"


def defer_to_commit(conn: Connection, statement, params: dict) -> None:
    """Run the Core ``statement`` with ``params`` as the transaction's last statement.

    On PostgreSQL it is held back and sent together with the COMMIT in one pipeline: one round trip, and the
    row locks the transaction holds are released by the server without waiting for this thread (and its turn
    at the GIL) again. A statement run on the connection before the commit sends it first, so later statements
    see it; a rollback drops it. PostgreSQL (psycopg) only: elsewhere the caller runs the statement itself."""
    if conn.dialect.name != "postgresql":
        raise ValueError("defer_to_commit needs PostgreSQL")
    compiled = _driver_sql(statement, conn.dialect)
    conn.info.setdefault(_DEFERRED, []).append((compiled.string, compiled.construct_params(params)))


@lru_cache(maxsize=64)
def _driver_sql(statement, dialect):
    """``statement`` compiled once for ``dialect``: the driver's SQL text and the parameters it binds."""
    compiled = statement.compile(dialect=dialect)
    if compiled._bind_processors:  # values would need SQLAlchemy's conversion, which the driver call skips
        raise ValueError("defer_to_commit takes statements whose parameters the driver binds as they are")
    return compiled


def _send_deferred(conn, _cursor, _statement, _parameters, _context, _executemany) -> None:
    pending = conn.info.pop(_DEFERRED, None)
    if pending:
        driver = conn.connection.driver_connection
        for sql, params in pending:
            driver.execute(sql, params)


def _commit_with_deferred(conn) -> None:
    pending = conn.info.pop(_DEFERRED, None)
    if pending:
        driver = conn.connection.driver_connection
        with driver.pipeline():
            for sql, params in pending:
                driver.execute(sql, params)
            driver.commit()  # the dialect's commit that follows finds no open transaction: a no-op


def _drop_deferred(conn) -> None:
    conn.info.pop(_DEFERRED, None)


# Session settings of fanzha's PostgreSQL connections. psycopg prepares a statement once a connection has run it
# five times; PostgreSQL then re-plans it for every execution while the "custom" plans look cheaper than the
# generic one, which they never did for the counter check's one read of the facts: 0.36 ms of planning on each
# 0.1 ms execution. fanzha's repeated statements are index lookups whose best plan does not depend on the
# values, so prepared statements keep one generic plan (PostgreSQL CPU per check 2.0 -> 1.2-1.5 ms). Statements run
# fewer times are planned per execution as before.
PG_OPTIONS = "-c plan_cache_mode=force_generic_plan"


# A pooled PostgreSQL connection idle this long is pinged before use (a restarted server or a dropped
# connection is then replaced unseen). Busy connections are not: a ping per checkout (pool_pre_ping) was one
# extra round trip on every counter check.
IDLE_PING_SECONDS = 5.0


def _mark_idle(_dbapi_conn, record) -> None:
    record.info["idle_since"] = time.monotonic()
    record.info.pop(_DEFERRED, None)  # a transaction the pool reset: its held-back statement goes with it


def _ping_if_idle(dbapi_conn, record, _proxy) -> None:
    since = record.info.get("idle_since")
    if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
        return
    autocommit = dbapi_conn.autocommit
    try:
        dbapi_conn.autocommit = True  # one round trip, outside any transaction
        dbapi_conn.execute("SELECT 1")
        dbapi_conn.autocommit = autocommit
    except Exception as e:  # noqa: BLE001 - any failure means a dead connection
        # The pool discards this connection and checks out (or opens) another one.
        raise exc.DisconnectionError("connection was closed while idle") from e


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    # Foreign keys between domains (e.g. measure orders → appeals) resolve only when every table is
    # registered, so whoever opens the application database gets the whole schema.
    import fanzha.casework.models  # noqa: F401

    return make_engine(url)


def get_engine() -> Engine:
    from fanzha.config import get_settings

    return engine_for(get_settings().db_url)


def core(session: Session) -> Connection:
    """The session's connection, for hot-path Core statements built once: rows without the ORM's result
    machinery, in the session's transaction. Pending ORM changes are flushed first, as ``session.execute``
    would (autoflush), so a statement sees what the session has done."""
    if session.autoflush:
        session.flush()
    return session.connection()


@contextmanager
def session_scope(engine: Engine | None = None, *, factory: sessionmaker | None = None) -> Iterator[Session]:
    """A transaction: commit on success, roll back on any error, so nothing is half-written.

    ``factory`` reuses a configured sessionmaker (the web app keeps one); else one is bound to ``engine``.
    """
    factory = factory or sessionmaker(bind=engine or get_engine(), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
