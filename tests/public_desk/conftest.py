"""Public-desk fixtures: a migrated database (SQLite and PostgreSQL), settings, two own lines, a work context."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from public_desk_support import OWN


@pytest.fixture
def settings(db_url):
    from fanzha.config import Settings

    return Settings(auto_suspend_score=0.99)


@pytest.fixture
def ctx(settings):
    from fanzha.casework.context import work_context

    return work_context(settings)


@pytest.fixture
def own_lines(engine, ctx):
    from fanzha.casework.registry.models import Line, Person
    from fanzha.db import session_scope
    from fanzha.ids import check_char
    from fanzha.privacy import mask_id

    first17 = "42120219800101001"
    id_no = first17 + check_char(first17)
    with session_scope(engine) as db:
        p = Person(id_hash=ctx.protector.hash(id_no), id_enc=ctx.protector.encrypt(id_no), id_masked=mask_id(id_no))
        db.add(p)
        db.flush()
        for m in OWN:
            db.add(Line(msisdn=m, line_type="mobile", person_id=p.id, status="active",
                        open_time=datetime(2026, 5, 1, tzinfo=UTC), carrier="telecom"))  # fmt: skip
    return OWN


@pytest.fixture
def actor():
    from fanzha.casework.auth.principal import Principal

    return Principal.system("test-import")

