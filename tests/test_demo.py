"""The README's main job, end to end on the embedded default (small province to stay fast)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from fanzha.cli import app


@pytest.mark.slow
def test_demo_end_to_end(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "--lines", "3000", "--days", "3", "--seed", "3", "--no-serve"])
    assert result.exit_code == 0, result.output
    home = tmp_path / "home"
    summary = json.loads((home / "detect" / "summary.json").read_text())
    assert summary["subscribers_scored"] > 0 and summary["rows_read_total"] > 0
    assert (home / "detect" / "alerts.csv").stat().st_size > 0
    assert "demo_clerk" in result.output and "demo_supervisor" in result.output
    assert "precision" in result.output
    from sqlalchemy import func, select

    from fanzha.casework.alerts.models import Alert
    from fanzha.casework.cases.models import Case
    from fanzha.config import get_settings
    from fanzha.db import session_scope, engine_for

    with session_scope(engine_for(get_settings().db_url)) as db:
        n_alerts = db.scalar(select(func.count()).select_from(Alert).where(Alert.source == "detector"))
        n_cases = db.scalar(select(func.count()).select_from(Case))
        n_all_alerts = db.scalar(select(func.count()).select_from(Alert))  # detectors + 12321 reports + tips
        from fanzha.casework.market.stats import tip_stats
        from fanzha.casework.market.warnings import published
        from fanzha.casework.reports.stats import report_stats

        reports, tips, warnings = report_stats(db), tip_stats(db), published(db)
    alerts_csv = sum(1 for _ in open(home / "detect" / "alerts.csv", encoding="utf-8")) - 1
    assert 0 < n_alerts <= alerts_csv, (n_alerts, alerts_csv)
    assert 0 < n_cases <= n_all_alerts
    # public desk: every simulated report and tip imported (none quarantined), one warning published
    sim_reports = sum(1 for _ in open(home / "demo" / "reports.csv", encoding="utf-8")) - 1
    assert reports["received"] == sim_reports > 0 and reports["own_line"] > 0 and reports["alerts"] > 0
    assert tips["total"] > 0 and len(warnings) == 1
    # The tracing page's graph is built by the demo where the web app looks for it.
    from fanzha.analytics.graph import Graph

    g = Graph.load(get_settings().graph_path)
    assert g.n_edges > 0 and (get_settings().graph_path / "traffic.parquet").is_file()
    assert g.meta["data_since"] < g.meta["data_until"]

    # The police desk has one approved query and one exported clue batch with feedback (the dashboard counts them).
    from fanzha.casework.police.exports import verify_manifest
    from fanzha.casework.police.models import ClueBatch, ClueFeedback, PoliceQuery

    with session_scope(engine_for(get_settings().db_url)) as db:
        assert [q.status for q in db.execute(select(PoliceQuery)).scalars()] == ["approved"]
        batch = db.execute(select(ClueBatch)).scalar_one()
        assert batch.status == "exported" and batch.line_count > 0
        assert db.scalar(select(func.count()).select_from(ClueFeedback).where(ClueFeedback.batch_id == batch.id)) == 1
        from fanzha.casework.blacklist.models import BlacklistEntry

        # 惩戒名单 holds the simulator's blacklist (every row, none quarantined)
        sim_bans = sum(1 for _ in open(home / "demo" / "blacklist.csv", encoding="utf-8")) - 1
        assert db.scalar(select(func.count()).select_from(BlacklistEntry)) == sim_bans > 0
    assert verify_manifest(home / batch.folder).ok
    # The approved query covers call summaries and devices, read from the demo's call-record store.
    from fanzha.casework.police import service as police_service
    from fanzha.privacy import Protector

    with session_scope(engine_for(get_settings().db_url)) as db:
        q = db.execute(select(PoliceQuery)).scalar_one()
        res = police_service.result(db, q=q, protector=Protector.from_settings(get_settings()),
                                    stores=get_settings().record_stores)  # fmt: skip
    sections = {s.scope: s for s in res.sections}
    assert sections["calls"].rows and sections["devices"].rows

    # The last day went through the 24×7 monitor as mediation drops: every record read, lag stored per file.
    from datetime import UTC, datetime, timedelta

    from fanzha.casework.monitor.models import MonitorFile
    from fanzha.casework.monitor.service import lag_stats

    last_day = sorted((home / "demo" / "cdr").glob("*.csv"))[-1]
    day_cdrs = sum(1 for _ in open(last_day, encoding="utf-8")) - 1
    with session_scope(engine_for(get_settings().db_url)) as db:
        cdr_rows = db.scalar(select(func.sum(MonitorFile.rows_read)).where(MonitorFile.kind == "cdr"))
        now = datetime.now(UTC)
        lag = lag_stats(db, now - timedelta(hours=1), now + timedelta(minutes=1))
    assert cdr_rows == day_cdrs > 0
    assert lag["files"] >= 2 and lag["p50_s"] is not None and lag["p50_s"] >= 0
    assert "monitor: files / rows" in result.output

    # The week's call records are in the store the pages read: an alerted line has traffic for its case page,
    # counted once although the monitor stored its last day again.
    from fanzha.casework.cases.traffic import from_store

    assert "store cdr: stored / quarantined" in result.output
    with session_scope(engine_for(get_settings().db_url)) as db:
        line = db.execute(select(Alert.subject).where(Alert.source == "detector", Alert.subject_type == "msisdn")
                          .order_by(Alert.id).limit(1)).scalar_one()  # fmt: skip
    points = from_store(get_settings().record_stores, line)
    week = sum(1 for f in (home / "demo" / "cdr").glob("*.csv") for r in open(f, encoding="utf-8") if line in r.split(",")[1])
    assert points and sum(p.calls for p in points) == week
    # A case whose measure went through shows on its traffic chart where the measure took effect.
    from fanzha.casework.auth import service as auth_service
    from fanzha.casework.cases import present
    from fanzha.casework.cases.models import Case
    from fanzha.casework.measures.models import MeasureOrder

    with session_scope(engine_for(get_settings().db_url)) as db:
        order = db.execute(select(MeasureOrder).where(MeasureOrder.status == "done", MeasureOrder.case_id.is_not(None))
                           .order_by(MeasureOrder.id).limit(1)).scalar_one()  # fmt: skip
        reviewer = auth_service.principal_for(auth_service.get_user(db, username="demo_reviewer_l2"), via="cli")
        file = present.case_file(db, case=db.get(Case, order.case_id), principal=reviewer, settings=get_settings())
    assert any('class="mark"' in str(chart) for _, chart in file.charts)
