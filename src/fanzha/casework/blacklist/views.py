"""Blacklist pages and API: police CSV import, manual entries, L2 approval."""

from __future__ import annotations

from pathlib import Path as FilePath
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, Request, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.blacklist import flows, service
from fanzha.casework.blacklist.enums import EntryStatus
from fanzha.casework.blacklist.schemas import DecideRequest, EntryOut, ImportSummary, ManualEntryRequest
from fanzha.casework.types import Text
from fanzha.casework.uploads import run_upload, template_response, upload_context
from fanzha.web import nav
from fanzha.web.deps import Db, RowId, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
nav.register(nav.NavItem("惩戒名单", "/blacklist", Permission.BLACKLIST_MANAGE, 50))
nav.register(nav.NavItem("名单审批", "/review/blacklist", Permission.REVIEW_L2, 45))
MANAGE = Permission.BLACKLIST_MANAGE


def _ctx(request: Request) -> dict:
    return {"key": request.app.state.audit_key}


def _page(request: Request, db, **extra):
    entries = [service.present(e) for e in service.list_entries(db)]
    return render(request, "blacklist.html", {"entries": entries, **upload_context(request, "blacklist"), **extra},
                  status_code=422 if extra.get("error") else 200)  # fmt: skip


@router.get("/blacklist", include_in_schema=False)
def blacklist_page(request: Request, db: Db, who: Principal = Depends(require(MANAGE))):
    return _page(request, db, notice=request.query_params.get("m"))


@router.post("/blacklist/manual", include_in_schema=False)
def manual_submit(
    request: Request, db: Db, id_no: Text = Form(default="", max_length=64), name: Text = Form(default="", max_length=64),
    case_no: Text = Form(default="", max_length=64), decided_on: Text = Form(default="", max_length=10),
    ban_years: int = Form(default=5, ge=1, le=20), keep_msisdn: Text = Form(default="", max_length=20),
    reason: Text = Form(default="", max_length=500), who: Principal = Depends(require(MANAGE)),
):  # fmt: skip
    try:
        body = ManualEntryRequest(id_no=id_no, name=name, case_no=case_no, decided_on=decided_on, ban_years=ban_years,
                                  keep_msisdn=keep_msisdn or None, reason=reason)  # fmt: skip
        flows.request_manual(db, protector=request.app.state.protector, actor=who, body=body, **_ctx(request))
    except ValidationError:
        return _page(request, db, error="请完整填写：证件号码、姓名、案号、决定日期、事由。")
    except flows.BlacklistError as exc:
        return _page(request, db, error=str(exc))
    return RedirectResponse(f"/blacklist?m={quote('已提交，待二级稽核审批')}", status_code=303)


@router.post("/blacklist/import", include_in_schema=False)
def import_submit(request: Request, db: Db, file: UploadFile = File(...), who: Principal = Depends(require(MANAGE))):
    out = _import(request, db, who, file)
    if "message" in out:
        return _page(request, db, error=out["message"])
    summary = out["summary"]
    msg = f"导入 {summary.rows} 行：新增 {summary.added}，已存在 {summary.already_present}，隔离 {summary.quarantined}"
    return _page(request, db, summary=summary, notice=msg)


@router.get("/blacklist/import/template.{fmt}", include_in_schema=False)
def import_template(fmt: str = Path(pattern="^(csv|xlsx)$"), who: Principal = Depends(require(MANAGE))):
    """The import template: the header the importer accepts and one example row."""
    return template_response("blacklist", fmt)


def _import(request: Request, db, who: Principal, file: UploadFile) -> dict:
    """{"summary": ImportSummary} or {"message": Chinese reason} (file type, encoding, header, size)."""

    def run(path: FilePath, name: str) -> ImportSummary:
        quarantine = path.with_name(path.name + ".quarantine.csv")
        try:  # the page shows the reasons by count; the rows themselves are not kept
            summary = flows.import_csv(db, protector=request.app.state.protector, actor=who, path=path, name=name,
                                       quarantine=quarantine, **_ctx(request))  # fmt: skip
        finally:
            quarantine.unlink(missing_ok=True)
        return summary.model_copy(update={"quarantine_file": None})

    try:
        return run_upload(request, file, run)
    except flows.BlacklistError as exc:
        db.rollback()
        return {"message": str(exc), "status_code": 422}


@router.get("/review/blacklist", include_in_schema=False)
def review_page(request: Request, db: Db, who: Principal = Depends(require(Permission.REVIEW_L2))):
    pending = [service.present(e) for e in service.list_entries(db, status=EntryStatus.PENDING.value)]
    return render(request, "blacklist_review.html", {"pending": pending, "error": request.query_params.get("e")})


@router.post("/review/blacklist/{entry_id}", include_in_schema=False)
def review_submit(entry_id: RowId, request: Request, db: Db, decision: Text = Form(max_length=10),
                  note: Text = Form(default="", max_length=500),
                  who: Principal = Depends(require(Permission.REVIEW_L2))):  # fmt: skip
    try:
        flows.decide(db, actor=who, entry_id=entry_id, approve=decision == "approve", note=note, **_ctx(request))
    except flows.BlacklistError as exc:
        return RedirectResponse(f"/review/blacklist?e={quote(str(exc))}", status_code=303)
    return RedirectResponse("/review/blacklist", status_code=303)


# --- API -----------------------------------------------------------------------------------------

@router.get("/api/blacklist/entries", response_model=list[EntryOut], tags=["blacklist"])
def api_list(db: Db, status: str | None = None, who: Principal = Depends(require(MANAGE))) -> list[EntryOut]:
    """Entries, newest first (masked)."""
    return [service.present(e) for e in service.list_entries(db, status=status)]


@router.post("/api/blacklist/entries", response_model=EntryOut, tags=["blacklist"])
def api_manual(request: Request, body: ManualEntryRequest, db: Db, who: Principal = Depends(require(MANAGE))) -> EntryOut:
    """A manual entry; it takes effect once an L2 reviewer approves it."""
    try:
        entry = flows.request_manual(db, protector=request.app.state.protector, actor=who, body=body, **_ctx(request))
    except flows.BlacklistError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return service.present(entry)


@router.post("/api/blacklist/entries/{entry_id}/decision", response_model=EntryOut, tags=["blacklist"])
def api_decide(entry_id: RowId, request: Request, body: DecideRequest, db: Db,
               who: Principal = Depends(require(Permission.REVIEW_L2))) -> EntryOut:  # fmt: skip
    """L2 approval or rejection of a pending manual entry."""
    try:
        entry = flows.decide(db, actor=who, entry_id=entry_id, approve=body.approve, note=body.note, **_ctx(request))
    except flows.BlacklistError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    return service.present(entry)


@router.post("/api/blacklist/import", response_model=ImportSummary, tags=["blacklist"])
def api_import(request: Request, db: Db, file: UploadFile = File(...),
               who: Principal = Depends(require(MANAGE))) -> ImportSummary:  # fmt: skip
    """Import a police list (CSV in UTF-8 or GB18030/GBK, .xlsx, Parquet; contract columns); bad rows are
    counted by reason, not stored."""
    out = _import(request, db, who, file)
    if "message" in out:
        raise HTTPException(status_code=422, detail=out["message"])
    return out["summary"]


