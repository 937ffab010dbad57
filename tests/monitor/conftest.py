"""Monitor fixtures: settings with a drop folder, registry owners for victim warnings, a Monitor factory."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

VICTIMS = {  # msisdn → (birth date, occupation): elderly, student, two ordinary adults
    "18007150001": (date(1950, 3, 1), "retired"),
    "18007150002": (date(2007, 9, 1), "student"),
    "18007150003": (date(1985, 1, 1), "worker"),
    "18007150004": (date(1990, 1, 1), "worker"),
}


@pytest.fixture
def monitor_settings(db_url, tmp_path):
    from fanzha.config import Settings

    return Settings(monitor_drop=tmp_path / "drop", monitor_settle_seconds=0.0, bss_retry_base_seconds=0.0,
                    auto_suspend_score=0.9, monitor_lateness_minutes=30.0)


@pytest.fixture
def victims(engine, monitor_settings):
    from fanzha.casework.registry.models import Line, Person
    from fanzha.db import session_scope
    from fanzha.privacy import Protector

    protector = Protector.from_settings(monitor_settings)
    with session_scope(engine) as db:
        for i, (msisdn, (birth, occupation)) in enumerate(VICTIMS.items()):
            id_no = f"42120219{i:02d}0101001X"
            p = Person(id_hash=protector.hash(id_no), id_enc=protector.encrypt(id_no), id_masked="4212**********001X",
                       birth_date=birth, occupation=occupation)
            db.add(p)
            db.flush()
            db.add(Line(msisdn=msisdn, line_type="mobile", person_id=p.id, status="active",
                        open_time=datetime(2020, 1, 1, tzinfo=UTC)))
    return list(VICTIMS)


@pytest.fixture
def make_monitor(engine, monitor_settings, tmp_path):
    from fanzha.monitor.service import Monitor

    made = []

    def make(**kw):
        mon = Monitor(drop_dir=monitor_settings.monitor_drop, settings=monitor_settings, engine=engine,
                      home=tmp_path / "monitor", threads=1, **kw)
        made.append(mon)
        return mon

    yield make
    for mon in made:
        mon.close()
