"""申诉 pages and API: file at the counter (clerk) or through the API, re-verify, decide (L2/L3 reviewer)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from fanzha.casework.appeals import flows, service
from fanzha.casework.appeals.enums import APPEAL_LABELS, AppealStatus
from fanzha.casework.appeals.models import Appeal
from fanzha.casework.appeals.schemas import AppealIn, AppealOut
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.cases.views import RowId, ctx_of, send_orders
from fanzha.casework.context import aware
from fanzha.casework.measures.enums import LINE_STATUS_LABELS
from fanzha.casework.types import Text
from fanzha.privacy import mask_msisdn
from fanzha.web import nav
from fanzha.web.deps import Db, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
nav.register(nav.NavItem("申诉", "/appeals", Permission.LINE_LOOKUP, 32))


def _row(a: Appeal) -> dict:
    return {"id": a.id, "msisdn": mask_msisdn(a.msisdn), "status": a.status,
            "status_label": APPEAL_LABELS[AppealStatus(a.status)], "channel": "营业厅" if a.channel == "counter" else "接口",
            "filed_at": a.filed_at, "due_at": aware(a.due_at), "overdue": service.is_overdue(a), "case_id": a.case_id,
            "statement": a.statement, "measure": LINE_STATUS_LABELS.get(a.measure_at_filing or "", a.measure_at_filing),
            "decided_by": a.decided_by, "decision_note": a.decision_note, "filed_by": a.filed_by}  # fmt: skip


def _list(request: Request, db, who: Principal, **extra):
    rows = [_row(a) for a in service.appeals_queue(db, principal=who)]
    return render(request, "appeals.html", {"appeals": rows, "can_file": who.can(Permission.ONBOARDING_CHECK),
                                            **extra}, status_code=extra.pop("status_code", 200))  # fmt: skip


@router.get("/appeals", include_in_schema=False)
def appeals_page(request: Request, db: Db, who: Principal = Depends(require(Permission.LINE_LOOKUP))):
    return _list(request, db, who)


@router.post("/appeals", include_in_schema=False)
def file_at_counter(
    request: Request,
    db: Db,
    msisdn: Text = Form(max_length=20),
    statement: Text = Form(max_length=2000),
    who: Principal = Depends(require(Permission.ONBOARDING_CHECK)),
):
    shop = sorted(who.shops)[0] if who.shops else None
    try:
        appeal = flows.file_appeal(db, ctx=ctx_of(request), msisdn=msisdn, statement=statement, channel="counter",
                                   actor=who, shop_id=shop)  # fmt: skip
    except (flows.AppealError, flows.AppealNotAllowed) as exc:
        db.rollback()
        return _list(request, db, who, message=str(exc), status_code=409)
    db.commit()
    return RedirectResponse(f"/appeals/{appeal.id}", status_code=303)


def _appeal_or_404(db, appeal_id: RowId, who: Principal) -> Appeal:
    appeal = service.get_appeal(db, appeal_id=appeal_id, principal=who)
    if appeal is None:
        raise HTTPException(status_code=404, detail="申诉不存在 appeal not found")
    return appeal


def _page(request: Request, db, appeal: Appeal, who: Principal, *, message: str | None = None, status_code=200):
    checks = [{"at": r.at, "clerk": r.clerk, "present": r.person_present, "id_masked": r.id_masked,
               "matches": r.id_matches, "purpose": r.purpose} for r in service.reverifications(db, appeal_id=appeal.id)]
    status = AppealStatus(appeal.status)
    can_decide = who.can(Permission.REVIEW_L2) or who.can(Permission.REVIEW_L3)
    return render(request, "appeal.html", {
        "a": _row(appeal), "checks": checks, "message": message,
        "can_reverify": who.can(Permission.ONBOARDING_CHECK) and status in (AppealStatus.FILED, AppealStatus.REVERIFY_FAILED),
        "can_uphold": can_decide and status == AppealStatus.REVERIFIED,
        "can_reject": can_decide and status in (AppealStatus.FILED, AppealStatus.REVERIFIED, AppealStatus.REVERIFY_FAILED),
    }, status_code=status_code)  # fmt: skip


@router.get("/appeals/{appeal_id}", include_in_schema=False)
def appeal_page(request: Request, appeal_id: RowId, db: Db, who: Principal = Depends(require(Permission.LINE_LOOKUP))):
    return _page(request, db, _appeal_or_404(db, appeal_id, who), who)


@router.post("/appeals/{appeal_id}/reverify", include_in_schema=False)
def reverify(
    request: Request,
    appeal_id: RowId,
    db: Db,
    id_no: Text = Form(max_length=18),
    purpose: Text = Form(max_length=200),
    present: str = Form(default=""),
    who: Principal = Depends(require(Permission.ONBOARDING_CHECK)),
):
    _appeal_or_404(db, appeal_id, who)
    shop = sorted(who.shops)[0] if who.shops else None
    try:
        flows.record_reverification(db, ctx=ctx_of(request), appeal_id=appeal_id, id_no=id_no, purpose=purpose,
                                    person_present=present == "yes", actor=who, shop_id=shop)  # fmt: skip
    except flows.AppealError as exc:
        db.rollback()
        return _page(request, db, _appeal_or_404(db, appeal_id, who), who, message=str(exc), status_code=409)
    db.commit()
    send_orders(request, service.pending_order_ids(db, appeal_id=appeal_id))
    return RedirectResponse(f"/appeals/{appeal_id}", status_code=303)


@router.post("/appeals/{appeal_id}/decide", include_in_schema=False)
def decide(
    request: Request,
    appeal_id: RowId,
    db: Db,
    decision: str = Form(max_length=10),
    note: Text = Form(default="", max_length=1000),
    who: Principal = Depends(require(Permission.CASE_WORK)),
):
    _appeal_or_404(db, appeal_id, who)
    try:
        flows.decide(db, ctx=ctx_of(request), appeal_id=appeal_id, upheld=decision == "uphold", note=note, actor=who)
    except flows.AppealNotAllowed as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from exc
    except flows.AppealError as exc:
        db.rollback()
        return _page(request, db, _appeal_or_404(db, appeal_id, who), who, message=str(exc), status_code=409)
    db.commit()
    send_orders(request, service.pending_order_ids(db, appeal_id=appeal_id))
    return RedirectResponse(f"/appeals/{appeal_id}", status_code=303)


def _out(a: Appeal) -> AppealOut:
    return AppealOut(id=a.id, msisdn=mask_msisdn(a.msisdn), status=a.status, channel=a.channel, case_id=a.case_id,
                     due_at=a.due_at)  # fmt: skip


@router.post("/api/appeals", response_model=AppealOut, tags=["casework"],
             responses={409: {"description": "the line is unknown or not restricted"}})  # fmt: skip
def api_file(request: Request, body: AppealIn, db: Db,
             who: Principal = Depends(require(Permission.ONBOARDING_CHECK))) -> AppealOut:  # fmt: skip
    """申诉 File an appeal for a restricted line (e.g. from the customer app or hotline system)."""
    try:
        appeal = flows.file_appeal(db, ctx=ctx_of(request), msisdn=body.msisdn, statement=body.statement,
                                   channel="api", actor=who)  # fmt: skip
    except flows.AppealError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    db.commit()
    return _out(appeal)


@router.get("/api/appeals/{appeal_id}", response_model=AppealOut, tags=["casework"])
def api_get(appeal_id: RowId, db: Db, who: Principal = Depends(require(Permission.LINE_LOOKUP))) -> AppealOut:
    """申诉状态 The appeal's status (number masked)."""
    return _out(_appeal_or_404(db, appeal_id, who))
