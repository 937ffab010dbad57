"""入网关口 pages (counter tablet, L2 queue, accountability) and API. Views hold no queries: flows/services do."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.onboarding import accountability, flows, service
from fanzha.casework.onboarding.crosscarrier import make_registry
from fanzha.casework.onboarding.enums import DECISION_LABELS, STATUS_LABELS
from fanzha.casework.onboarding.rules import LINE_TYPE_LABELS, load_rules
from fanzha.casework.onboarding.schemas import CheckRequest, CheckResult, LineRequest, ReviewRequest, SignRequest, StepRequest
from fanzha.casework.types import Text
from fanzha.web import nav
from fanzha.web.deps import Db, InWorker, RowId, in_worker, openapi_body, parse_body, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
nav.register(nav.NavItem("开户核验", "/onboarding", Permission.ONBOARDING_CHECK, 10))
nav.register(nav.NavItem("开户稽核", "/review/onboarding", Permission.REVIEW_L2, 40))
nav.register(nav.NavItem("责任追究", "/accountability", Permission.KPI_VIEW, 70))

CHECK = Permission.ONBOARDING_CHECK


def gate_of(request: Request) -> service.Gate:
    """One gate per app: rules read once, the cross-carrier adapter and the staff-risk cache kept."""
    st = request.app.state
    gate = getattr(st, "onboarding_gate", None)
    if gate is None:
        rules = load_rules()
        gate = service.Gate(rules=rules, cross_carrier=make_registry(rules.cross_carrier_adapter),
                            protector=st.protector, key=st.audit_key)  # fmt: skip
        st.onboarding_gate = gate
    return gate


def _result(db, request: Request, who: Principal, check_id: int) -> CheckResult:
    try:
        check = flows.load(db, actor=who, check_id=check_id)
    except flows.NotFound:
        raise HTTPException(status_code=404, detail="not found 未找到") from None
    return flows.result_of(db, gate=gate_of(request), check=check)


# --- pages ---------------------------------------------------------------------------------------

def _counter(request: Request, db, who: Principal, *, status_code: int = 200, **extra):
    """The counter page with the clerk's recent checks (their decisions and states in words)."""
    return render(request, "onboarding_counter.html", {
        "recent": flows.recent_for(db, actor=who), "line_types": LINE_TYPE_LABELS, "shops": sorted(who.shops),
        "decision_labels": DECISION_LABELS, "status_labels": STATUS_LABELS, **extra}, status_code=status_code)  # fmt: skip


@router.get("/onboarding", include_in_schema=False)
def counter_page(request: Request, db: Db, who: Principal = Depends(require(CHECK))):
    return _counter(request, db, who)


@router.post("/onboarding", include_in_schema=False)
def counter_submit(
    request: Request, db: Db,
    id_no: Text = Form(default="", max_length=64), name: Text = Form(default="", max_length=64),
    count_mobile: int = Form(default=0, ge=0, le=50), count_fixed: int = Form(default=0, ge=0, le=50),
    count_iot: int = Form(default=0, ge=0, le=50), purpose: Text = Form(default="", max_length=200),
    shop_id: Text = Form(default="", max_length=32),
    who: Principal = Depends(require(CHECK)),
):  # fmt: skip
    lines = [LineRequest(line_type=t, count=n) for t, n in
             (("mobile", count_mobile), ("fixed", count_fixed), ("iot", count_iot)) if n]  # fmt: skip
    try:
        body = CheckRequest(id_no=id_no, name=name, lines=lines, purpose=purpose, shop_id=shop_id or None)
    except ValidationError:
        return _counter(request, db, who, error="请填写证件号码、姓名，并至少申请一个号码。", status_code=422)
    try:
        check = flows.submit_check(db, gate=gate_of(request), actor=who, request=body)
    except flows.GateError as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from None
    db.commit()  # at once, in this thread: the audit-chain lock is held from the check's audit event to here
    return RedirectResponse(f"/onboarding/checks/{check.check_id}", status_code=303)


@router.get("/onboarding/checks/{check_id}", include_in_schema=False)
def check_page(check_id: RowId, request: Request, db: Db, who: Principal = Depends(require(CHECK))):
    result = _result(db, request, who, check_id)
    return render(request, "onboarding_check.html", {"r": result, "error": request.query_params.get("e")})


def _back(check_id: int, error: str | None = None) -> RedirectResponse:
    from urllib.parse import quote

    suffix = f"?e={quote(error)}" if error else ""
    return RedirectResponse(f"/onboarding/checks/{check_id}{suffix}", status_code=303)


@router.post("/onboarding/checks/{check_id}/steps", include_in_schema=False)
def step_submit(check_id: RowId, request: Request, db: Db, step: Text = Form(max_length=32),
                note: Text = Form(default="", max_length=200), who: Principal = Depends(require(CHECK))):  # fmt: skip
    try:
        flows.record_step(db, gate=gate_of(request), actor=who, check_id=check_id, step=step, note=note)
    except flows.NotFound:
        raise HTTPException(status_code=404, detail="not found 未找到") from None
    except flows.GateError as exc:
        return _back(check_id, str(exc))
    return _back(check_id)


@router.post("/onboarding/checks/{check_id}/sign", include_in_schema=False)
def sign_submit(check_id: RowId, request: Request, db: Db, signature_png: str = Form(default="", max_length=400_000),
                who: Principal = Depends(require(CHECK))):  # fmt: skip
    try:
        png = flows.decode_signature(signature_png)
        flows.sign_notice(db, gate=gate_of(request), actor=who, check_id=check_id, signature_png=png)
    except flows.NotFound:
        raise HTTPException(status_code=404, detail="not found 未找到") from None
    except flows.GateError as exc:
        return _back(check_id, str(exc))
    return _back(check_id)


def _pdf(db, request: Request, who: Principal, check_id: int) -> Response:
    try:
        row = flows.get_notice(db, gate=gate_of(request), actor=who, check_id=check_id)
    except flows.NotFound:
        raise HTTPException(status_code=404, detail="not found 未找到") from None
    db.commit()  # the read is audited before the document leaves
    return Response(row.pdf, media_type="application/pdf", headers={
        "content-disposition": f'attachment; filename="notice-{check_id}.pdf"', "x-content-sha256": row.sha256})  # fmt: skip


@router.get("/onboarding/checks/{check_id}/notice.pdf", include_in_schema=False)
def notice_pdf(check_id: RowId, request: Request, db: Db, who: Principal = Depends(require(CHECK))):
    return _pdf(db, request, who, check_id)


@router.get("/review/onboarding", include_in_schema=False)
def review_page(request: Request, db: Db, who: Principal = Depends(require(Permission.REVIEW_L2))):
    gate = gate_of(request)
    queue = [flows.result_of(db, gate=gate, check=c) for c in flows.review_queue(db)]
    return render(request, "onboarding_review.html", {"queue": queue, "error": request.query_params.get("e")})


@router.post("/review/onboarding/{check_id}", include_in_schema=False)
def review_submit(check_id: RowId, request: Request, db: Db, decision: Text = Form(max_length=10),
                  note: Text = Form(default="", max_length=500),
                  who: Principal = Depends(require(Permission.REVIEW_L2))):  # fmt: skip
    from urllib.parse import quote

    try:
        flows.review(db, gate=gate_of(request), actor=who, check_id=check_id, approve=decision == "approve", note=note)
    except flows.NotFound:
        raise HTTPException(status_code=404, detail="not found 未找到") from None
    except flows.GateError as exc:
        return RedirectResponse(f"/review/onboarding?e={quote(str(exc))}", status_code=303)
    return RedirectResponse("/review/onboarding", status_code=303)


@router.get("/accountability", include_in_schema=False)
def accountability_page(request: Request, db: Db, by: str = "shop",
                        who: Principal = Depends(require(Permission.KPI_VIEW))):  # fmt: skip
    by = by if by in ("shop", "clerk") else "shop"
    years, rows = accountability.ranking(db, actor=who, by=by, fraud_statuses=gate_of(request).rules.fraud_statuses)
    return render(request, "onboarding_accountability.html", {"by": by, "years": years, "rows": rows})


def _conflict(db, exc: flows.GateError) -> HTTPException:
    """409 with the reason; a check refused at this decision (Barred) keeps its new state: committed first."""
    if isinstance(exc, flows.Barred):
        db.commit()
    return HTTPException(status_code=409, detail=str(exc))


# --- API -----------------------------------------------------------------------------------------

@router.post("/api/onboarding/checks", response_model=CheckResult, tags=["onboarding"],
             openapi_extra=openapi_body(CheckRequest))  # fmt: skip
async def api_check(request: Request, run: InWorker = Depends(in_worker(CHECK))) -> CheckResult:
    """开户核验 Check a customer before opening lines: pass / escalate / refuse, with reasons in Chinese."""
    gate, raw = gate_of(request), await request.body()

    def work(db, who: Principal) -> Response:
        body = parse_body(CheckRequest, raw)
        try:
            result = flows.submit_check(db, gate=gate, actor=who, request=body)
        except flows.GateError as exc:
            raise HTTPException(status_code=403, detail=str(exc)) from None
        db.commit()  # at once: the audit-chain lock (on SQLite the write lock) is held from the check's INSERT
        # Serialised here, in the worker thread: the event loop only sends the bytes.
        return Response(result.model_dump_json(), media_type="application/json")

    return await run(work)


@router.get("/api/onboarding/checks/{check_id}", response_model=CheckResult, tags=["onboarding"])
def api_get(check_id: RowId, request: Request, db: Db, who: Principal = Depends(require(CHECK))) -> CheckResult:
    """One check with its checklist progress."""
    return _result(db, request, who, check_id)


@router.post("/api/onboarding/checks/{check_id}/steps", response_model=CheckResult, tags=["onboarding"])
def api_step(check_id: RowId, request: Request, body: StepRequest, db: Db,
             who: Principal = Depends(require(CHECK))) -> CheckResult:  # fmt: skip
    """Record the next checklist step (in order)."""
    try:
        flows.record_step(db, gate=gate_of(request), actor=who, check_id=check_id, step=body.step, note=body.note)
    except flows.NotFound:
        raise HTTPException(status_code=404, detail="not found") from None
    except flows.GateError as exc:
        raise _conflict(db, exc) from None
    return _result(db, request, who, check_id)


@router.post("/api/onboarding/checks/{check_id}/sign", response_model=CheckResult, tags=["onboarding"])
def api_sign(check_id: RowId, request: Request, body: SignRequest, db: Db,
             who: Principal = Depends(require(CHECK))) -> CheckResult:  # fmt: skip
    """Store the signed anti-fraud notice (PNG signature → PDF) and complete the check."""
    try:
        png = flows.decode_signature(body.signature_png)
        flows.sign_notice(db, gate=gate_of(request), actor=who, check_id=check_id, signature_png=png)
    except flows.NotFound:
        raise HTTPException(status_code=404, detail="not found") from None
    except flows.GateError as exc:
        raise _conflict(db, exc) from None
    return _result(db, request, who, check_id)


@router.get("/api/onboarding/checks/{check_id}/notice.pdf", tags=["onboarding"],
            responses={200: {"content": {"application/pdf": {}}}, 404: {"description": "no signed notice"}})  # fmt: skip
def api_notice(check_id: RowId, request: Request, db: Db, who: Principal = Depends(require(CHECK))):
    """The signed notice as PDF (audited)."""
    return _pdf(db, request, who, check_id)


@router.get("/api/onboarding/review-queue", response_model=list[CheckResult], tags=["onboarding"])
def api_queue(request: Request, db: Db, who: Principal = Depends(require(Permission.REVIEW_L2))) -> list[CheckResult]:
    """Escalated checks waiting for an L2 decision, oldest first."""
    gate = gate_of(request)
    return [flows.result_of(db, gate=gate, check=c) for c in flows.review_queue(db)]


@router.post("/api/onboarding/checks/{check_id}/review", response_model=CheckResult, tags=["onboarding"])
def api_review(check_id: RowId, request: Request, body: ReviewRequest, db: Db,
               who: Principal = Depends(require(Permission.REVIEW_L2))) -> CheckResult:  # fmt: skip
    """The L2 decision on an escalated check."""
    try:
        check = flows.review(db, gate=gate_of(request), actor=who, check_id=check_id, approve=body.approve,
                             note=body.note)  # fmt: skip
    except flows.NotFound:
        raise HTTPException(status_code=404, detail="not found") from None
    except flows.GateError as exc:
        raise _conflict(db, exc) from None
    return flows.result_of(db, gate=gate_of(request), check=check)


@router.get("/api/accountability", tags=["onboarding"])
def api_accountability(request: Request, db: Db, by: str = "shop",
                       who: Principal = Depends(require(Permission.KPI_VIEW))) -> dict:  # fmt: skip
    """Shops or clerks ranked by lines later involved in fraud, per year of opening."""
    if by not in ("shop", "clerk"):
        raise HTTPException(status_code=422, detail="by must be shop or clerk")
    years, rows = accountability.ranking(db, actor=who, by=by, fraud_statuses=gate_of(request).rules.fraud_statuses)
    return {"by": by, "years": years, "rows": [
        {"key": r.key, "shop_id": r.shop_id, "change": r.change(years[-1]) if years else None,
         "years": {str(y): {"lines": f.lines, "fraud": f.fraud, "share": round(f.share, 4)} for y, f in r.years.items()}}
        for r in rows]}  # fmt: skip
