"""督导看板 pages and API: the dashboard by role, CSV/XLSX exports of every panel table, the report job.

Which panels a user sees is decided by each panel's permission (a police liaison sees the police panels, a
supervisor all); the page route itself only needs a session and refuses users with no panel at all.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from fastapi import APIRouter, BackgroundTasks, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from fanzha.casework.audit import service as audit
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.types import Text
from fanzha.supervision import dashboard, export, panels
from fanzha.supervision.filters import FilterError, KpiFilter, counties, make_filter
from fanzha.jobs import service as jobs
from fanzha.supervision.report import report_job
from fanzha.web import nav
from fanzha.web.deps import Db, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
nav.register(nav.NavItem("督导看板", "/dashboard", Permission.KPI_VIEW, 5))
SESSION, EXPORT = Permission.SESSION, Permission.EXPORT


def _filter(start: str | None, end: str | None, county: str | None) -> KpiFilter:
    try:
        return make_filter(start, end, county)
    except FilterError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


def dashboard_page(request: Request, db, who: Principal, flt: KpiFilter):
    """The dashboard for ``who``; also what the home page shows to anyone who has panels."""
    shown = dashboard.show(db, actor=who, flt=flt, settings=request.app.state.settings)
    recent = [jobs.status(j) for j in jobs.recent(db, actor=who, kind="kpi_report", limit=3)]
    return render(request, "dashboard.html", {
        "shown": shown, "flt": flt, "counties": counties(db), "query": urlencode(flt.query()),
        "can_export": who.can(EXPORT), "jobs": recent,
    })  # fmt: skip


@router.get("/dashboard", include_in_schema=False)
def dashboard_view(request: Request, db: Db, start: str | None = None, end: str | None = None,
                   county: str | None = None, who: Principal = Depends(require(SESSION))):  # fmt: skip
    if not panels.visible(who):
        raise HTTPException(status_code=403, detail="没有可查看的看板 no dashboard panel for your roles")
    return dashboard_page(request, db, who, _filter(start, end, county))


def _panel_for(key: str, who: Principal) -> panels.Panel:
    panel = panels.get(key)
    if panel is None:
        raise HTTPException(status_code=404, detail="unknown panel 未知面板")
    if not panel.allows(who):
        needed = " or ".join(p.value for p in panel.permissions)
        raise HTTPException(status_code=403, detail=f"permission {needed} required 无此权限")
    return panel


def _export(request: Request, db, who: Principal, key: str, flt: KpiFilter, fmt: str) -> Response:
    panel = _panel_for(key, who)
    data = dashboard.compute_in(db, panel, actor=who, flt=flt, settings=request.app.state.settings)
    audit.record(db, key=request.app.state.audit_key, actor=who, action="kpi.export", subject_type="panel",
                 subject_id=key, detail={"format": fmt, **flt.query()})  # fmt: skip
    name = f"{panel.title}_{flt.start:%Y%m%d}-{flt.end:%Y%m%d}.{fmt}"
    disposition = f"attachment; filename=\"{key}.{fmt}\"; filename*=UTF-8''{quote(name)}"
    if fmt == "csv":
        return Response(export.to_csv(data), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": disposition})  # fmt: skip
    body = export.to_xlsx(panel, data, subtitle=f"筛选：{flt.describe()}")
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": disposition})  # fmt: skip


@router.get("/dashboard/export/{key}.csv", include_in_schema=False)
def export_csv(request: Request, db: Db, key: str, start: str | None = None, end: str | None = None,
               county: str | None = None, who: Principal = Depends(require(EXPORT))):  # fmt: skip
    return _export(request, db, who, key, _filter(start, end, county), "csv")


@router.get("/dashboard/export/{key}.xlsx", include_in_schema=False)
def export_xlsx(request: Request, db: Db, key: str, start: str | None = None, end: str | None = None,
                county: str | None = None, who: Principal = Depends(require(EXPORT))):  # fmt: skip
    return _export(request, db, who, key, _filter(start, end, county), "xlsx")


@router.post("/dashboard/report", include_in_schema=False)
def report(request: Request, db: Db, background: BackgroundTasks, start: Text = Form(default="", max_length=10),
           end: Text = Form(default="", max_length=10), county: Text = Form(default="", max_length=6),
           who: Principal = Depends(require(EXPORT))):  # fmt: skip
    """Start the 督导报表 job for the form's filter and show its progress page."""
    flt = _filter(start, end, county)
    audit.record(db, key=request.app.state.audit_key, actor=who, action="kpi.report", subject_type="panel",
                 subject_id="all", detail=flt.query())  # fmt: skip
    engine = request.app.state.engine
    kind, title, params, work = report_job(engine, settings=request.app.state.settings, actor=who, flt=flt)
    job = jobs.create(db, kind=kind, title=title, actor=who, params=params)
    background.add_task(jobs.launch, engine, job.id, work)  # after this request's commit
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


# --- API -----------------------------------------------------------------------------------------

def _panel_json(panel: panels.Panel, data: panels.PanelData) -> dict:
    return {"key": panel.key, "title": panel.title, "empty": data.empty_reason,
            "figures": {f.key: f.value for f in data.figures}, "columns": [k for k, _ in data.columns],
            "rows": data.rows, "note": data.note}  # fmt: skip


@router.get("/api/kpis", tags=["supervision"])
def api_kpis(request: Request, db: Db, start: str | None = None, end: str | None = None, county: str | None = None,
             who: Principal = Depends(require(SESSION))) -> dict:  # fmt: skip
    """Every dashboard panel your permissions allow, for the filter (days in China Standard Time)."""
    flt = _filter(start, end, county)
    out = [_panel_json(p, dashboard.compute_in(db, p, actor=who, flt=flt, settings=request.app.state.settings))
           for p in panels.visible(who)]  # fmt: skip
    return {"filter": flt.query(), "panels": out}
