"""举报 pages and API: the check queue with its SLA, a report's page, bulk import, intake by API."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse

from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.bulk_intake import RowError
from fanzha.casework.cases.views import RowId, ctx_of
from fanzha.casework.reports import present, service
from fanzha.casework.reports.enums import STATUS_LABELS, ReportStatus
from fanzha.casework.reports.importer import import_reports
from fanzha.casework.reports.schemas import CheckIn, ReportIn, ReportOut
from fanzha.casework.types import Text
from fanzha.casework.uploads import import_upload, template_response, upload_context
from fanzha.web import nav
from fanzha.web.deps import Db, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
nav.register(nav.NavItem("12321举报", "/reports", Permission.ALERT_READ, 33))
StatusFilter = Query(default="pending", pattern="^(pending|confirmed|unfounded|forwarded|all)$")


def _queue(request: Request, db, who: Principal, status: str, **extra):
    rows = [present.row(r) for r in service.queue(db, status=None if status == "all" else status)]
    return render(request, "reports.html", {
        "reports": rows, "status": status, "labels": {s.value: STATUS_LABELS[s] for s in ReportStatus
                                                      if s != ReportStatus.DUPLICATE},
        "overdue": sum(r["overdue"] and r["pending"] for r in rows), "sla_hours": request.app.state.settings.report_sla_hours,
        "can_import": who.can(Permission.CASE_WORK), **upload_context(request, "reports"), **extra,
    }, status_code=extra.pop("status_code", 200))  # fmt: skip


@router.get("/reports", include_in_schema=False)
def queue_page(request: Request, db: Db, status: str = StatusFilter,
               who: Principal = Depends(require(Permission.ALERT_READ))):  # fmt: skip
    return _queue(request, db, who, status)


@router.post("/reports/import", include_in_schema=False)
def import_page(request: Request, db: Db, file: UploadFile = File(...),
                who: Principal = Depends(require(Permission.CASE_WORK))):  # fmt: skip
    return _queue(request, db, who, "pending", **import_upload(request, db, file, import_reports, who))


@router.get("/reports/import/template.{fmt}", include_in_schema=False)
def import_template(fmt: str = Path(pattern="^(csv|xlsx)$"), _: Principal = Depends(require(Permission.CASE_WORK))):
    """The import template: the header the importer accepts and one example row."""
    return template_response("reports", fmt)


def _report_or_404(db, report_id: int):
    report = service.get(db, report_id=report_id)
    if report is None:
        raise HTTPException(status_code=404, detail="举报不存在 report not found")
    return report


def _page(request: Request, db, report, who: Principal, *, message: str | None = None, status_code: int = 200):
    return render(request, "report.html", {
        "r": present.row(report), "repeats": [present.row(x) for x in service.repeats_of(db, report_id=report.id)],
        "on_number": service.reports_on_number(db, msisdn=report.reported_number), "message": message,
        "can_check": who.can(Permission.CASE_WORK) and report.status == ReportStatus.PENDING.value,
        "first": present.row(service.get(db, report_id=report.duplicate_of_id)) if report.duplicate_of_id else None,
    }, status_code=status_code)  # fmt: skip


@router.get("/reports/{report_id}", include_in_schema=False)
def report_page(request: Request, report_id: RowId, db: Db, who: Principal = Depends(require(Permission.ALERT_READ))):
    return _page(request, db, _report_or_404(db, report_id), who)


@router.post("/reports/{report_id}/check", include_in_schema=False)
def check_page(request: Request, report_id: RowId, db: Db, status: str = Form(max_length=12),
               note: Text = Form(default="", max_length=2000),
               who: Principal = Depends(require(Permission.CASE_WORK))):  # fmt: skip
    _report_or_404(db, report_id)
    try:
        service.check(db, ctx=ctx_of(request), report_id=report_id, status=status, note=note, actor=who)
    except service.ReportError as exc:
        db.rollback()
        return _page(request, db, _report_or_404(db, report_id), who, message=str(exc), status_code=409)
    db.commit()
    return RedirectResponse(f"/reports/{report_id}", status_code=303)


@router.post("/api/reports", response_model=ReportOut, tags=["reports"],
             responses={422: {"description": "a field breaks the contract (the message names it)"}})  # fmt: skip
def api_intake(request: Request, body: ReportIn, db: Db, who: Principal = Depends(require(Permission.CASE_WORK))):
    """12321举报接入 Take one public report (contract fields). Resending a report_id returns it (outcome known)."""
    row = body.model_dump()
    row["received_at"] = body.received_at.isoformat()
    try:
        data = service.validate(row)
    except RowError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    out = service.intake(db, ctx=ctx_of(request), data=data, via="api", actor=who)
    db.commit()
    return present.out(out.report, outcome=out.outcome)


@router.get("/api/reports", response_model=list[ReportOut], tags=["reports"])
def api_queue(db: Db, status: str = StatusFilter, _: Principal = Depends(require(Permission.ALERT_READ))):
    """举报队列 First reports by status (default: pending, most urgent first), numbers masked."""
    return [present.out(r) for r in service.queue(db, status=None if status == "all" else status)]


@router.get("/api/reports/{report_id}", response_model=ReportOut, tags=["reports"])
def api_get(report_id: RowId, db: Db, _: Principal = Depends(require(Permission.ALERT_READ))):
    """举报详情 One report (numbers masked)."""
    return present.out(_report_or_404(db, report_id))


@router.post("/api/reports/{report_id}/check", response_model=ReportOut, tags=["reports"],
             responses={409: {"description": "the report is not pending"}})  # fmt: skip
def api_check(request: Request, report_id: RowId, body: CheckIn, db: Db,
              who: Principal = Depends(require(Permission.CASE_WORK))):  # fmt: skip
    """举报核查 Record the check's result: confirmed, unfounded or forwarded."""
    _report_or_404(db, report_id)
    try:
        report = service.check(db, ctx=ctx_of(request), report_id=report_id, status=body.status, note=body.note,
                               actor=who)  # fmt: skip
    except service.ReportError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    db.commit()
    return present.out(report)
