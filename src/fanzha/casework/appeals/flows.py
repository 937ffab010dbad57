"""Appeal state changes: file, re-verify, decide. Each is audited and noted on the line's case timeline.

The law: a person whose line was restricted must be able to appeal, and a verified appeal lifts the measure
at once. So ``decide(upheld=True)`` issues the restore order in the same transaction (the caller dispatches
it right after commit), and a line restricted only *pending re-verification* (二次实名核验) is restored by the
matching re-verification itself, without waiting for a reviewer.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from fanzha.casework.appeals import service
from fanzha.casework.appeals.enums import APPEAL_LABELS, APPEAL_TRANSITIONS, AppealStatus
from fanzha.casework.appeals.labels import record_label
from fanzha.casework.appeals.models import Appeal, Reverification
from fanzha.casework.audit import service as audit
from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.auth.scoping import may_see_shop
from fanzha.casework.cases import flows as case_flows
from fanzha.casework.cases import service as case_service
from fanzha.casework.cases.models import Case
from fanzha.casework.context import WorkContext, utcnow
from fanzha.casework.measures import service as measures
from fanzha.casework.measures.enums import RESTRICTED_STATUSES, Measure
from fanzha.casework.measures.models import MeasureOrder
from fanzha.casework.registry.models import Line
from fanzha.privacy import mask_id, mask_msisdn, redact


class AppealError(ValueError):
    """Not possible in the appeal's (or line's) current state; the message says why, in Chinese and English."""


class AppealNotAllowed(PermissionError):
    pass


def _move(appeal: Appeal, to: AppealStatus) -> AppealStatus:
    before = AppealStatus(appeal.status)
    if to not in APPEAL_TRANSITIONS[before]:
        raise AppealError(f"申诉状态「{APPEAL_LABELS[before]}」不能变为「{APPEAL_LABELS[to]}」 ({before} → {to})")
    appeal.status = to.value
    return before


def _note_case(db: Session, appeal: Appeal, actor: Principal, kind: str, note: str) -> None:
    if appeal.case_id:
        case = db.get(Case, appeal.case_id)
        if case is not None:
            case_flows.log(db, case=case, actor=actor, kind=kind, note=note)


def file_appeal(
    db: Session, *, ctx: WorkContext, msisdn: str, statement: str, channel: str, actor: Principal,
    shop_id: str | None = None,
) -> Appeal:  # fmt: skip
    """The owner appeals a restriction (at the counter: ``shop_id`` is the clerk's shop). An open appeal for
    the line is returned instead of a second one."""
    msisdn = msisdn.strip()
    line = db.get(Line, msisdn)
    if line is None:
        raise AppealError("号码不存在 unknown line")
    if line.status not in RESTRICTED_STATUSES:
        raise AppealError("该号码未被限制，无需申诉 the line is not restricted")
    if shop_id is not None and not may_see_shop(actor, shop_id):
        raise AppealNotAllowed("只能以本营业厅名义受理 only for your own shop")
    existing = service.open_appeal_for(db, msisdn=msisdn)
    if existing is not None:
        return existing
    case = case_service.latest_case_for_line(db, msisdn=msisdn)
    now = utcnow()
    appeal = Appeal(
        msisdn=msisdn, case_id=case.id if case else None, status=AppealStatus.FILED.value, channel=channel[:8],
        shop_id=shop_id, statement=redact(statement.strip())[:4000], filed_at=now, filed_by=actor.username[:64],
        due_at=now + timedelta(hours=ctx.settings.appeal_sla_hours), measure_at_filing=line.status,
    )  # fmt: skip
    db.add(appeal)
    db.flush()
    audit.record(db, key=ctx.key, actor=actor, action="appeal.file", subject_type="line", subject_id=msisdn,
                 detail={"appeal_id": appeal.id, "channel": channel, "case_id": appeal.case_id})  # fmt: skip
    _note_case(db, appeal, actor, "appeal.filed", f"{mask_msisdn(msisdn)} 机主提出申诉（{channel}）#{appeal.id}")
    return appeal


def record_reverification(
    db: Session, *, ctx: WorkContext, appeal_id: int, id_no: str, person_present: bool, purpose: str,
    actor: Principal, shop_id: str | None = None,
) -> Reverification:  # fmt: skip
    """二次实名核验 at the counter: the presented ID's keyed hash must equal the line owner's, and the person
    must be there. Only the masked ID and the match result are kept."""
    appeal = service.get_appeal(db, appeal_id=appeal_id, principal=actor)
    if appeal is None:
        raise LookupError(f"appeal {appeal_id} not found")
    line = db.get(Line, appeal.msisdn)
    id_no = id_no.strip().upper()
    matches = bool(line is not None and line.person is not None and id_no
                   and ctx.protector.hash(id_no) == line.person.id_hash)  # fmt: skip
    ok = matches and person_present
    before = _move(appeal, AppealStatus.REVERIFIED if ok else AppealStatus.REVERIFY_FAILED)
    record = Reverification(
        appeal_id=appeal.id, msisdn=appeal.msisdn, at=utcnow(), clerk=actor.username[:64],
        shop_id=shop_id or appeal.shop_id, person_present=person_present, id_masked=mask_id(id_no)[:18],
        id_matches=matches, purpose=redact(purpose.strip())[:200],
    )  # fmt: skip
    db.add(record)
    audit.record(db, key=ctx.key, actor=actor, action="appeal.reverify", subject_type="line", subject_id=appeal.msisdn,
                 detail={"appeal_id": appeal.id, "id_matches": matches, "present": person_present,
                         "from": before.value, "to": appeal.status})  # fmt: skip
    verdict = "核验通过" if ok else ("证件与机主不符" if not matches else "本人未到场")
    _note_case(db, appeal, actor, "appeal.reverify", f"申诉#{appeal.id} 二次实名核验：{verdict}；用途：{record.purpose}")
    if ok and line is not None and line.status == "reverify":
        # The measure was "restricted until re-verified": the matching re-verification is the decision.
        decide(db, ctx=ctx, appeal_id=appeal.id, upheld=True, note="二次实名核验通过，自动恢复",
               actor=Principal.system("reverification"), _rule=True)  # fmt: skip
    return record


def decide(
    db: Session, *, ctx: WorkContext, appeal_id: int, upheld: bool, note: str, actor: Principal, _rule: bool = False
) -> Appeal:
    """申诉决定 by a level-2 or level-3 reviewer. Upheld (needs a passed re-verification) restores the line at
    once and labels it a false positive; rejected confirms the measure (label: the detector's)."""
    if not _rule and not (actor.can(Permission.REVIEW_L2) or actor.can(Permission.REVIEW_L3)):
        raise AppealNotAllowed("permission review.l2 or review.l3 required 无此权限")
    appeal = service.get_appeal(db, appeal_id=appeal_id)
    if appeal is None:
        raise LookupError(f"appeal {appeal_id} not found")
    target = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
    if upheld and appeal.status != AppealStatus.REVERIFIED.value:
        raise AppealError("须先通过二次实名核验 a passed re-verification is required first")
    before = _move(appeal, target)
    appeal.decided_at = utcnow()
    appeal.decided_by = actor.username[:64]
    appeal.decision_note = redact(note.strip())[:2000] or None
    orders: list[MeasureOrder] = []
    if upheld:
        orders = measures.issue_orders(db, ctx=ctx, msisdns=[appeal.msisdn], measure=Measure.RESTORE,
                                       reason=f"申诉#{appeal.id}成立", source="appeal", origin=f"appeal:{appeal.id}",
                                       actor=actor, case_id=appeal.case_id, appeal_id=appeal.id)  # fmt: skip
        # Every case still in work that would act on the line lets go of it (or ends): no open proposal may
        # shut again the line this appeal just restored.
        case_flows.withdraw_line(db, ctx=ctx, msisdn=appeal.msisdn, actor=actor, reason=f"申诉#{appeal.id}成立")
    record_label(db, msisdn=appeal.msisdn, outcome="false_positive" if upheld else "confirmed",
                 source=f"appeal:{appeal.id}")  # fmt: skip
    audit.record(db, key=ctx.key, actor=actor, action="appeal.decide", subject_type="line", subject_id=appeal.msisdn,
                 purpose=appeal.decision_note, detail={"appeal_id": appeal.id, "upheld": upheld, "from": before.value,
                                                       "orders": [o.order_key for o in orders]})  # fmt: skip
    _note_case(db, appeal, actor, "appeal.decided",
               f"申诉#{appeal.id} {APPEAL_LABELS[target]}{'：' + appeal.decision_note if appeal.decision_note else ''}")
    return appeal
