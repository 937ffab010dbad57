"""线索批次 pages and API: assemble a batch from cases / SIM-bank groups / numbers, export the package,
download its files (each checked against its SHA-256), record the police's feedback."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from fanzha.casework.alerts.labels import detector_label
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.police import clue_flows, clues
from fanzha.casework.police.clues import ClueError
from fanzha.casework.police.enums import SOURCE_LABELS, SourceKind
from fanzha.casework.police.schemas import BatchOut, BatchRequest, FeedbackRequest
from fanzha.casework.types import Text
from fanzha.privacy import mask_msisdn
from fanzha.web import nav
from fanzha.web.deps import Db, RowId, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
nav.register(nav.NavItem("线索移交", "/police/batches", Permission.POLICE_DESK, 57))
DESK, EXPORT = Permission.POLICE_DESK, Permission.CLUE_EXPORT
MEDIA = {".csv": "text/csv; charset=utf-8", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         ".pdf": "application/pdf", ".json": "application/json", ".zip": "application/zip"}  # fmt: skip
_NUMBERS = re.compile(r"[\s,，;；、]+")


def _ctx(request: Request) -> dict:
    return {"key": request.app.state.audit_key}


def _home(request: Request):
    return request.app.state.settings.home


def _list_page(request: Request, db, who: Principal, *, status_code: int = 200, **extra):
    can_export = who.can(EXPORT)
    return render(request, "police_batches.html", {
        "batches": [clues.present(db, b) for b in clues.list_batches(db)], "can_export": can_export,
        "cases": clues.candidate_cases(db) if can_export else [],
        "simbanks": clues.candidate_simbanks(db) if can_export else [], **extra,
    }, status_code=status_code)  # fmt: skip


@router.get("/police/batches", include_in_schema=False)
def batches_page(request: Request, db: Db, who: Principal = Depends(require(DESK))):
    return _list_page(request, db, who)


@router.post("/police/batches", include_in_schema=False)
def create_form(
    request: Request, db: Db, title: Text = Form(default="", max_length=200),
    recipient: Text = Form(default="", max_length=100), note: Text = Form(default="", max_length=1000),
    case_ids: list[int] = Form(default=[]), simbank_alert_ids: list[int] = Form(default=[]),
    msisdns: Text = Form(default="", max_length=40_000), who: Principal = Depends(require(EXPORT)),
):  # fmt: skip
    numbers = [n for n in _NUMBERS.split(msisdns) if n]
    try:
        body = BatchRequest(title=title, recipient=recipient, note=note, case_ids=case_ids,
                            simbank_alert_ids=simbank_alert_ids, msisdns=numbers)  # fmt: skip
        batch = clue_flows.create(db, actor=who, body=body, **_ctx(request))
    except ValidationError:
        return _list_page(request, db, who, status_code=422, error="请填写标题与接收单位（至少2个字），并选择线索。")
    except ClueError as exc:
        return _list_page(request, db, who, status_code=422, error=str(exc))
    return RedirectResponse(f"/police/batches/{batch.id}?m={quote(f'已创建批次 {batch.batch_no}')}", status_code=303)


def _batch_or_404(db, batch_id: int):
    batch = clues.get_batch(db, batch_id=batch_id)
    if batch is None:
        raise HTTPException(status_code=404, detail="线索批次不存在")
    return batch


@router.get("/police/batches/{batch_id}", include_in_schema=False)
def batch_page(batch_id: RowId, request: Request, db: Db, who: Principal = Depends(require(DESK))):
    import json

    batch = _batch_or_404(db, batch_id)
    lines = []
    for ln in clues.batch_lines(db, batch_id=batch.id):
        ev = json.loads(ln.evidence or "{}")
        lines.append({"msisdn": mask_msisdn(ln.msisdn), "source": SOURCE_LABELS[SourceKind(ln.source_kind)],
                      "ref": ln.source_ref, "case_id": ln.case_id, "owner": (ev.get("owner") or {}).get("name", ""),
                      "detectors": "、".join(sorted({detector_label(a["detector"]) for a in ev.get("alerts") or []})),
                      "group": ev.get("group", "")})  # fmt: skip
    return render(request, "police_batch.html", {
        "b": clues.present(db, batch, with_files=True), "lines": lines, "feedback": clues.feedback(db, batch_id=batch.id),
        "can_export": who.can(EXPORT), "notice": request.query_params.get("m"), "error": request.query_params.get("e"),
    })  # fmt: skip


@router.post("/police/batches/{batch_id}/export", include_in_schema=False)
def export_form(batch_id: RowId, request: Request, db: Db, who: Principal = Depends(require(EXPORT))):
    try:
        batch = clue_flows.export(db, actor=who, batch_id=batch_id, home=_home(request), **_ctx(request))
    except ClueError as exc:
        return RedirectResponse(f"/police/batches/{batch_id}?e={quote(str(exc))}", status_code=303)
    return RedirectResponse(f"/police/batches/{batch.id}?m={quote('已导出，文件及 SHA-256 已登记')}", status_code=303)


@router.post("/police/batches/{batch_id}/feedback", include_in_schema=False)
def feedback_form(
    batch_id: RowId, request: Request, db: Db, arrests: int = Form(default=0, ge=0, le=100_000),
    devices_seized: int = Form(default=0, ge=0, le=100_000), cards_seized: int = Form(default=0, ge=0, le=1_000_000),
    note: Text = Form(default="", max_length=1000), who: Principal = Depends(require(DESK)),
):  # fmt: skip
    try:
        body = FeedbackRequest(arrests=arrests, devices_seized=devices_seized, cards_seized=cards_seized, note=note)
        clue_flows.record_feedback(db, actor=who, batch_id=batch_id, body=body, **_ctx(request))
    except ValidationError:
        return RedirectResponse(f"/police/batches/{batch_id}?e={quote('说明含有不允许的字符')}", status_code=303)
    except ClueError as exc:
        return RedirectResponse(f"/police/batches/{batch_id}?e={quote(str(exc))}", status_code=303)
    return RedirectResponse(f"/police/batches/{batch_id}?m={quote('战果已登记')}", status_code=303)


def _file_response(request: Request, db, who: Principal, batch_id: int, name: str) -> Response:
    try:
        name, data = clue_flows.download(db, actor=who, batch_id=batch_id, name=name, home=_home(request),
                                         **_ctx(request))  # fmt: skip
    except ClueError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    db.commit()  # the download is in the audit trail before the bytes leave
    suffix = name[name.rfind("."):]
    return Response(data, media_type=MEDIA.get(suffix, "application/octet-stream"),
                    headers={"Content-Disposition": f"attachment; filename=\"{name}\"",
                             "Cache-Control": "no-store"})  # fmt: skip


@router.get("/police/batches/{batch_id}/files/{name}", include_in_schema=False)
def download_page(batch_id: RowId, name: str, request: Request, db: Db, who: Principal = Depends(require(DESK))):
    return _file_response(request, db, who, batch_id, name)


# --- API -----------------------------------------------------------------------------------------

@router.get("/api/police/batches", response_model=list[BatchOut], tags=["police"])
def api_list(db: Db, who: Principal = Depends(require(DESK))) -> list[BatchOut]:
    """Clue batches, newest first, with the feedback totals."""
    return [clues.present(db, b) for b in clues.list_batches(db)]


@router.post("/api/police/batches", response_model=BatchOut, tags=["police"])
def api_create(request: Request, body: BatchRequest, db: Db, who: Principal = Depends(require(EXPORT))) -> BatchOut:
    """A batch from cases, SIM-bank groups (simbox alert ids) and numbers; numbered XS-<year>-<n>."""
    try:
        batch = clue_flows.create(db, actor=who, body=body, **_ctx(request))
    except ClueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return clues.present(db, batch)


@router.get("/api/police/batches/{batch_id}", response_model=BatchOut, tags=["police"])
def api_get(batch_id: RowId, db: Db, who: Principal = Depends(require(DESK))) -> BatchOut:
    """One batch with its files and their SHA-256."""
    return clues.present(db, _batch_or_404(db, batch_id), with_files=True)


@router.post("/api/police/batches/{batch_id}/export", response_model=BatchOut, tags=["police"])
def api_export(batch_id: RowId, request: Request, db: Db, who: Principal = Depends(require(EXPORT))) -> BatchOut:
    """Write the package (CSV, XLSX, PDF, manifest, zip); idempotent."""
    try:
        batch = clue_flows.export(db, actor=who, batch_id=batch_id, home=_home(request), **_ctx(request))
    except ClueError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    return clues.present(db, batch, with_files=True)


@router.post("/api/police/batches/{batch_id}/feedback", response_model=BatchOut, tags=["police"])
def api_feedback(batch_id: RowId, request: Request, body: FeedbackRequest, db: Db,
                 who: Principal = Depends(require(DESK))) -> BatchOut:  # fmt: skip
    """战果反馈 Arrests, devices and cards seized; adds to the batch's totals."""
    try:
        clue_flows.record_feedback(db, actor=who, batch_id=batch_id, body=body, **_ctx(request))
    except ClueError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    return clues.present(db, _batch_or_404(db, batch_id))


@router.get("/api/police/batches/{batch_id}/files/{name}", tags=["police"],
            responses={200: {"content": {"application/octet-stream": {}}}})  # fmt: skip
def api_download(batch_id: RowId, name: str, request: Request, db: Db, who: Principal = Depends(require(DESK))):
    """One file of the package, refused if it no longer matches its recorded SHA-256. Audited."""
    return _file_response(request, db, who, batch_id, name)
