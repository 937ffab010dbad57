"""Market-regulation tips: import with quarantine, numbers linked to lines and alerts, triage, stats, export;
consumer warnings."""

from __future__ import annotations

import io

import pytest
from public_desk_support import OTHER, OWN, write_csv
from sqlalchemy import select

HEADER = ["tip_id", "received_at", "channel", "category", "subject_name", "phone_numbers", "content", "reporter_contact"]


def _rows():
    return [
        ["T1", "2026-10-30T10:00:00+08:00", "12345", "health_claims", "咸宁康寿公司", f"{OWN[0]} {OTHER}",
         "推销保健品说能降血糖", "13900000009"],
        ["T2", "2026-11-02T10:00:00+08:00", "12315", "fake_promotion", "颐和养生馆", "", "免费体检卖理疗仪", ""],
        ["T3", "2026-11-03T10:00:00+08:00", "web", "pyramid_selling", "", OWN[0], "交钱入会发展下线", "a.b@example.cn"],
        ["T4", "2026-11-03T10:00:00+08:00", "fax", "counterfeit", "", "", "x", ""],
        ["T5", "2026-11-03T10:00:00+08:00", "email", "lottery", "", "", "x", ""],
        ["T6", "2026-11-03T10:00:00+08:00", "email", "counterfeit", "", "12", "x", ""],
        ["T7", "2026-11-03T10:00:00+08:00", "email", "counterfeit", "", "", "", ""],
    ]  # fmt: skip


def test_tip_import_links_numbers_and_stats(engine, settings, ctx, actor, own_lines, tmp_path):
    from fanzha.casework.alerts.models import Alert
    from fanzha.casework.market import export, service
    from fanzha.casework.market.importer import import_tips
    from fanzha.casework.market.stats import tip_stats
    from fanzha.db import session_scope

    path = write_csv(tmp_path / "tips.csv", HEADER, _rows())
    s = import_tips(engine, path=path, actor=actor, settings=settings)
    assert s.outcomes["added"] == 3 and s.alerts == 2
    assert s.quarantined == {"channel": 1, "category": 1, "phone_numbers": 1, "content": 1}
    assert import_tips(engine, path=path, actor=actor, settings=settings).outcomes["known"] == 3

    with session_scope(engine) as db:
        t1, t2, t3 = service.queue(db, status="open")[::-1]
        assert t1.tip_id == "T1" and t1.contact_masked == "139****0009" and "13900000009" not in t1.contact_enc
        assert ctx.protector.decrypt(t1.contact_enc) == "13900000009"
        assert t3.contact_masked == "a***@example.cn"
        links = {n.msisdn: n for n in service.number_links(db, tip_id=t1.id)}
        # T1 and T3 are 4 days apart: beyond the 24 h merge window, two primary alerts
        assert links[OWN[0]].own_line and links[OWN[0]].alerts == 2 and links[OWN[0]].case_id is not None
        assert links[OWN[0]].other_tips == 1  # T3 names it too
        assert not links[OTHER].own_line and links[OTHER].alerts == 0
        alerts = db.execute(select(Alert).where(Alert.source == "report")).scalars().all()
        assert {a.detector for a in alerts} == {"tip_health_claims", "tip_pyramid_selling"}

        st = tip_stats(db)
        assert st["total"] == 3 and st["open"] == 3
        assert st["by_category"]["health_claims"] == 1 and st["by_category"]["counterfeit"] == 0
        assert st["by_channel"] == {"12345": 1, "12315": 1, "email": 0, "on_site": 0, "web": 1}
        assert st["by_month"] == {"2026-10": 1, "2026-11": 2}
        assert (st["with_numbers"], st["numbers"], st["own_line_numbers"], st["alerts"]) == (2, 3, 2, 2)
        from datetime import datetime

        assert tip_stats(db, datetime(2026, 11, 1), datetime(2026, 11, 3))["total"] == 1  # naive = CST days

        text = export.to_csv(st).decode("utf-8-sig")
        assert "保健食品虚假宣传（针对老年人）" in text and "2026-10,1" in text
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(export.to_xlsx(st)))
        assert wb.sheetnames == ["按类别", "按渠道", "按月份", "按状态", "汇总"]
        assert [c.value for c in wb["按渠道"]["C"]][1:] == [1, 1, 0, 0, 1]


def test_triage_transitions_and_assignee(engine, ctx, actor, make_officer):
    from fanzha.casework.market import service
    from fanzha.db import session_scope

    with session_scope(engine) as db:
        tip, created, _ = service.intake(db, ctx=ctx, actor=actor, via="officer", data=service.validate(
            {"channel": "on_site", "category": "counterfeit", "content": "假冒保健品"}, require_id=False))  # fmt: skip
        assert created and tip.tip_id.startswith("SCJG-G-") and tip.status == "new"
        with pytest.raises(service.TipError, match="cannot be assigned"):
            service.triage(db, ctx=ctx, tip_id=tip.id, actor=actor, assignee="nobody")
        service.triage(db, ctx=ctx, tip_id=tip.id, actor=actor, assignee="scjg1")
        assert tip.status == "assigned" and tip.assignee == "scjg1"
        with pytest.raises(service.TipError):
            service.triage(db, ctx=ctx, tip_id=tip.id, actor=actor, status="new")
        service.triage(db, ctx=ctx, tip_id=tip.id, actor=actor, status="closed", note="已责令整改")
        with pytest.raises(service.TipError):
            service.triage(db, ctx=ctx, tip_id=tip.id, actor=actor, status="investigating")
        kinds = [e.kind for e in service.timeline(db, tip_id=tip.id)]
        assert kinds == ["intake", "assign", "status", "status", "note"]


@pytest.fixture
def make_officer(engine, monkeypatch):
    from fanzha.casework.auth import service as auth
    from fanzha.casework.auth.enums import Role
    from fanzha.db import session_scope

    monkeypatch.setenv("FANZHA_ARGON2_TIME_COST", "1")  # cheap hashing in tests
    monkeypatch.setenv("FANZHA_ARGON2_MEMORY_KIB", "1024")
    with session_scope(engine) as db:
        auth.create_user(db, username="scjg1", password="correct-horse-battery", roles=[Role.MARKET_REGULATOR])


def test_warnings_publish_and_withdraw(engine, ctx, actor):
    from fanzha.casework.market import warnings
    from fanzha.db import session_scope

    with session_scope(engine) as db:
        with pytest.raises(warnings.WarningError):
            warnings.save(db, ctx=ctx, actor=actor, title=" ", body="x")
        w = warnings.save(db, ctx=ctx, actor=actor, title="警惕免费体检", body="第一段\n\n第二段", category="fake_promotion")
        assert warnings.published(db) == []
        warnings.set_published(db, ctx=ctx, actor=actor, warning_id=w.id, publish=True)
        assert [x.id for x in warnings.published(db)] == [w.id] and warnings.published_one(db, warning_id=w.id)
        warnings.set_published(db, ctx=ctx, actor=actor, warning_id=w.id, publish=False)
        assert warnings.published(db) == [] and warnings.published_one(db, warning_id=w.id) is None
        with pytest.raises(warnings.WarningError):
            warnings.set_published(db, ctx=ctx, actor=actor, warning_id=w.id, publish=False)
