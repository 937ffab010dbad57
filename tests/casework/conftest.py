"""Casework fixtures: a migrated database (SQLite and PostgreSQL), settings, a few registry lines, actors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest


@dataclass(frozen=True)
class Owner:
    id_no: str
    person_id: int
    msisdns: tuple[str, ...]


@pytest.fixture
def settings(db_url):
    from fanzha.config import Settings

    return Settings(bss_retry_base_seconds=0.0, auto_suspend_score=0.97, l3_line_count=3)


@pytest.fixture
def session_factory(engine):
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(bind=engine, expire_on_commit=False)


@pytest.fixture
def owners(engine, settings) -> list[Owner]:
    """Person A owns three lines, B one, C one (enterprise)."""
    from fanzha.casework.measures.models import LineClass
    from fanzha.casework.registry.models import Line, Person, Shop
    from fanzha.db import session_scope
    from fanzha.ids import check_char
    from fanzha.privacy import Protector, mask_id, mask_name

    protector = Protector.from_settings(settings)
    spec = [("张三", "42120219800101001", ("13307150001", "13307150002", "13307150003")),
            ("李四", "42122119900202002", ("18907150004",)),
            ("王五", "42128119950303004", ("15307150005",))]  # fmt: skip
    out = []
    with session_scope(engine) as db:
        db.add(Shop(shop_id="S001", name="咸安营业厅", region_code="421202"))
        for name, first17, numbers in spec:
            id_no = first17 + check_char(first17)
            p = Person(id_hash=protector.hash(id_no), id_enc=protector.encrypt(id_no), id_masked=mask_id(id_no),
                       name_enc=protector.encrypt(name), name_masked=mask_name(name), division_code=id_no[:6])  # fmt: skip
            db.add(p)
            db.flush()
            for m in numbers:
                db.add(Line(msisdn=m, line_type="mobile", person_id=p.id, shop_id="S001", status="active",
                            open_time=datetime(2026, 5, 1, tzinfo=UTC), carrier="telecom"))  # fmt: skip
            out.append(Owner(id_no, p.id, numbers))
        db.add(LineClass(msisdn="15307150005", account_class="enterprise"))
    return out


def _actor(name, *roles):
    from fanzha.casework.auth.principal import Principal

    return Principal(user_id=None, username=name, roles=frozenset(roles), via="test")


@pytest.fixture
def actors():
    from fanzha.casework.auth.enums import Role

    return {
        "system": _actor("detector"),
        "analyst": _actor("ana", Role.ANALYST),
        "l1": _actor("rev1", Role.REVIEWER_L1),
        "l2": _actor("rev2", Role.REVIEWER_L2),
        "l3": _actor("rev3", Role.REVIEWER_L3),
        "clerk": _actor("clerk1", Role.CLERK),
    }
