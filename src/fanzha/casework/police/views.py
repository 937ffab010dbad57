"""警务协查 pages and API: query requests (officer), approval (operator supervisor), results within scope.

Clue batches have their own module (``batch_views.py``); both routers are listed in ``fanzha.web.app``.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.police import flows, service
from fanzha.casework.police.enums import LEGAL_BASES, SCOPE_LABELS, SUBJECT_LABELS, QueryStatus, Scope
from fanzha.casework.police.schemas import QueryDecision, QueryOut, QueryRequest, QueryResult
from fanzha.casework.police.service import QueryError
from fanzha.casework.types import Text
from fanzha.web import nav
from fanzha.web.deps import Db, RowId, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
nav.register(nav.NavItem("警务协查", "/police", Permission.POLICE_DESK, 55))
nav.register(nav.NavItem("协查审批", "/police/review", Permission.POLICE_APPROVE, 56))
DESK, APPROVE = Permission.POLICE_DESK, Permission.POLICE_APPROVE


def _stores(request: Request):
    return request.app.state.settings.record_stores


def _ctx(request: Request) -> dict:
    return {"key": request.app.state.audit_key}


def _desk(request: Request, db, who: Principal, *, status_code: int = 200, **extra):
    mine = [service.present(q) for q in service.list_queries(db, requested_by=who.username)]
    return render(request, "police_desk.html", {
        "queries": mine, "scopes": [(s.value, SCOPE_LABELS[s]) for s in Scope], "subjects": SUBJECT_LABELS.items(),
        "bases": LEGAL_BASES, "scope_labels": {s.value: v for s, v in SCOPE_LABELS.items()}, **extra,
    }, status_code=status_code)  # fmt: skip


@router.get("/police", include_in_schema=False)
def desk_page(request: Request, db: Db, who: Principal = Depends(require(DESK))):
    return _desk(request, db, who, notice=request.query_params.get("m"))


@router.post("/police/queries", include_in_schema=False)
def submit_form(
    request: Request, db: Db, subject_type: Text = Form(default="msisdn", max_length=10),
    subject: Text = Form(default="", max_length=40), case_no: Text = Form(default="", max_length=64),
    legal_basis: Text = Form(default="", max_length=300), purpose: Text = Form(default="", max_length=500),
    scopes: list[str] = Form(default=[]), clear: Text = Form(default="", max_length=5),
    who: Principal = Depends(require(DESK, rate="query")),
):  # fmt: skip
    try:
        body = QueryRequest(subject_type=subject_type, subject=subject, case_no=case_no, legal_basis=legal_basis,
                            purpose=purpose, scopes=[s for s in scopes if s in Scope._value2member_map_],
                            clear=clear == "1")  # fmt: skip
        q = flows.submit(db, protector=request.app.state.protector, actor=who, body=body, **_ctx(request))
    except ValidationError:
        return _desk(request, db, who, status_code=422,
                     error="请完整填写：查询对象、案件编号、依据、用途（均至少4个字），并至少选择一项查询范围。")  # fmt: skip
    except QueryError as exc:
        return _desk(request, db, who, status_code=422, error=str(exc))
    return RedirectResponse(f"/police/queries/{q.id}?m={quote('已提交，待运营商督导审批')}", status_code=303)


@router.get("/police/queries/{query_id}", include_in_schema=False)
def query_page(query_id: RowId, request: Request, db: Db, who: Principal = Depends(require(DESK, rate="query"))):
    q = service.get_query(db, query_id=query_id)
    if q is None or q.requested_by != who.username:
        raise HTTPException(status_code=404, detail="协查请求不存在或不是您提交的")
    result, refused = None, None
    if q.status == QueryStatus.APPROVED.value:
        try:
            result = flows.view_result(db, protector=request.app.state.protector, actor=who, query_id=q.id,
                                       stores=_stores(request), **_ctx(request))  # fmt: skip
        except QueryError as exc:
            refused = str(exc)
        db.commit()  # the view is in the audit trail before any value leaves
    return render(request, "police_query.html", {
        "q": service.present(q), "result": result, "refused": refused, "notice": request.query_params.get("m"),
        "scope_labels": {s.value: v for s, v in SCOPE_LABELS.items()}, "subjects": dict(SUBJECT_LABELS),
    })  # fmt: skip


@router.get("/police/review", include_in_schema=False)
def review_page(request: Request, db: Db, who: Principal = Depends(require(APPROVE))):
    pending = [service.present(q) for q in service.list_queries(db, status=QueryStatus.PENDING.value)]
    decided = [service.present(q) for q in service.list_queries(db, limit=50) if q.status != QueryStatus.PENDING.value]
    return render(request, "police_review.html", {
        "pending": pending, "decided": decided, "error": request.query_params.get("e"),
        "scope_labels": {s.value: v for s, v in SCOPE_LABELS.items()}, "subjects": dict(SUBJECT_LABELS),
        "me": who.username,
    })  # fmt: skip


@router.post("/police/review/{query_id}", include_in_schema=False)
def review_submit(
    query_id: RowId, request: Request, db: Db, decision: Text = Form(default="", max_length=10),
    note: Text = Form(default="", max_length=500), scopes: list[str] = Form(default=[]),
    clear: Text = Form(default="", max_length=5), valid_days: int = Form(default=7, ge=1, le=30),
    who: Principal = Depends(require(APPROVE)),
):  # fmt: skip
    try:
        body = QueryDecision(approve=decision == "approve", note=note, clear=clear == "1", valid_days=valid_days,
                             scopes=[s for s in scopes if s in Scope._value2member_map_])  # fmt: skip
        flows.decide(db, actor=who, query_id=query_id, body=body, **_ctx(request))
    except ValidationError:
        return RedirectResponse(f"/police/review?e={quote('请填写审批意见或拒绝理由（至少2个字）')}", status_code=303)
    except QueryError as exc:
        return RedirectResponse(f"/police/review?e={quote(str(exc))}", status_code=303)
    return RedirectResponse("/police/review", status_code=303)


# --- API -----------------------------------------------------------------------------------------

@router.post("/api/police/queries", response_model=QueryOut, tags=["police"])
def api_submit(request: Request, body: QueryRequest, db: Db,
               who: Principal = Depends(require(DESK, rate="query"))) -> QueryOut:  # fmt: skip
    """协查请求 A query about a number or an ID, with case number, legal basis, scope and purpose."""
    try:
        q = flows.submit(db, protector=request.app.state.protector, actor=who, body=body, **_ctx(request))
    except QueryError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    return service.present(q)


@router.get("/api/police/queries", response_model=list[QueryOut], tags=["police"])
def api_mine(db: Db, who: Principal = Depends(require(DESK))) -> list[QueryOut]:
    """The caller's own query requests, newest first."""
    return [service.present(q) for q in service.list_queries(db, requested_by=who.username)]


@router.get("/api/police/queries/pending", response_model=list[QueryOut], tags=["police"])
def api_pending(db: Db, who: Principal = Depends(require(APPROVE))) -> list[QueryOut]:
    """Requests waiting for approval (subject masked)."""
    return [service.present(q) for q in service.list_queries(db, status=QueryStatus.PENDING.value)]


@router.post("/api/police/queries/{query_id}/decision", response_model=QueryOut, tags=["police"])
def api_decide(query_id: RowId, request: Request, body: QueryDecision, db: Db,
               who: Principal = Depends(require(APPROVE))) -> QueryOut:  # fmt: skip
    """Approve (scopes, clear or masked, validity in days) or refuse with a reason. Never one's own request."""
    try:
        q = flows.decide(db, actor=who, query_id=query_id, body=body, **_ctx(request))
    except QueryError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    return service.present(q)


@router.get("/api/police/queries/{query_id}/result", response_model=QueryResult, tags=["police"],
            responses={403: {"description": "not approved, or validity period over"}})  # fmt: skip
def api_result(query_id: RowId, request: Request, db: Db,
               who: Principal = Depends(require(DESK, rate="query"))) -> QueryResult:  # fmt: skip
    """The result within the approved scope and validity period (masked unless clear was granted). Audited."""
    q = service.get_query(db, query_id=query_id)
    if q is None or q.requested_by != who.username:
        raise HTTPException(status_code=404, detail="not found")
    try:
        res = flows.view_result(db, protector=request.app.state.protector, actor=who, query_id=query_id,
                                stores=_stores(request), **_ctx(request))  # fmt: skip
    except QueryError as exc:
        db.commit()  # keep the refused view in the trail
        raise HTTPException(status_code=403, detail=str(exc)) from None
    db.commit()
    return res
