"""Police query state changes and result views, each with its audit event in the same transaction.

    pending ──批准（限定范围、有效期）──▶ approved ──(有效期届满)──▶ shown as 已过期
            └─拒绝（须说明理由）──▶ refused

The approver is never the requester (four eyes); granted scopes are a subset of the requested ones, and
clear data can be granted only where it was asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from fanzha.casework.audit import service as audit
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.context import utcnow
from fanzha.casework.police import service
from fanzha.casework.police.enums import QUERY_TRANSITIONS, QueryStatus, Scope, SubjectType
from fanzha.casework.police.models import PoliceQuery
from fanzha.casework.police.schemas import QueryDecision, QueryRequest, QueryResult
from fanzha.casework.police.service import QueryError
from fanzha.privacy import Protector, redact


def _ordered(scopes) -> str:
    chosen = set(scopes)
    return ",".join(s.value for s in Scope if s in chosen)


def submit(db: Session, *, key: bytes, protector: Protector, actor: Principal, body: QueryRequest) -> PoliceQuery:
    """An officer's request; it waits for an operator supervisor."""
    if not actor.can(Permission.POLICE_DESK):
        raise QueryError("无警务协查权限")
    clear, masked = service.normalise_subject(SubjectType(body.subject_type), body.subject)
    for label, text in (("案件编号", body.case_no), ("依据", body.legal_basis), ("用途", body.purpose)):
        if len(text.strip()) < 4:
            raise QueryError(f"{label}至少4个字")
    q = PoliceQuery(
        subject_type=body.subject_type.value, subject_hash=protector.hash(clear), subject_enc=protector.encrypt(clear),
        subject_masked=masked, case_no=redact(body.case_no.strip()), legal_basis=redact(body.legal_basis.strip()),
        purpose=redact(body.purpose.strip()), scopes_requested=_ordered(body.scopes), clear_requested=body.clear,
        status=QueryStatus.PENDING.value, requested_by=actor.username[:64], requested_at=utcnow(), views=0,
        clear_granted=False,
    )  # fmt: skip
    db.add(q)
    db.flush()
    audit.record(db, key=key, actor=actor, action="police.query.submit", subject_type="police_query", subject_id=q.id,
                 purpose=q.purpose, detail={"subject": masked, "subject_type": q.subject_type, "case_no": q.case_no,
                 "legal_basis": q.legal_basis, "scopes": q.scopes_requested, "clear": q.clear_requested})  # fmt: skip
    return q


def decide(db: Session, *, key: bytes, actor: Principal, query_id: int, body: QueryDecision) -> PoliceQuery:
    if not actor.can(Permission.POLICE_APPROVE):
        raise QueryError("无协查审批权限")
    q = service.get_query(db, query_id=query_id, lock=True)
    if q is None:
        raise QueryError(f"协查请求 {query_id} 不存在")
    if q.requested_by == actor.username:
        raise QueryError("不能审批自己提交的协查请求（双人复核）")
    target = QueryStatus.APPROVED if body.approve else QueryStatus.REFUSED
    if target not in QUERY_TRANSITIONS[QueryStatus(q.status)]:
        raise QueryError(f"协查请求 {q.id} 已处理（{service.status_label(q)}），不能再次审批")
    if len(body.note.strip()) < 2:
        raise QueryError("请填写审批意见或拒绝理由")
    requested = service.scopes_of(q.scopes_requested)
    if body.approve:
        granted = requested if body.scopes is None else [s for s in requested if s in set(body.scopes)]
        extra = set(body.scopes or []) - set(requested)
        if extra:
            raise QueryError("批准范围不能超出申请范围：" + "、".join(sorted(s.value for s in extra)))
        if not granted:
            raise QueryError("请至少批准一项查询范围，或拒绝该请求")
        if body.clear and not q.clear_requested:
            raise QueryError("申请未要求明文，不能批准明文")
        q.scopes_granted = _ordered(granted)
        q.clear_granted = bool(body.clear)
        q.valid_until = utcnow() + timedelta(days=body.valid_days)
    q.status = target.value
    q.decided_by = actor.username[:64]
    q.decided_at = utcnow()
    q.decision_note = redact(body.note.strip())
    audit.record(db, key=key, actor=actor, action=f"police.query.{'approve' if body.approve else 'refuse'}",
                 subject_type="police_query", subject_id=q.id, purpose=q.decision_note,
                 detail={"scopes": q.scopes_granted, "clear": q.clear_granted,
                         "valid_until": q.valid_until.isoformat() if q.valid_until else None})  # fmt: skip
    return q


def view_result(db: Session, *, key: bytes, protector: Protector, actor: Principal, query_id: int,
                stores: Iterable[Path]) -> QueryResult:  # fmt: skip
    """The result, for the officer who asked; every showing is audited (scopes and row counts, no values).
    Callers commit before the result leaves, so no clear value is shown unlogged."""
    q = service.get_query(db, query_id=query_id, lock=True)
    if q is None or q.requested_by != actor.username:
        # Only the requester sees the result; the approver decided on the request, not on the data.
        raise QueryError("协查请求不存在或不是您提交的")
    try:
        res = service.result(db, q=q, protector=protector, stores=stores)
    except QueryError as exc:
        audit.record(db, key=key, actor=actor, action="police.query.view_refused", subject_type="police_query",
                     subject_id=q.id, detail={"reason": str(exc), "status": q.status})  # fmt: skip
        raise
    q.views = (q.views or 0) + 1
    audit.record(db, key=key, actor=actor, action="police.query.view", subject_type="police_query", subject_id=q.id,
                 purpose=q.purpose, detail={"case_no": q.case_no, **service.result_digest(res)})  # fmt: skip
    return res
