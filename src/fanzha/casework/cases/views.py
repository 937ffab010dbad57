"""告警收件箱、案件队列、案件页 and their API. Views call services and render; no queries here."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from fanzha.casework.alerts import service as alerts
from fanzha.casework.alerts.schemas import AlertIn, AlertOut
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.cases import flows, present, service
from fanzha.casework.cases.schemas import CaseLineOut, CaseOut
from fanzha.casework.context import WorkContext
from fanzha.casework.measures.dispatch import dispatch_orders, request_retry
from fanzha.casework.types import Text
from fanzha.privacy import mask_msisdn
from fanzha.web import nav
from fanzha.web.deps import Db, RowId, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
nav.register(nav.NavItem("告警", "/alerts", Permission.ALERT_READ, 30))
nav.register(nav.NavItem("案件", "/cases", Permission.CASE_WORK, 31))


def ctx_of(request: Request) -> WorkContext:
    st = request.app.state
    return WorkContext(settings=st.settings, key=st.audit_key, protector=st.protector)


def send_orders(request: Request, order_ids: list[int]) -> None:
    """After commit: hand new orders to the BSS now. A failure is recorded on the order, never raised."""
    if order_ids:
        dispatch_orders(request.app.state.sessionmaker, settings=request.app.state.settings, order_ids=order_ids)


def _case_or_404(db, case_id: int):
    case = service.get_case(db, case_id=case_id)
    if case is None:
        raise HTTPException(status_code=404, detail="案件不存在 case not found")
    return case


@router.get("/alerts", include_in_schema=False)
def inbox_page(request: Request, db: Db, _: Principal = Depends(require(Permission.ALERT_READ))):
    """Filters and the page number come as a plain query string: a bad value is explained on the page, not a 422."""
    return render(request, "alerts.html", {"inbox": present.inbox_page(db, params=request.query_params)})


@router.get("/cases", include_in_schema=False)
def queues_page(request: Request, db: Db, who: Principal = Depends(require(Permission.CASE_WORK))):
    return render(request, "cases.html", {"q": present.queue_page(db, principal=who, params=request.query_params)})


@router.get("/cases/{case_id}", include_in_schema=False)
def case_page(request: Request, case_id: RowId, db: Db, who: Principal = Depends(require(Permission.CASE_WORK))):
    case = _case_or_404(db, case_id)
    file = present.case_file(db, case=case, principal=who, settings=request.app.state.settings)
    return render(request, "case.html", {"file": file, "error": request.query_params.get("error") == "1"})


@router.post("/cases/{case_id}/action", include_in_schema=False)
def case_action(
    request: Request,
    case_id: RowId,
    db: Db,
    action: Text = Form(max_length=20),
    note: Text = Form(default="", max_length=1000),
    measure: Text = Form(default="", max_length=20),
    msisdns: list[str] = Form(default=[]),
    who: Principal = Depends(require(Permission.CASE_WORK)),
):
    _case_or_404(db, case_id)
    try:
        case = flows.transition(db, ctx=ctx_of(request), case_id=case_id, action=action, actor=who, note=note,
                                measure=measure or None, msisdns=[m[:20] for m in msisdns][:500] or None)  # fmt: skip
    except flows.ReviewNotAllowed as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from exc
    except (flows.TransitionError, ValueError) as exc:
        db.rollback()
        file = present.case_file(db, case=_case_or_404(db, case_id), principal=who,
                                 settings=request.app.state.settings)  # fmt: skip
        return render(request, "case.html", {"file": file, "message": str(exc)}, status_code=409)
    db.commit()
    send_orders(request, [o.id for o in service.case_orders(db, case_id=case.id) if o.status == "pending"])
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/orders/{order_id}/retry", include_in_schema=False)
def order_retry(request: Request, case_id: RowId, order_id: RowId, db: Db,
                who: Principal = Depends(require(Permission.CASE_WORK))):  # fmt: skip
    _case_or_404(db, case_id)
    try:
        request_retry(db, ctx=ctx_of(request), order_id=order_id, actor=who)
    except LookupError as exc:
        raise HTTPException(status_code=404, detail="指令不存在 order not found") from exc
    except ValueError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    db.commit()
    send_orders(request, [order_id])
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


def _alert_out(outcome: alerts.AlertOutcome) -> AlertOut:
    a = outcome.alert
    return AlertOut(id=a.id, alert_id=a.alert_id, source=a.source, subject_type=a.subject_type,
                    subject=alerts.display_subject(a), detector=a.detector, score=a.score, severity=a.severity,
                    hits=a.hits, case_id=a.case_id, merged_into=a.merged_into_id, duplicate=outcome.duplicate)  # fmt: skip


@router.post("/api/alerts", response_model=AlertOut, tags=["casework"])
def api_raise_alert(request: Request, body: AlertIn, db: Db,
                    who: Principal = Depends(require(Permission.CASE_WORK))) -> AlertOut:  # fmt: skip
    """告警上报 Raise an alert (monitoring service, reports, police desk): merged, grouped, maybe auto-suspended."""
    try:
        outcome = alerts.raise_alert(db, actor=who, settings=request.app.state.settings, **body.model_dump())
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    db.commit()
    send_orders(request, [o.id for o in outcome.orders])
    return _alert_out(outcome)


@router.get("/api/alerts", response_model=list[AlertOut], tags=["casework"])
def api_inbox(db: Db, _: Principal = Depends(require(Permission.ALERT_READ))) -> list[AlertOut]:
    """告警收件箱 Primary alerts, newest first, subjects masked."""
    return [_alert_out(alerts.AlertOutcome(alert=a)) for a in alerts.inbox(db, limit=500)]


@router.get("/api/cases/{case_id}", response_model=CaseOut, tags=["casework"])
def api_case(case_id: RowId, db: Db, _: Principal = Depends(require(Permission.CASE_WORK))) -> CaseOut:
    """案件 One case with its lines (masked)."""
    case = _case_or_404(db, case_id)
    return CaseOut(id=case.id, title=case.title, state=case.state, severity=case.severity, max_score=case.max_score,
                   proposed_measure=case.proposed_measure, needs_l3=case.needs_l3, due_at=case.due_at,
                   overdue=service.is_overdue(case),
                   lines=[CaseLineOut(msisdn=mask_msisdn(v.msisdn), relation=v.relation, status=v.status)
                          for v in service.case_lines(db, case_id=case.id)])  # fmt: skip
