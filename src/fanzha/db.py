"""Database plumbing shared by the registry and casework: engine, sessions, declarative base.

SQLite (file) is the embedded default, PostgreSQL the production choice; the URL decides.
Nothing connects at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
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


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _sqlite_begin_immediate(conn, cursor, statement, parameters, context, executemany) -> None:
    """Start write transactions with BEGIN IMMEDIATE.

    The driver would open them with a deferred BEGIN at the first write; in WAL mode a writer that finds
    the database changed while it waited for the lock then fails at once with "database is locked"
    (SQLITE_BUSY_SNAPSHOT, busy_timeout does not apply). BEGIN IMMEDIATE takes the write lock first, so
    concurrent writers (web workers, loaders) queue for up to busy_timeout instead. Reads stay lock-free.
    """
    raw = conn.connection.driver_connection
    if not raw.in_transaction and statement.lstrip()[:7].upper().startswith(_WRITES):
        raw.execute("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "before_cursor_execute", _sqlite_begin_immediate)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True, **kwargs)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    # Foreign keys between domains (e.g. measure orders → appeals) resolve only when every table is
    # registered, so whoever opens the application database gets the whole schema.
    import fanzha.casework.models  # noqa: F401

    return make_engine(url)


def get_engine() -> Engine:
    from fanzha.config import get_settings

    return engine_for(get_settings().db_url)


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
