"""Audit chain: same-transaction writes, append-only triggers, tamper/deletion detection, concurrent appends."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from fanzha.casework.audit import service as audit
from fanzha.casework.audit.models import AuditEvent
from fanzha.casework.auth.principal import Principal
from fanzha.config import get_settings
from fanzha.db import session_scope

ACTOR = Principal(user_id=7, username="tester")


@pytest.fixture
def key(db_url):
    return audit.chain_key(get_settings())


def _append(engine, key, n, *, prefix="x"):
    with session_scope(engine) as db:
        for i in range(n):
            audit.record(db, key=key, actor=ACTOR, action=f"{prefix}.act", subject_type="line",
                         subject_id=f"1330715{i:04d}", purpose="测试", detail={"i": i})  # fmt: skip


def _unguarded(engine):
    """Act as an intruder with owner rights: switch the append-only triggers off for this transaction."""
    conn = engine.connect()
    tx = conn.begin()
    if engine.dialect.name == "postgresql":
        conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    else:
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(text("DROP TRIGGER audit_events_no_delete"))
    return conn, tx


def _verify(engine, key):
    with session_scope(engine) as db:
        return audit.verify(db, key=key)


def test_chain_verifies(engine, key):
    _append(engine, key, 5)
    result = _verify(engine, key)
    assert result.ok and result.checked == 5 and result.head_seq == 5


def test_event_rolls_back_with_its_change(engine, key):
    with pytest.raises(RuntimeError):
        with session_scope(engine) as db:
            audit.record(db, key=key, actor=ACTOR, action="doomed")
            raise RuntimeError("the change failed")
    _append(engine, key, 1)
    with session_scope(engine) as db:
        assert [e.seq for e in db.execute(select(AuditEvent)).scalars()] == [1]  # no gap, no orphan event
    assert _verify(engine, key).ok


def test_database_refuses_update_and_delete(engine, key):
    _append(engine, key, 2)
    for stmt in ("UPDATE audit_events SET purpose = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(stmt))
    assert _verify(engine, key).checked == 2


def test_tampered_event_is_named(engine, key):
    _append(engine, key, 6)
    conn, tx = _unguarded(engine)
    conn.execute(text("UPDATE audit_events SET purpose = '无' WHERE seq = 3"))
    tx.commit()
    conn.close()
    result = _verify(engine, key)
    assert not result.ok
    assert result.problems == ["event seq 3: content altered (hash mismatch)"]


def test_rehashed_forgery_breaks_the_link(engine, key):
    """An intruder without the key recomputes a plain SHA-256: the HMAC check and the next link both fail."""
    import hashlib

    _append(engine, key, 4)
    conn, tx = _unguarded(engine)
    forged = hashlib.sha256(b"forged").hexdigest()
    conn.execute(text("UPDATE audit_events SET actor = 'someone', hash = :h WHERE seq = 2"), {"h": forged})
    tx.commit()
    conn.close()
    problems = _verify(engine, key).problems
    assert "event seq 2: content altered (hash mismatch)" in problems
    assert "event seq 3: prev_hash does not link to event 2" in problems


def test_deleted_event_is_named(engine, key):
    _append(engine, key, 6)
    conn, tx = _unguarded(engine)
    conn.execute(text("DELETE FROM audit_events WHERE seq = 4"))
    tx.commit()
    conn.close()
    result = _verify(engine, key)
    assert result.problems == ["event seq 4 missing (deleted)"]


def test_deleted_tail_is_named(engine, key):
    _append(engine, key, 5)
    conn, tx = _unguarded(engine)
    conn.execute(text("DELETE FROM audit_events WHERE seq >= 4"))
    tx.commit()
    conn.close()
    assert _verify(engine, key).problems == ["events seq 4–5 missing at the end (deleted)"]


def test_wrong_key_fails(engine, key):
    _append(engine, key, 2)
    assert not _verify(engine, b"another key").ok


def test_concurrent_appends_form_one_chain(engine, key):
    threads = [threading.Thread(target=_append, args=(engine, key, 15), kwargs={"prefix": f"t{i}"}) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = _verify(engine, key)
    assert result.ok, result.problems
    assert result.checked == 60 and result.head_seq == 60


def test_cli_verify_reports_tampering(engine, key, db_url):
    from fanzha.cli import app

    _append(engine, key, 3)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "3 events" in ok.output
    conn, tx = _unguarded(engine)
    conn.execute(text("UPDATE audit_events SET detail = '{}' WHERE seq = 2"))
    tx.commit()
    conn.close()
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1 and "event seq 2: content altered" in bad.output


def test_search_filters_and_masks(engine, key):
    from fanzha.casework.audit.schemas import AuditQuery

    _append(engine, key, 3, prefix="a")
    _append(engine, key, 2, prefix="b")
    with session_scope(engine) as db:
        found = audit.search(db, query=AuditQuery(action="b."))
        assert [e.seq for e in found] == [5, 4]
        shown = audit.present(found[0])
        assert shown.subject_id == "133****0001"
        assert audit.search(db, query=AuditQuery(action="%")) == []  # LIKE wildcards are escaped
        assert len(audit.search(db, query=AuditQuery(subject_id="13307150000"))) == 2
