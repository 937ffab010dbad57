"""Shared fixtures. Database tests run on SQLite and on the real PostgreSQL at 127.0.0.1:5432.

`db_url` gives each test a fresh, migrated database: a SQLite file, or a PostgreSQL database
cloned from a migrated template (CREATE DATABASE … TEMPLATE is much faster than migrating).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

PG_ADMIN = os.environ.get("FANZHA_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_admin():
    import psycopg

    return psycopg.connect(PG_ADMIN.replace("postgresql+psycopg", "postgresql"), autocommit=True)


def _pg_url(dbname: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0]
    return f"{base}/{dbname}"


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    """Every test gets its own FANZHA_HOME, so no test reads another's keys or files."""
    from fanzha.config import reset_settings

    monkeypatch.setenv("FANZHA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FANZHA_DATABASE_URL", raising=False)
    monkeypatch.delenv("FANZHA_CONFIG", raising=False)
    reset_settings()
    yield
    reset_settings()


@pytest.fixture(scope="session")
def pg_template():
    """A migrated PostgreSQL database used as the template for each test's database."""
    from fanzha.migrate import upgrade

    name = f"fanzha_tmpl_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _pg_url(name)
    upgrade(url)
    from fanzha.db import engine_for

    yield name
    engine_for.cache_clear()
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path, monkeypatch):
    """A fresh migrated database, once on SQLite and once on PostgreSQL; also set as FANZHA_DATABASE_URL."""
    from fanzha.config import reset_settings
    from fanzha.db import engine_for

    if request.param == "sqlite":
        from fanzha.migrate import upgrade

        url = f"sqlite:///{tmp_path / 'test.db'}"
        upgrade(url)
        name = None
    else:
        template = request.getfixturevalue("pg_template")
        name = f"fanzha_t_{uuid.uuid4().hex[:12]}"
        with _pg_admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        url = _pg_url(name)
    monkeypatch.setenv("FANZHA_DATABASE_URL", url)
    reset_settings()
    yield url
    engine = engine_for(url)
    engine.dispose()
    engine_for.cache_clear()
    if name:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(db_url):
    from fanzha.db import engine_for

    return engine_for(db_url)
