"""审计日志 search page and API (supervisor, admin). Output is masked like every other page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from fastapi import APIRouter, Depends, Form, Request
from pydantic import ValidationError

from fanzha.casework.audit import flows, labels, service
from fanzha.casework.audit.schemas import AuditEventOut, AuditQuery, VerifyResult
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.types import Text
from fanzha.web.deps import Db, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
SUBJECT_TYPES = ["user", "line", "person", "case", "alert", "onboarding_check", "police_query", "blacklist_entry",
                 "trace_report"]


def _page(request: Request, *, events: list, form: dict, status_code: int = 200, **extra):
    """The page with the codes in words: actions and subject types read as labels, codes kept for the search."""
    return render(request, "audit.html", {
        "events": events, "form": form, "subject_types": [(t, labels.subject_type_label(t)) for t in SUBJECT_TYPES],
        "actions": sorted(labels.ACTION_LABELS.items()), "action_label": labels.action_label,
        "subject_label": labels.subject_type_label, **extra}, status_code=status_code)  # fmt: skip


def _day(value: str, *, end: bool) -> datetime | None:
    try:
        d = date.fromisoformat(value.strip())
        return datetime.combine(d + timedelta(days=1) if end else d, time())  # China Standard Time day bounds
    except (ValueError, OverflowError):
        return None


@router.get("/audit", include_in_schema=False)
def audit_page(request: Request, db: Db, _: Principal = Depends(require(Permission.AUDIT_READ))):
    events = [service.present(e) for e in service.search(db, query=AuditQuery(limit=50))]
    return _page(request, events=events, form={})


@router.post("/audit", include_in_schema=False)
def audit_search(
    request: Request,
    db: Db,
    actor: Text = Form(default="", max_length=200),
    action: Text = Form(default="", max_length=200),
    subject_type: Text = Form(default="", max_length=200),
    subject_id: Text = Form(default="", max_length=200),
    since: Text = Form(default="", max_length=40),
    until: Text = Form(default="", max_length=40),
    who: Principal = Depends(require(Permission.AUDIT_READ, rate="query")),
):
    form = {"actor": actor, "action": action, "subject_type": subject_type, "since": since, "until": until}
    try:
        query = AuditQuery(
            actor=actor.strip() or None, action=action.strip() or None, subject_type=subject_type.strip() or None,
            subject_id=subject_id.strip() or None, since=_day(since, end=False), until=_day(until, end=True),
            limit=200,
        )  # fmt: skip
    except ValidationError:
        return _page(request, events=[], form=form, error="查询条件无效 invalid filter", status_code=422)
    events = [service.present(e) for e in flows.search(db, key=request.app.state.audit_key, actor=who, query=query)]
    return _page(request, events=events, form=form, searched=True)


@router.post("/api/audit/search", response_model=list[AuditEventOut], tags=["audit"])
def api_search(
    request: Request, query: AuditQuery, db: Db,
    who: Principal = Depends(require(Permission.AUDIT_READ, rate="query")),
) -> list[AuditEventOut]:  # fmt: skip
    """审计检索 Audit events, newest first, masked."""
    return [service.present(e) for e in flows.search(db, key=request.app.state.audit_key, actor=who, query=query)]


@router.get("/api/audit/verify", response_model=VerifyResult, tags=["audit"])
def api_verify(request: Request, db: Db, who: Principal = Depends(require(Permission.AUDIT_READ))) -> VerifyResult:
    """校验审计链 Walk the hash chain; lists altered or deleted events."""
    return service.verify(db, key=request.app.state.audit_key)
