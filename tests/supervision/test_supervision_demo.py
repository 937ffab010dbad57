"""What the demo promises the dashboard: decided cases (three levels, three people), an upheld appeal that
restored its line, a week of history on the casework clock and nothing dated after the present."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]


def test_demo_casework_week(demo):
    from fanzha.casework.appeals.models import Appeal
    from fanzha.casework.cases.models import Case
    from fanzha.casework.measures.models import MeasureOrder
    from fanzha.casework.registry.models import Line
    from fanzha.db import engine_for, session_scope
    from fanzha.supervision import kpis
    from fanzha.supervision.filters import make_filter

    now = datetime.now(UTC)
    with session_scope(engine_for(demo.settings.db_url)) as db:
        l3 = list(db.execute(select(Case).where(Case.l3_by.is_not(None))).scalars())
        assert l3 and all(len({c.l1_by, c.l2_by, c.l3_by}) == 3 for c in l3)
        assert db.scalar(select(func.count()).select_from(Case).where(Case.state == "actioned")) > len(l3)
        upheld = db.execute(select(Appeal).where(Appeal.status == "upheld")).scalar_one()
        assert upheld.decided_by == "demo_reviewer_l2" and db.get(Line, upheld.msisdn).status == "active"
        restore = db.execute(select(MeasureOrder).where(MeasureOrder.appeal_id == upheld.id)).scalar_one()
        assert restore.measure == "restore" and restore.status == "done"
        assert db.scalar(select(func.count()).select_from(Appeal).where(Appeal.status == "rejected")) == 1
        latest = db.scalar(select(func.max(MeasureOrder.done_at)))
        assert latest.replace(tzinfo=UTC) <= now if latest.tzinfo is None else latest <= now
        lines = kpis.shut_lines(db, make_filter())
        assert len({ln.day for ln in lines}) >= 2  # the replayed week, not one burst at demo time
        assert all(ln.lag_seconds is None or ln.lag_seconds >= 0 for ln in lines)
        overdue = {r.key: r.overdue for r in kpis.backlog(db, make_filter(), now=now)}
        assert overdue["cases_open"] > 0  # cases left in the L1 queue days ago are past their SLA


def test_replay_clock_is_scoped():
    from fanzha.casework.context import replay_clock, utcnow

    then = datetime(2026, 11, 1, 8, tzinfo=UTC)
    with replay_clock(then) as clock:
        assert utcnow() == then
        clock.set(then + timedelta(hours=1))
        assert utcnow() == then + timedelta(hours=1)
    assert abs((utcnow() - datetime.now(UTC)).total_seconds()) < 5
