"""Changes made from the tracing page, each audited: a trace run, a case opened on chosen lines, a report.

Opening a case goes through casework: the cases service opens (or joins, by line/owner/ring key) one case
with the chosen lines as subjects, and ``raise_alert`` files one alert per line carrying its trace
evidence (score, reasons, edge types), so the case page shows why each line is there.
Reports are page jobs (``fanzha.jobs``: progress polled by the page, failures recorded, a job whose server
stopped reads as interrupted); the HTML and PDF are stored in one final transaction, so a crash leaves the
report without files, never half-stored, and it can simply be requested again.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanzha.casework.alerts.service import raise_alert
from fanzha.casework.audit import service as audit
from fanzha.casework.auth.principal import Principal
from fanzha.casework.cases import flows as case_flows
from fanzha.casework.cases.models import Case
from fanzha.casework.context import WorkContext, utcnow
from fanzha.casework.tracing import service
from fanzha.casework.tracing.models import TraceReport, TraceRun
from fanzha.db import session_scope
from fanzha.jobs import service as jobs
from fanzha.jobs.models import Job

# Trace leads go to review, not straight to a measure: their alert score stays below the default
# auto-suspension threshold (FANZHA_AUTO_SUSPEND_SCORE 0.97) whatever the walk score.
LEAD_SCORE_LOW, LEAD_SCORE_HIGH = 0.5, 0.9


def record_run(db: Session, *, ctx: WorkContext, actor: Principal, result: dict) -> TraceRun:
    run = TraceRun(created_at=utcnow(), created_by=actor.username[:64],
                   seeds_masked=json.dumps(result["seeds"], ensure_ascii=False),
                   params=json.dumps(result["params"]), result=json.dumps(result, ensure_ascii=False, default=str))
    db.add(run)
    db.flush()
    audit.record(db, key=ctx.key, actor=actor, action="trace.run", subject_type="trace_run", subject_id=run.id,
                 detail={"seeds": result["seeds"], "params": result["params"], "ranked": len(result["ranked"])})
    return run


def get_run(db: Session, *, run_id: int) -> TraceRun | None:
    return db.get(TraceRun, run_id)


def result_of(run: TraceRun) -> dict:
    return json.loads(run.result)


def viewed(db: Session, *, ctx: WorkContext, actor: Principal, run: TraceRun) -> None:
    audit.record(db, key=ctx.key, actor=actor, action="trace.view", subject_type="trace_run", subject_id=run.id)


def open_case(db: Session, *, ctx: WorkContext, actor: Principal, run: TraceRun, ranks: list[int],
              include_seeds: bool = False) -> Case:
    """One case for the chosen ranked lines, and the seed lines if asked (ValueError if no rank exists)."""
    result = result_of(run)
    chosen = [r for r in result["ranked"] if r["rank"] in set(ranks)]
    if not chosen:
        raise ValueError("请至少选择一个号码 choose at least one line")
    top = max(r["score"] for r in result["ranked"]) or 1.0
    ring = f"trace:{run.id}"
    title = f"溯源 #{run.id} · {'、'.join(result['seeds'])[:120]}"
    seeds = list(result.get("seed_lines") or []) if include_seeds else []
    case, joined = case_flows.case_for_lines(db, ctx=ctx, msisdns=seeds + [r["msisdn"] for r in chosen],
                                             relation="subject", actor=actor, title=title, keys=[("ring", ring)])
    for r in chosen:
        score = round(LEAD_SCORE_LOW + (LEAD_SCORE_HIGH - LEAD_SCORE_LOW) * r["score"] / top, 3)
        raise_alert(db, source="monitor", subject_type="msisdn", subject=r["msisdn"], detector="trace", score=score,
                    reasons="；".join(r["reasons"])[:3000], actor=actor, settings=ctx.settings,
                    alert_id=f"trace-{run.id}-{r['rank']}",
                    evidence={"ring": ring, "trace_run": run.id, "rank": r["rank"], "walk_score": r["score"],
                              "edge_types": r["edge_types"], "seeds": result["seeds"]})
    case_flows.log(db, case=case, actor=actor, kind="trace.case",
                   note=f"溯源分析 #{run.id}：{len(chosen)} 个关联号码{f'及 {len(seeds)} 个种子号码' if seeds else ''}"
                        f"{'并入本案' if joined else '立案'}")
    run.case_id = case.id
    audit.record(db, key=ctx.key, actor=actor, action="trace.case", subject_type="case", subject_id=case.id,
                 detail={"run": run.id, "lines": len(chosen), "seeds": len(seeds), "joined": joined})
    return case


def request_report(db: Session, *, ctx: WorkContext, actor: Principal, run: TraceRun) -> TraceReport:
    """Queue a report as a page job (launch ``report_work`` with fanzha.jobs after the commit)."""
    job = jobs.create(db, kind="trace_report", title=f"溯源报告 · 溯源 #{run.id}", actor=actor,
                      params={"run": run.id, "case": run.case_id})
    rep = TraceReport(run_id=run.id, case_id=run.case_id, job_id=job.id, requested_by=actor.username[:64],
                      requested_at=utcnow())
    db.add(rep)
    db.flush()
    audit.record(db, key=ctx.key, actor=actor, action="trace.report.request", subject_type="trace_report",
                 subject_id=rep.id, detail={"run": run.id, "case": run.case_id, "job": job.id})
    return rep


def report_work(engine, *, ctx: WorkContext, report_id: int) -> jobs.Work:
    """The job's work: charts, picture, HTML, PDF; stored on the report row in one final transaction."""

    def work(progress: jobs.Progress) -> None:
        from fanzha.casework.tracing import report

        progress.set_total(4)
        with session_scope(engine) as db:
            rep = db.get(TraceReport, report_id)
            run = db.get(TraceRun, rep.run_id)
            result, selected = result_of(run), _case_lines(db, rep.case_id)
            by, run_id, case_id = rep.requested_by, run.id, rep.case_id
        progress.advance(1, "读取关联号码话务")
        charts = service.charts(ctx.settings.graph_path, ctx.settings.record_stores, result["ranked"], height=110)
        progress.advance(1, "绘制关联图，排版报告")
        data = report.report_data(result, charts=charts, generated_by=by, run_label=f"溯源 #{run_id}",
                                  case_label=f"案件 #{case_id}" if case_id else "未立案", selected=selected,
                                  number=f"TR-{run_id:05d}-{report_id:05d}")
        html = report.render_html(data)
        progress.advance(1, "生成 PDF（嵌入中文字体）")
        pdf = report.render_pdf(html)
        with session_scope(engine) as db:
            rep = db.get(TraceReport, report_id)
            rep.html, rep.pdf, rep.sha256, rep.finished_at = html, pdf, hashlib.sha256(pdf).hexdigest(), utcnow()
        progress.advance(1, "完成")

    return work


def _case_lines(db: Session, case_id: int | None) -> set[str]:
    if case_id is None:
        return set()
    from fanzha.casework.cases.service import case_lines

    return {v.msisdn for v in case_lines(db, case_id=case_id)}


def report_state(db: Session, rep: TraceReport) -> jobs.JobStatus:
    return jobs.status(db.get(Job, rep.job_id))


def reports_for_case(db: Session, *, case_id: int) -> list[TraceReport]:
    return list(db.execute(select(TraceReport).where(TraceReport.case_id == case_id)
                           .order_by(TraceReport.id.desc())).scalars())  # fmt: skip


def reports_for_run(db: Session, *, run_id: int) -> list[TraceReport]:
    return list(db.execute(select(TraceReport).where(TraceReport.run_id == run_id)
                           .order_by(TraceReport.id.desc())).scalars())  # fmt: skip


def recent_runs(db: Session, *, limit: int = 20) -> list[TraceRun]:
    return list(db.execute(select(TraceRun).order_by(TraceRun.id.desc()).limit(limit)).scalars())


def downloaded(db: Session, *, ctx: WorkContext, actor: Principal, rep: TraceReport, fmt: str) -> None:
    audit.record(db, key=ctx.key, actor=actor, action="trace.report.read", subject_type="trace_report",
                 subject_id=rep.id, detail={"format": fmt, "case": rep.case_id})
