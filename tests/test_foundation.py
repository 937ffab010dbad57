"""Foundation: settings, CLI help, migrations from empty on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from fanzha.cli import app
from fanzha.config import ConfigError, Settings

REGISTRY_TABLES = {"persons", "lines", "shops", "clerks", "cells"}


def test_cli_help_lists_commands():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("db", "demo"):
        assert name in result.output


def test_every_command_has_help():
    import typer.main

    group = typer.main.get_command(app)
    runner = CliRunner()

    def walk(cmd, path):
        res = runner.invoke(app, [*path, "--help"])
        assert res.exit_code == 0, (path, res.output)
        assert cmd.help or cmd.short_help, f"command {' '.join(path)} has no help text"
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    for name, cmd in group.commands.items():
        walk(cmd, [name])


def test_migrations_create_registry(engine):
    tables = set(inspect(engine).get_table_names())
    assert REGISTRY_TABLES <= tables


def test_default_settings_need_nothing(tmp_path, monkeypatch):
    s = Settings()
    assert s.mode == "development"
    assert s.db_url.startswith("sqlite:///")
    h1, d1 = s.keys()
    h2, d2 = Settings().keys()
    assert (h1, d1) == (h2, d2), "development keys must persist in FANZHA_HOME"


def test_production_without_keys_is_an_error(monkeypatch):
    monkeypatch.setenv("FANZHA_MODE", "production")
    with pytest.raises(ConfigError, match="FANZHA_HASH_KEY"):
        Settings().keys()


def test_config_file(tmp_path, monkeypatch):
    cfg = tmp_path / "c.toml"
    cfg.write_text('database_url = "sqlite:////tmp/x.db"\nlog_level = "DEBUG"\n')
    monkeypatch.setenv("FANZHA_CONFIG", str(cfg))
    s = Settings()
    assert s.db_url == "sqlite:////tmp/x.db" and s.log_level == "DEBUG"
    monkeypatch.setenv("FANZHA_LOG_LEVEL", "WARNING")
    assert Settings().log_level == "WARNING", "environment wins over the file"


def test_opening_the_database_registers_the_whole_schema(tmp_path):
    """A fresh process (like any CLI command) that opens the database must see every table, or cross-domain
    foreign keys (measure orders → appeals) fail at the first flush."""
    import subprocess
    import sys

    code = (
        "from fanzha.db import Base, engine_for\n"
        f"engine_for('sqlite:///{tmp_path / 'x.db'}')\n"
        "from sqlalchemy.orm import configure_mappers; configure_mappers()\n"
        "print(sorted(Base.metadata.tables))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for table in ("lines", "users", "audit_events", "alerts", "cases", "measure_orders", "appeals"):
        assert f"'{table}'" in out, (table, out)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_pooled_postgres_connection_dropped_while_idle_is_replaced_unseen(db_url, monkeypatch):
    """No ping per checkout (one round trip less per request); an idle connection is pinged, and a dead one
    replaced before the request sees it."""
    from sqlalchemy import text

    from fanzha import db
    from fanzha.db import engine_for

    engine = engine_for(db_url)
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    with engine.connect() as conn:  # busy: the same connection, not pinged
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() == pid
    from conftest import _pg_admin

    with _pg_admin() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid  # a new connection, no error


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_statement_deferred_to_the_commit_runs_once_in_order_and_goes_with_a_rollback(db_url):
    """``defer_to_commit``: sent with the COMMIT (one pipeline), or before any later statement of the transaction
    (which then sees its effect), never after a rollback."""
    from pathlib import Path

    from sqlalchemy import text

    from fanzha.db import defer_to_commit, engine_for, session_scope

    engine = engine_for(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE deferred_t (v int)"))
    insert = text("INSERT INTO deferred_t (v) VALUES (:v)")

    def values() -> list[int]:
        with engine.connect() as conn:
            return conn.execute(text("SELECT v FROM deferred_t ORDER BY v")).scalars().all()

    with session_scope(engine) as db:  # at the commit
        defer_to_commit(db.connection(), insert, {"v": 1})
        assert values() == []  # held back: not even sent yet
    assert values() == [1]

    with session_scope(engine) as db:  # a later statement sends it first and sees it
        conn = db.connection()
        defer_to_commit(conn, insert, {"v": 2})
        assert conn.execute(text("SELECT count(*) FROM deferred_t")).scalar() == 2
    assert values() == [1, 2]  # sent once, not again at the commit

    with pytest.raises(RuntimeError), session_scope(engine) as db:  # a rollback drops it
        defer_to_commit(db.connection(), insert, {"v": 3})
        raise RuntimeError("the work failed")
    with session_scope(engine) as db:  # and the connection's next transaction does not inherit it
        db.connection().execute(text("SELECT 1"))
    assert values() == [1, 2]

    with pytest.raises(Exception, match="deferred_missing"), session_scope(engine) as db:  # its error fails the commit
        defer_to_commit(db.connection(), text("INSERT INTO deferred_missing VALUES (1)"), {})
    assert values() == [1, 2]

    sqlite = engine_for("sqlite://")  # in memory: no file, no writer-lock file beside it
    with sqlite.connect() as conn, pytest.raises(ValueError):
        defer_to_commit(conn, insert, {"v": 4})
    assert not Path("sqlite:-writer").exists()


def test_the_web_server_freezes_its_startup_objects_out_of_the_garbage_collector(tmp_path, monkeypatch):
    """Full collections over the ~200 k objects of a started app took 100-190 ms under load (all requests of the
    worker stalled); after startup they are frozen once per process."""
    import os
    import subprocess
    import sys

    code = (
        "import gc\n"
        "from fastapi.testclient import TestClient\n"
        "from fanzha.web.app import create_app\n"
        "assert gc.get_freeze_count() == 0\n"
        "with TestClient(create_app()) as client:\n"
        "    assert client.get('/healthz').status_code == 200\n"
        "    frozen = gc.get_freeze_count()\n"
        "with TestClient(create_app()):\n"
        "    again = gc.get_freeze_count()\n"
        "print(frozen, again)\n"
    )
    env = {**os.environ, "FANZHA_HOME": str(tmp_path), "FANZHA_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    frozen, again = map(int, out.split())
    assert frozen > 50_000  # the app's modules and objects
    assert again <= frozen  # once per process: a second app (tests) freezes nothing more (freed ones leave)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgres_connections_keep_generic_plans_for_prepared_statements_unless_the_url_says_otherwise(db_url):
    from sqlalchemy import text

    from fanzha.db import make_engine

    for url, expected in ((db_url, "force_generic_plan"), (db_url + "?options=-c%20plan_cache_mode%3Dauto", "auto")):
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("SHOW plan_cache_mode")).scalar() == expected
        finally:
            engine.dispose()
