"""The demo loads the simulator's police blacklist through the import ``fanzha blacklist import`` runs."""

from __future__ import annotations

import csv
from datetime import date


def test_demo_imports_the_simulated_blacklist_as_the_cli_does(db_url, tmp_path):
    from sqlalchemy import func, select

    from fanzha.casework.blacklist.models import BlacklistEntry
    from fanzha.casework.blacklist.service import expiry
    from fanzha.config import get_settings
    from fanzha.db import engine_for, session_scope
    from fanzha.demo import import_blacklist
    from fanzha.sim import simulate

    out = tmp_path / "sim"
    simulate(lines=800, days=1, seed=5, out=out)
    rows = list(csv.DictReader((out / "blacklist.csv").open(encoding="utf-8")))
    assert rows
    summary = import_blacklist(settings=get_settings(), path=out / "blacklist.csv")
    assert summary.added == len(rows) and summary.quarantined == 0
    in_force = sum(expiry(date.fromisoformat(r["decided_on"]), int(r["ban_years"])) > date.today() for r in rows)
    with session_scope(engine_for(db_url)) as db:
        assert db.scalar(select(func.count()).select_from(BlacklistEntry)) == len(rows)
        assert db.scalar(select(func.count()).select_from(BlacklistEntry).where(BlacklistEntry.status == "active")) \
            == in_force  # fmt: skip
    again = import_blacklist(settings=get_settings(), path=out / "blacklist.csv")
    assert again.added == 0 and again.already_present == len(rows)  # the CLI's import: re-running is safe
