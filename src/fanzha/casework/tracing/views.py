"""溯源分析 pages: the trace form, a run (graph, ranked list, traffic), a case from chosen lines, reports."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, BackgroundTasks, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from fanzha.analytics.graph.kinds import EDGE_TYPES, EDGE_ZH
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.cases.views import ctx_of, send_orders
from fanzha.casework.context import input_time
from fanzha.casework.tracing import flows, service
from fanzha.casework.types import Text
from fanzha.jobs import service as jobs
from fanzha.web import nav
from fanzha.web.deps import Db, RowId, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
nav.register(nav.NavItem("溯源分析", "/trace", Permission.ALERT_READ, 32))
# The stored report is a self-contained document without scripts: allow its own inline styles, nothing else.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'self'; sandbox"


def _times(info: dict, *keys: str) -> dict:
    """ISO strings as datetimes, so templates show them in Beijing time (the `cst` filter)."""
    return {**info, **{k: datetime.fromisoformat(info[k]) for k in keys if info.get(k)}}


def _graph_state(request: Request) -> tuple[dict | None, str | None]:
    try:
        info = service.graph_info(service.load_graph(request.app.state.settings.graph_path))
    except service.GraphMissing as exc:
        return None, str(exc)
    return _times(info, "data_since", "data_until", "built_at"), None


def _form_page(request: Request, db, *, error: str | None = None, form: dict | None = None, status: int = 200):
    info, missing = _graph_state(request)
    return render(request, "trace.html", {
        "graph": info, "missing": missing, "error": error, "edge_types": [(t, EDGE_ZH[t]) for t in EDGE_TYPES],
        "form": form or {"edge_types": list(EDGE_TYPES), "top": 30, "hops": 4},
        "runs": [{"id": r.id, "at": r.created_at, "by": r.created_by, "seeds": r.seeds_masked, "case_id": r.case_id}
                 for r in flows.recent_runs(db)]}, status_code=status)  # fmt: skip


@router.get("/trace", include_in_schema=False)
def trace_page(request: Request, db: Db, _: Principal = Depends(require(Permission.ALERT_READ))):
    return _form_page(request, db)


def _time(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        return input_time(datetime.fromisoformat(value))
    except ValueError:
        raise ValueError("时间格式无效，应为 2026-11-05T08:00 invalid time") from None


@router.post("/trace", include_in_schema=False)
def trace_run(
    request: Request,
    db: Db,
    seeds: Text = Form(max_length=2000),
    edge_type: list[str] = Form(default=[]),
    since: Text = Form(default="", max_length=40),
    until: Text = Form(default="", max_length=40),
    top: int = Form(default=30, ge=1, le=200),
    hops: int = Form(default=4, ge=1, le=6),
    who: Principal = Depends(require(Permission.ALERT_READ, rate="query")),
):
    form = {"edge_types": edge_type, "since": since, "until": until, "top": top, "hops": hops}
    try:
        if not edge_type:
            raise ValueError("请至少选择一种关联类型 choose at least one edge type")
        params = service.TraceParams(edge_types=tuple(edge_type[: len(EDGE_TYPES)]), since=_time(since),
                                     until=_time(until), hops=hops, top=top)  # fmt: skip
        g = service.load_graph(request.app.state.settings.graph_path)
        result = service.trace(g, service.parse_seeds(seeds), params=params, protector=request.app.state.protector)
    except (ValueError, service.GraphMissing) as exc:
        # The seeds are not echoed back: they are personal data.
        return _form_page(request, db, error=str(exc), form=form, status=422)
    run = flows.record_run(db, ctx=ctx_of(request), actor=who, result=result)
    db.commit()
    return RedirectResponse(f"/trace/runs/{run.id}", status_code=303)


def _run_or_404(db, run_id: int):
    run = flows.get_run(db, run_id=run_id)
    if run is None:
        raise HTTPException(status_code=404, detail="溯源记录不存在 trace run not found")
    return run


def _report_row(db, rep, who: Principal) -> dict:
    state = flows.report_state(db, rep)
    # The job's progress URL answers its owner only (fanzha.jobs); others see the state as of this page.
    return {"id": rep.id, "case_id": rep.case_id, "at": rep.requested_at, "by": rep.requested_by,
            "ready": rep.pdf is not None, "job": state, "own": rep.requested_by == who.username}


@router.get("/trace/runs/{run_id}", include_in_schema=False)
def run_page(request: Request, run_id: RowId, db: Db, who: Principal = Depends(require(Permission.ALERT_READ))):
    run = _run_or_404(db, run_id)
    result = flows.result_of(run)
    flows.viewed(db, ctx=ctx_of(request), actor=who, run=run)
    settings = request.app.state.settings
    charts = service.charts(settings.graph_path, settings.record_stores, result["ranked"])
    ranked = [{k: v for k, v in r.items() if k != "msisdn"} for r in result["ranked"]]  # no clear numbers in pages
    has_seed_lines = bool(result.pop("seed_lines", None))
    drawing = {"nodes": result["drawing"]["nodes"], "edges": result["drawing"]["edges"],
               "edge_types": [[t, EDGE_ZH[t]] for t in EDGE_TYPES]}
    return render(request, "trace_run.html", {
        "run": run, "result": result, "params": _times(result["params"], "since", "until"), "ranked": ranked, "charts": charts, "drawing": drawing,
        "edge_zh": EDGE_ZH, "can_case": who.can(Permission.CASE_WORK), "has_seed_lines": has_seed_lines,
        "reports": [_report_row(db, r, who) for r in flows.reports_for_run(db, run_id=run.id)],
        "message": request.query_params.get("message")})  # fmt: skip


def _queue_report(request: Request, db, background: BackgroundTasks, who: Principal, run) -> int:
    rep = flows.request_report(db, ctx=ctx_of(request), actor=who, run=run)
    db.commit()
    engine = request.app.state.engine
    work = flows.report_work(engine, ctx=ctx_of(request), report_id=rep.id)
    background.add_task(jobs.launch, engine, rep.job_id, work)  # after this request's commit
    return rep.id


@router.post("/trace/runs/{run_id}/case", include_in_schema=False)
def run_case(request: Request, run_id: RowId, db: Db, background: BackgroundTasks,
             rank: list[int] = Form(default=[]), include_seeds: bool = Form(default=False),
             who: Principal = Depends(require(Permission.CASE_WORK))):  # fmt: skip
    """One click: a case for the chosen lines (with their trace evidence), then its traceability report."""
    run = _run_or_404(db, run_id)
    try:
        case = flows.open_case(db, ctx=ctx_of(request), actor=who, run=run, ranks=rank[:200],
                               include_seeds=include_seeds)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    db.flush()
    from fanzha.casework.cases import service as case_service

    pending = [o.id for o in case_service.case_orders(db, case_id=case.id) if o.status == "pending"]
    _queue_report(request, db, background, who, run)
    send_orders(request, pending)
    return RedirectResponse(f"/trace/runs/{run_id}#reports", status_code=303)


@router.post("/trace/runs/{run_id}/report", include_in_schema=False)
def run_report(request: Request, run_id: RowId, db: Db, background: BackgroundTasks,
               who: Principal = Depends(require(Permission.CASE_WORK))):  # fmt: skip
    _queue_report(request, db, background, who, _run_or_404(db, run_id))
    return RedirectResponse(f"/trace/runs/{run_id}#reports", status_code=303)


def _report_or_404(db, report_id: int):
    from fanzha.casework.tracing.models import TraceReport

    rep = db.get(TraceReport, report_id)
    if rep is None:
        raise HTTPException(status_code=404, detail="报告不存在 report not found")
    return rep


@router.get("/trace/reports/{report_id}/report.{fmt}", include_in_schema=False)
def report_file(request: Request, report_id: RowId, fmt: str, db: Db,
                who: Principal = Depends(require(Permission.CASE_WORK))):  # fmt: skip
    rep = _report_or_404(db, report_id)
    if fmt not in ("pdf", "html"):
        raise HTTPException(status_code=404, detail="格式不存在 unknown format")
    if rep.pdf is None:
        raise HTTPException(status_code=409, detail="报告尚未生成完成 report not ready")
    flows.downloaded(db, ctx=ctx_of(request), actor=who, rep=rep, fmt=fmt)
    name = f"trace-report-{rep.id}.{fmt}"
    if fmt == "pdf":
        return Response(rep.pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return Response(rep.html, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": REPORT_CSP})
