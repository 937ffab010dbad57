"""Tracing for people: masked results, a case from chosen lines through casework, stored reports (both DBs)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from fanzha.casework.tracing import report, service

MOBILE = re.compile(r"(?<!\d)1\d{10}(?!\d)")


def _trace(province, **kw):
    from fanzha.config import get_settings
    from fanzha.privacy import Protector

    g = service.load_graph(province.graph)
    return service.trace(g, [province.seed], params=service.TraceParams(**kw),
                         protector=Protector.from_settings(get_settings()))


def test_result_ranks_the_ring_and_shows_nothing_in_clear(province):
    result = _trace(province, top=20)
    top = {r["msisdn"] for r in result["ranked"]}
    assert len(top & province.ring) >= 0.9 * min(len(province.ring), 20)
    assert result["ranked"][0]["reasons"] and result["ranked"][0]["edge_types"]
    shown = json.dumps({"seeds": result["seeds"], "drawing": result["drawing"],
                        "ranked": [{k: v for k, v in r.items() if k != "msisdn"} for r in result["ranked"]]},
                       ensure_ascii=False)
    assert not MOBILE.search(shown), MOBILE.search(shown).group(0)
    assert province.seed[:3] + "****" + province.seed[7:] in result["seeds"]
    ids = {n["id"] for n in result["drawing"]["nodes"]}
    assert all(re.fullmatch(r"n\d+", i) for i in ids)
    assert all(e["source"] in ids and e["target"] in ids for e in result["drawing"]["edges"])
    assert all(0 <= n["x"] <= 1 and 0 <= n["y"] <= 1 for n in result["drawing"]["nodes"])
    assert sum(n["seed"] for n in result["drawing"]["nodes"]) == 1


def test_edge_type_and_time_filters_change_the_result(province):
    only_id = _trace(province, edge_types=("same_id",), top=50)
    assert all(r["edge_types"] == ["same_id"] for r in only_id["ranked"])
    assert {e["edge_type"] for e in only_id["drawing"]["edges"]} <= {"same_id"}
    from datetime import UTC, datetime

    long_ago = _trace(province, until=datetime(2000, 1, 1, tzinfo=UTC), edge_types=("device", "contact", "cell"))
    assert long_ago["ranked"] == []
    with pytest.raises(ValueError, match="unknown edge type"):
        service.TraceParams(edge_types=("friendship",))
    with pytest.raises(ValueError, match="since is after until"):
        service.TraceParams(since=datetime(2026, 2, 1, tzinfo=UTC), until=datetime(2026, 1, 1, tzinfo=UTC))


def test_unknown_seed_and_missing_graph_are_clear_errors(province, tmp_path):
    from fanzha.privacy import Protector

    g = service.load_graph(province.graph)
    with pytest.raises(ValueError, match="no seed is in the graph") as exc:
        service.trace(g, ["13999999999"], params=service.TraceParams(), protector=Protector(b"k", b"A" * 43 + b"="))
    assert "139****9999" in str(exc.value) and "13999999999" not in str(exc.value)
    with pytest.raises(service.GraphMissing, match="fanzha graph build"):
        service.load_graph(tmp_path / "nowhere")
    with pytest.raises(ValueError):
        service.parse_seeds(" ， ")


def test_charts_come_from_the_graph_traffic_table(province, tmp_path):
    result = _trace(province, top=5)
    charts = service.charts(province.graph, [tmp_path / "no-store"], result["ranked"])
    assert len(charts) == len(result["ranked"])
    assert all('class="calls"' in str(c["svg"]) for c in charts)  # bars drawn, not the "no data" note


def _actor(username="analyst1"):
    from fanzha.casework.auth.principal import Principal

    from fanzha.casework.auth.enums import Role

    return Principal(user_id=None, username=username, roles=frozenset({Role.ANALYST}))


def test_case_from_chosen_lines_and_stored_report(engine, province):
    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    from fanzha.casework.alerts.models import Alert
    from fanzha.casework.audit.models import AuditEvent
    from fanzha.casework.cases import service as cases
    from fanzha.casework.context import work_context
    from fanzha.casework.tracing import flows
    from fanzha.casework.tracing.models import TraceReport
    from fanzha.config import Settings

    ctx = work_context(Settings(graph_dir=province.graph))
    result = _trace(province, top=10)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as db, db.begin():
        run = flows.record_run(db, ctx=ctx, actor=_actor(), result=result)
        case = flows.open_case(db, ctx=ctx, actor=_actor(), run=run, ranks=[1, 2, 999])
        rep = flows.request_report(db, ctx=ctx, actor=_actor(), run=run)
        run_id, case_id, rep_id = run.id, case.id, rep.id
    chosen = {r["msisdn"] for r in result["ranked"][:2]}
    with factory() as db:
        assert set(cases.subject_msisdns(db, case_id=case_id)) == chosen
        alerts = db.execute(select(Alert).where(Alert.detector == "trace")).scalars().all()
        assert {a.subject_key for a in alerts} == chosen and all(a.case_id == case_id for a in alerts)
        ev = json.loads(alerts[0].evidence)
        assert ev["trace_run"] == run_id and ev["ring"] == f"trace:{run_id}" and ev["edge_types"]
        assert all(a.score < 0.97 for a in alerts)  # a lead for review, never auto-suspended by default
        actions = {e.action for e in db.execute(select(AuditEvent)).scalars()}
        assert {"trace.run", "trace.case", "trace.report.request", "alert.raise"} <= actions
        # Opening the same lines again is idempotent: same case, no new alerts.
        again = flows.open_case(db, ctx=ctx, actor=_actor(), run=flows.get_run(db, run_id=run_id), ranks=[1, 2])
        db.commit()
        assert again.id == case_id
        assert len(db.execute(select(Alert).where(Alert.detector == "trace")).scalars().all()) == 2
        with pytest.raises(ValueError, match="choose at least one line"):
            flows.open_case(db, ctx=ctx, actor=_actor(), run=flows.get_run(db, run_id=run_id), ranks=[999])

    from fanzha.jobs import service as jobs

    with factory() as db:
        job_id = db.get(TraceReport, rep_id).job_id
        assert flows.report_state(db, db.get(TraceReport, rep_id)).state == "queued"
    jobs.run(engine, job_id, flows.report_work(engine, ctx=ctx, report_id=rep_id))
    with factory() as db:
        rep = db.get(TraceReport, rep_id)
        state = flows.report_state(db, rep)
        assert state.state == "done" and state.percent == 100, state.error
        assert rep.pdf[:5] == b"%PDF-" and rep.case_id == case_id and len(rep.sha256) == 64
        assert f"案件 #{case_id}" in rep.html and "analyst1" in rep.html
        assert not MOBILE.search(rep.html)
        assert [r.id for r in flows.reports_for_case(db, case_id=case_id)] == [rep_id]


def test_failed_generation_is_recorded_on_the_job_and_nothing_half_stored(engine, province):
    from sqlalchemy.orm import sessionmaker

    from fanzha.casework.context import work_context
    from fanzha.casework.tracing import flows
    from fanzha.casework.tracing.models import TraceReport
    from fanzha.config import Settings
    from fanzha.jobs import service as jobs

    ctx = work_context(Settings(graph_dir=province.graph))
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as db, db.begin():
        run = flows.record_run(db, ctx=ctx, actor=_actor(), result=_trace(province, top=3))
        run.result = "{not json"  # a damaged run cannot be reported; the failure is stored, not raised
        rep = flows.request_report(db, ctx=ctx, actor=_actor(), run=run)
        rep_id, job_id = rep.id, rep.job_id
    jobs.run(engine, job_id, flows.report_work(engine, ctx=ctx, report_id=rep_id))
    with factory() as db:
        rep = db.get(TraceReport, rep_id)
        state = flows.report_state(db, rep)
        assert state.state == "failed" and "JSONDecodeError" in state.error
        assert rep.pdf is None and rep.html is None and rep.finished_at is None


@pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("pdftotext")), reason="poppler-utils missing")
def test_report_pdf_renders_with_selectable_chinese(province, tmp_path):
    from PIL import Image

    result = _trace(province, top=8)
    charts = service.charts(province.graph, [tmp_path], result["ranked"], height=110)
    data = report.report_data(result, charts=charts, generated_by="分析员甲", case_label="案件 #42",
                              run_label="溯源 #7")
    html_path, pdf_path = report.write_files(data, tmp_path)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf_path), str(tmp_path / "p")], check=True)
    img = Image.open(next(tmp_path.glob("p*.png"))).convert("L")
    dark = sum(img.histogram()[:200])
    assert dark > 0.01 * img.width * img.height, "first page is blank"
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    for phrase in ("溯源报告", "分析方法", "关联号码排名及证据", "关联图", "话务趋势", "案件 #42", "分析员甲", "同一证件"):
        assert phrase in text, phrase
    assert result["seeds"][0] in text
    assert not MOBILE.search(text)
    fonts = subprocess.run(["pdffonts", str(pdf_path)], capture_output=True, text=True).stdout
    assert "CJK" in fonts and " yes yes " in fonts  # the CJK font is embedded (subset)
    assert "<svg" in html_path.read_text(encoding="utf-8")
