"""12321 reports: bulk import with quarantine, dedup, idempotent re-import, own-line alerts, SLA, checks, stats."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

import pytest
from public_desk_support import OTHER, OWN, write_csv
from sqlalchemy import func, select

HEADER = ["report_id", "received_at", "channel", "reported_number", "reporter_number", "category", "content"]


def _rows():
    return [
        ["R1", "2026-11-02T10:00:00+08:00", "web", OWN[0], "13900000001", "冒充公检法",
         f"自称公安局民警，说我涉嫌洗钱案，要求把钱转到安全账户，号码{OWN[0]}"],
        # same number, same reporter, 2 h later: a repeat
        ["R2", "2026-11-02T12:00:00+08:00", "app", OWN[0], "13900000001", "冒充公检法", "又打来了，还是说安全账户"],
        # same number, another reporter: a new report (its alert merges into the first)
        ["R3", "2026-11-02T13:00:00", "sms", OWN[0], "13900000002", "贷款诈骗", "无抵押低息贷款，先交手续费"],
        ["R4", "2026-11-03T09:00:00+08:00", "call", f"+86 {OTHER}", "", "冒充客服", "自称快递客服说包裹丢失要理赔"],
        ["R5", "2026-11-03T09:00:00+08:00", "web", "1330715", "13900000003", "", "号码不全"],
        ["R6", "not a time", "web", OWN[1], "", "", "x"],
        ["R7", "2026-11-03T09:00:00+08:00", "fax", OWN[1], "", "", "x"],
        ["", "2026-11-03T09:00:00+08:00", "web", OWN[1], "", "", "x"],
    ]  # fmt: skip


def _import(engine, settings, actor, path):
    from fanzha.casework.reports.importer import import_reports

    return import_reports(engine, path=path, actor=actor, settings=settings)


def test_import_dedups_quarantines_and_alerts_own_lines(engine, settings, actor, own_lines, tmp_path):
    from fanzha.casework.alerts.models import Alert
    from fanzha.casework.reports.models import PublicReport
    from fanzha.db import session_scope

    path = write_csv(tmp_path / "reports.csv", HEADER, _rows())
    s = _import(engine, settings, actor, path)
    assert s.rows == 8
    assert (s.outcomes["added"], s.outcomes["repeat"]) == (3, 1)
    assert s.quarantined == {"reported_number": 1, "received_at": 1, "channel": 1, "report_id": 1}
    assert s.alerts == 2  # R1 and R3 (own line); not the repeat R2, not the other carrier's R4
    with open(s.quarantine_file, encoding="utf-8") as fh:
        bad = list(csv.DictReader(fh))
    assert [b["report_id"] for b in bad] == ["R5", "R6", "R7", ""]
    assert "11 digits" in bad[0]["reason"] and bad[0]["row"] == "5"
    assert oct(s.quarantine_file.stat().st_mode & 0o777) == "0o600"

    with session_scope(engine) as db:
        by_id = {r.report_id: r for r in db.execute(select(PublicReport)).scalars()}
        assert by_id["R2"].status == "duplicate" and by_id["R2"].duplicate_of_id == by_id["R1"].id
        assert by_id["R1"].repeats == 2 and by_id["R3"].repeats == 1
        assert by_id["R1"].own_line and not by_id["R4"].own_line
        assert by_id["R4"].reported_number == OTHER and by_id["R4"].carrier == "中国移动"
        assert by_id["R1"].fraud_type == "police_impersonation" and by_id["R1"].classified_by == "keywords"
        assert by_id["R3"].fraud_type == "loan_credit"
        # naive time = China Standard Time; SLA one hour after receipt
        from fanzha.casework.context import aware

        assert aware(by_id["R3"].received_at) == datetime(2026, 11, 2, 5, 0, tzinfo=UTC)
        assert aware(by_id["R1"].due_at) - aware(by_id["R1"].received_at) == timedelta(hours=1)
        alerts = db.execute(select(Alert).where(Alert.source == "report")).scalars().all()
        assert len(alerts) == 2 and {a.subject for a in alerts} == {OWN[0]}
        primary = [a for a in alerts if a.merged_into_id is None]
        assert len(primary) == 1 and primary[0].hits == 2 and primary[0].case_id == by_id["R1"].case_id
        assert 0.5 <= primary[0].score < settings.auto_suspend_score

    again = _import(engine, settings, actor, path)  # resume / re-run: nothing doubles
    assert again.outcomes["known"] == 4 and again.alerts == 0 and again.added == 0
    with session_scope(engine) as db:
        assert db.execute(select(func.count()).select_from(PublicReport)).scalar_one() == 4
        assert db.execute(select(func.count()).select_from(Alert)).scalar_one() == 2


def test_parquet_and_missing_columns(engine, settings, actor, own_lines, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from fanzha.casework.registry.sources import SourceError

    rows = _rows()[:1]
    pq.write_table(pa.table({h: [r[i] for r in rows] for i, h in enumerate(HEADER)}), tmp_path / "r.parquet")
    assert _import(engine, settings, actor, tmp_path / "r.parquet").outcomes["added"] == 1
    write_csv(tmp_path / "bad.csv", ["report_id", "content"], [["X", "y"]])
    with pytest.raises(SourceError, match="缺少必填列：received_at（收到时间）、channel（举报渠道）、reported_number"):
        _import(engine, settings, actor, tmp_path / "bad.csv")


def test_sla_check_and_stats(engine, settings, ctx, actor, own_lines):
    from fanzha.casework.context import utcnow
    from fanzha.casework.reports import service
    from fanzha.casework.reports.stats import report_stats
    from fanzha.db import session_scope

    now = utcnow()
    with session_scope(engine) as db:
        old = service.intake(db, ctx=ctx, actor=actor, via="api", data=service.validate({
            "report_id": "OLD", "received_at": (now - timedelta(hours=3)).isoformat(), "channel": "web",
            "reported_number": OWN[1], "content": "刷单返利"}))  # fmt: skip
        fresh = service.intake(db, ctx=ctx, actor=actor, via="api", data=service.validate({
            "report_id": "NEW", "received_at": now.isoformat(), "channel": "call", "reported_number": OTHER}))  # fmt: skip
        assert service.is_overdue(old.report) and not service.is_overdue(fresh.report)
        assert [r.report_id for r in service.queue(db)] == ["OLD", "NEW"]  # most urgent first
        stats = report_stats(db, now - timedelta(days=1), None)
        assert (stats["received"], stats["pending"], stats["overdue"], stats["own_line"]) == (2, 2, 1, 1)
        service.check(db, ctx=ctx, report_id=fresh.report.id, status="forwarded", note="移动号码，转交", actor=actor)
        with pytest.raises(service.ReportError):
            service.check(db, ctx=ctx, report_id=fresh.report.id, status="confirmed", note="", actor=actor)
        service.check(db, ctx=ctx, report_id=old.report.id, status="confirmed", note="", actor=actor)
        stats = report_stats(db, now - timedelta(days=1), now + timedelta(minutes=1))
        assert (stats["checked"], stats["checked_in_sla"], stats["pending"]) == (2, 1, 0)
        assert service.is_overdue(old.report)  # checked late stays marked
        assert report_stats(db, now + timedelta(days=1), None)["received"] == 0
