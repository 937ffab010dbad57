"""State changes of a counter check, each with its audit event in the same transaction."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from fanzha.casework.audit import service as audit
from fanzha.casework.auth.principal import Principal
from fanzha.casework.auth.scoping import may_see_shop
from fanzha.casework.onboarding import notice, service
from fanzha.casework.onboarding.enums import (
    DECISION_LABELS, OPEN_FOR_SIGNING, STATUS_LABELS, CheckStatus, Decision, TransitionError, check_transition,
    decision_for, initial_status,
)  # fmt: skip
from fanzha.casework.onboarding.models import OnboardingCheck, OnboardingNotice, OnboardingStep
from fanzha.casework.onboarding.schemas import CheckRequest, CheckResult, Finding, StepOut
from fanzha.privacy import mask_id, mask_name, redact
from fanzha.db import core

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class GateError(ValueError):
    """A request the gate cannot honour; the message is plain Chinese, safe to show."""


# Checks not yet decided for good: a later ban or cap still refuses them.
REFUSABLE = frozenset({CheckStatus.PASSED, CheckStatus.PENDING_REVIEW, CheckStatus.APPROVED})


class Barred(GateError):
    """A stored check refused (or sent to L2) at a later decision: the new state is stored, commit it."""


class NotFound(LookupError):
    pass


def shop_for(principal: Principal, requested: str | None) -> str | None:
    """The shop a check is made for: the clerk's own (one of theirs if they have several)."""
    if requested:
        if principal.shop_scoped and requested not in principal.shops:
            raise GateError("只能为本人所属营业厅办理")
        return requested
    return sorted(principal.shops)[0] if principal.shops else None


# The check's row, inserted on the table (not through the ORM unit of work: about a third of a check's CPU).
_INSERT_CHECK = OnboardingCheck.__table__.insert().returning(OnboardingCheck.__table__.c.id)


def submit_check(db: Session, *, gate: service.Gate, actor: Principal, request: CheckRequest,
                 now: datetime | None = None) -> CheckResult:  # fmt: skip
    """Evaluate, store the check with its audit event (recorded last: commit soon after), return what the clerk
    sees."""
    now = now or datetime.now(UTC)
    shop_id = shop_for(actor, request.shop_id)
    ev = service.evaluate(db, gate=gate, request=request, shop_id=shop_id, clerk=actor.username, now=now)
    decision = decision_for(ev.level)
    id_no = request.id_no.strip().upper()
    row = dict(
        created_at=now, shop_id=shop_id, clerk=actor.username[:64], person_hash=ev.person_hash,
        id_masked=mask_id(id_no)[:18], name_masked=mask_name(request.name)[:64],
        name_enc=gate.protector.encrypt(request.name.strip()),
        age=ev.facts.age(now.date()) if ev.facts else None,
        division_code=ev.facts.division_code if ev.facts else None,
        requested=json.dumps(ev.requested, sort_keys=True), requested_total=sum(ev.requested.values()),
        purpose=redact(request.purpose.strip()) or None, decision=decision.value,
        reasons=json.dumps([f.model_dump() for f in ev.findings], ensure_ascii=False),
        status=initial_status(decision).value, checklist=gate.rules.checklist.name,
    )  # fmt: skip
    check_id = core(db).execute(_INSERT_CHECK, row).scalar_one()
    # A new check has no steps and no review yet: its result needs no read back. Built before the audit event,
    # which holds the chain's lock until the commit.
    result = result_of(db, gate=gate, check=SimpleNamespace(id=check_id, steps=[], reviewer=None, review_note=None,
                                                            **row), holdings=ev.holdings)  # fmt: skip
    audit.record(db, key=gate.key, actor=actor, action="onboarding.check", subject_type="onboarding_check",
                 subject_id=check_id, detail={"decision": decision.value, "id": row["id_masked"], "shop": shop_id,
                 "codes": sorted({f.code for f in ev.findings})})  # fmt: skip
    return result


def load(db: Session, *, actor: Principal, check_id: int, for_update: bool = False) -> OnboardingCheck:
    check = db.get(OnboardingCheck, check_id, with_for_update=for_update)
    if check is None or not may_see_shop(actor, check.shop_id):
        raise NotFound(check_id)
    return check


def _redecide(db: Session, *, key: bytes, actor: Principal, check: OnboardingCheck, target: CheckStatus,
              findings: list[Finding], at: str) -> None:
    """Move a stored check to ``target`` on new findings (they replace older ones of the same code), audited with
    the decision point ``at``."""
    check_transition(CheckStatus(check.status), target)
    decision = Decision.REFUSE if target is CheckStatus.REFUSED else Decision.ESCALATE
    codes = {f.code for f in findings}
    reasons = [r for r in json.loads(check.reasons) if r["code"] not in codes] + [f.model_dump() for f in findings]
    check.status, check.decision = target.value, decision.value
    check.reasons = json.dumps(reasons, ensure_ascii=False)
    audit.record(db, key=key, actor=actor, subject_type="onboarding_check", subject_id=check.id,
                 action="onboarding.recheck_refused" if decision is Decision.REFUSE else "onboarding.recheck_escalated",
                 detail={"at": at, "codes": sorted(codes)})  # fmt: skip


def _recheck(db: Session, *, gate: service.Gate, actor: Principal, check: OnboardingCheck, at: str,
             now: datetime) -> None:  # fmt: skip
    """Decide on what holds now: a ban or a line cap that arrived since the check refuses it; a new 一证通查
    finding sends a passed check to L2. Either is stored and audited, then reported as :class:`Barred`."""
    found = service.recheck(db, gate=gate, person_hash=check.person_hash, requested=json.loads(check.requested),
                            now=now)  # fmt: skip
    reasons = json.loads(check.reasons)
    seen = {(r["code"], r["text"]) for r in reasons}
    refusals = [f for f in found if f.level == "refuse"]
    escalations = [f for f in found if f.level == "escalate" and (f.code, f.text) not in seen]
    if refusals:
        target, new = CheckStatus.REFUSED, refusals
    elif escalations and check.status == CheckStatus.PASSED.value:
        target, new = CheckStatus.PENDING_REVIEW, escalations
    else:
        return
    _redecide(db, key=gate.key, actor=actor, check=check, target=target, findings=new, at=at)
    outcome = "已拒绝办理" if target is CheckStatus.REFUSED else "已转二级稽核"
    raise Barred(f"办理前复核发现：{''.join(f.text for f in new)}{outcome}。")


def refuse_open_checks(db: Session, *, key: bytes, actor: Principal, person_hash: str, case_no: str, expires_on,
                       keep_msisdn: str | None) -> int:  # fmt: skip
    """A ban just came into force (blacklist.flows): the person's checks still open are refused now, so the L2
    queue and the clerk see it at once (each later decision re-checks anyway: ``_recheck``)."""
    finding = service.ban_finding(case_no, expires_on, keep_msisdn)
    open_checks = db.execute(
        select(OnboardingCheck).where(OnboardingCheck.person_hash == person_hash,
                                      OnboardingCheck.status.in_([s.value for s in REFUSABLE])).with_for_update()
    ).scalars().all()  # fmt: skip
    for check in open_checks:
        _redecide(db, key=key, actor=actor, check=check, target=CheckStatus.REFUSED, findings=[finding], at="blacklist")
    return len(open_checks)


def record_step(db: Session, *, gate: service.Gate, actor: Principal, check_id: int, step: str,
                note: str = "") -> OnboardingStep:  # fmt: skip
    """Mark the next checklist step done (in order; the time is the server's)."""
    check = load(db, actor=actor, check_id=check_id, for_update=True)
    if check.status not in OPEN_FOR_SIGNING:
        raise GateError(f"当前状态（{STATUS_LABELS[CheckStatus(check.status)]}）不能继续办理")
    _recheck(db, gate=gate, actor=actor, check=check, at="step", now=datetime.now(UTC))
    checklist = gate.rules.checklists[check.checklist]
    done = {s.key for s in check.steps}
    pending = [s for s in checklist.steps if s.key not in done]
    if not pending:
        raise GateError("核验步骤已全部完成")
    if pending[0].key != step:
        raise GateError(f"请按顺序完成核验步骤：下一步是「{pending[0].label}」")
    position = len(checklist.steps) - len(pending)
    row = OnboardingStep(check_id=check.id, position=position, key=step, label=pending[0].label,
                         done_at=datetime.now(UTC), actor=actor.username[:64], note=redact(note) or None)  # fmt: skip
    db.add(row)
    check.steps.append(row)
    db.flush()
    audit.record(db, key=gate.key, actor=actor, action="onboarding.step", subject_type="onboarding_check",
                 subject_id=check.id, detail={"step": step, "position": position})  # fmt: skip
    return row


def review(db: Session, *, gate: service.Gate, actor: Principal, check_id: int, approve: bool,
           note: str = "") -> OnboardingCheck:  # fmt: skip
    """The L2 reviewer's decision on an escalated check."""
    check = load(db, actor=actor, check_id=check_id, for_update=True)
    if check.clerk == actor.username:
        raise GateError("不能审核本人经办的开户（双人复核）")
    target = CheckStatus.APPROVED if approve else CheckStatus.REJECTED
    try:
        check_transition(CheckStatus(check.status), target)
    except TransitionError as exc:
        raise GateError(str(exc)) from None
    if approve:
        _recheck(db, gate=gate, actor=actor, check=check, at="review", now=datetime.now(UTC))
    check.status = target.value
    check.reviewer, check.reviewed_at, check.review_note = actor.username[:64], datetime.now(UTC), redact(note) or None
    audit.record(db, key=gate.key, actor=actor, action="onboarding.review", subject_type="onboarding_check",
                 subject_id=check.id, detail={"approve": approve})  # fmt: skip
    return check


def decode_signature(data_url: str) -> bytes:
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix):
        raise GateError("签名格式无效，请重新签名")
    try:
        png = base64.b64decode(data_url[len(prefix):], validate=True)
    except ValueError:
        raise GateError("签名格式无效，请重新签名") from None
    if not png.startswith(PNG_MAGIC) or len(png) < 100:
        raise GateError("签名格式无效，请重新签名")
    return png


def sign_notice(db: Session, *, gate: service.Gate, actor: Principal, check_id: int, signature_png: bytes,
                now: datetime | None = None) -> OnboardingNotice:  # fmt: skip
    """The customer signed the anti-fraud notice: render the PDF with the signature, store it, complete the check.
    Every checklist step before the signature must be done."""
    check = load(db, actor=actor, check_id=check_id, for_update=True)
    try:
        check_transition(CheckStatus(check.status), CheckStatus.COMPLETED)
    except TransitionError as exc:
        raise GateError(str(exc)) from None
    checklist = gate.rules.checklists[check.checklist]
    done = {s.key for s in check.steps}
    missing = [s.label for s in checklist.steps if s.key not in done and s.key != "sign"]
    if missing:
        raise GateError(f"请先完成核验步骤：{'、'.join(missing)}")
    now = now or datetime.now(UTC)
    _recheck(db, gate=gate, actor=actor, check=check, at="sign", now=now)
    pdf = notice.render_pdf(
        name=gate.protector.decrypt(check.name_enc) if check.name_enc else "",
        id_no=check.id_masked,
        check=check, steps=[(s.label, s.done_at) for s in check.steps], signature_png=signature_png, signed_at=now,
    )  # fmt: skip
    row = OnboardingNotice(check_id=check.id, signed_at=now, sha256=hashlib.sha256(pdf).hexdigest(), pdf=pdf)
    db.add(row)
    if "sign" in {s.key for s in checklist.steps} and "sign" not in done:
        step = next(s for s in checklist.steps if s.key == "sign")
        db.add(OnboardingStep(check_id=check.id, position=len(check.steps), key="sign", label=step.label,
                              done_at=now, actor=actor.username[:64]))  # fmt: skip
    check.status, check.completed_at = CheckStatus.COMPLETED.value, now
    db.flush()
    audit.record(db, key=gate.key, actor=actor, action="onboarding.notice_signed", subject_type="onboarding_check",
                 subject_id=check.id, detail={"sha256": row.sha256, "bytes": len(pdf)})  # fmt: skip
    return row


def get_notice(db: Session, *, gate: service.Gate, actor: Principal, check_id: int) -> OnboardingNotice:
    check = load(db, actor=actor, check_id=check_id)
    row = db.get(OnboardingNotice, check.id)
    if row is None:
        raise NotFound(check_id)
    audit.record(db, key=gate.key, actor=actor, action="onboarding.notice_read", subject_type="onboarding_check",
                 subject_id=check.id)  # fmt: skip
    return row


def result_of(db: Session, *, gate: service.Gate, check: OnboardingCheck | SimpleNamespace,
              holdings: service.Holdings | None = None) -> CheckResult:  # fmt: skip
    """What the clerk sees of a check (a stored one, or a new one's row with ``id`` and empty ``steps``). The
    三查询 counts are the ones the check read (a new check) or as they stand now (a stored one); none for an
    invalid ID."""
    checklist = gate.rules.checklists.get(check.checklist, gate.rules.checklist)
    done = {s.key: s for s in check.steps}
    steps = [StepOut(key=s.key, label=s.label, hint=s.hint, done_at=done[s.key].done_at if s.key in done else None,
                     actor=done[s.key].actor if s.key in done else None) for s in checklist.steps]  # fmt: skip
    signed = check.status == CheckStatus.COMPLETED.value
    reasons = [Finding(**f) for f in json.loads(check.reasons)]
    if holdings is None and not any(f.code == "id_invalid" for f in reasons):
        holdings = service.holdings(db, gate=gate, person_hash=check.person_hash)
    return CheckResult(
        check_id=check.id, decision=check.decision, decision_label=DECISION_LABELS[Decision(check.decision)],
        status=check.status, status_label=STATUS_LABELS[CheckStatus(check.status)],
        reasons=reasons, id_masked=check.id_masked,
        name_masked=check.name_masked, shop_id=check.shop_id, clerk=check.clerk, created_at=check.created_at,
        requested=json.loads(check.requested), purpose=check.purpose, reviewer=check.reviewer,
        review_note=check.review_note, checklist_title=checklist.title, steps=steps, notice_signed=signed,
        holdings=holdings.present() if holdings is not None else None,
    )  # fmt: skip


def review_queue(db: Session, *, limit: int = 100) -> list[OnboardingCheck]:
    return list(db.execute(
        select(OnboardingCheck).options(selectinload(OnboardingCheck.steps))
        .where(OnboardingCheck.status == CheckStatus.PENDING_REVIEW.value)
        .order_by(OnboardingCheck.created_at).limit(limit)
    ).scalars())  # fmt: skip


def recent_for(db: Session, *, actor: Principal, limit: int = 20) -> list[OnboardingCheck]:
    from fanzha.casework.auth.scoping import shop_filter

    return list(db.execute(
        select(OnboardingCheck).where(shop_filter(actor, OnboardingCheck.shop_id))
        .order_by(OnboardingCheck.id.desc()).limit(limit)
    ).scalars())  # fmt: skip
