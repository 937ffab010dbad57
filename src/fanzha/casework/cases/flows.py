"""State changes of cases: open or join, add lines, and review transitions — each with a timeline event and
an audit event in the caller's transaction. Orders created here are sent after commit (measures.dispatch)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fanzha.casework.audit import service as audit
from fanzha.casework.auth.principal import Principal
from fanzha.casework.cases import service
from fanzha.casework.cases.enums import (
    ACTION_LABELS, ACTIVE_STATES, STATE_LABELS, TRANSITIONS, CaseAction, CaseState,
)  # fmt: skip
from fanzha.casework.cases.models import Case, CaseEvent, CaseKey, CaseLine
from fanzha.casework.context import WorkContext, utcnow
from fanzha.casework.measures.enums import LINE_STATUS_AFTER, MEASURE_LABELS, Measure
from fanzha.casework.measures.models import MeasureOrder
from fanzha.casework.registry.models import Line
from fanzha.privacy import mask_msisdn, redact

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


class TransitionError(ValueError):
    """The action does not exist from the case's state (e.g. it would skip a review level)."""


class ReviewNotAllowed(PermissionError):
    """The actor lacks the level's permission, or already reviewed this case at another level (四眼原则)."""


def log(db: Session, *, case: Case, actor: Principal, kind: str, note: str | None = None,
        from_state: str | None = None, to_state: str | None = None) -> CaseEvent:  # fmt: skip
    event = CaseEvent(case_id=case.id, at=utcnow(), actor=actor.username[:64], kind=kind[:32],
                      from_state=from_state, to_state=to_state, note=redact(note) if note else None)  # fmt: skip
    db.add(event)
    return event


def _enter(case: Case, state: CaseState, *, settings) -> None:
    now = utcnow()
    case.state = state.value
    case.state_since = now
    hours = settings.case_sla_hours.get(state.value)
    case.due_at = now + timedelta(hours=hours) if hours else None


def owner_keys(db: Session, *, msisdns: list[str]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """Grouping keys for lines (the owner's person id) and the owner's other lines {msisdn: "same_owner"}."""
    if not msisdns:
        return [], {}
    person_ids = sorted({pid for pid in db.execute(select(Line.person_id).where(Line.msisdn.in_(msisdns))).scalars()
                         if pid is not None})  # fmt: skip
    keys = [("person", str(pid)) for pid in person_ids]
    siblings = {}
    if person_ids:
        for m in db.execute(select(Line.msisdn).where(Line.person_id.in_(person_ids)).order_by(Line.msisdn)).scalars():
            if m not in msisdns:
                siblings[m] = "same_owner"
    return keys, siblings


def add_lines(db: Session, *, case: Case, lines: dict[str, str]) -> list[str]:
    """Link lines to the case; a line already linked keeps its relation unless it becomes a subject."""
    existing = {cl.msisdn: cl for cl in db.execute(select(CaseLine).where(CaseLine.case_id == case.id)).scalars()}
    added = []
    for msisdn, relation in lines.items():
        if msisdn in existing:
            if relation == "subject" and existing[msisdn].relation != "subject":
                existing[msisdn].relation = "subject"
            continue
        cl = CaseLine(case_id=case.id, msisdn=msisdn[:20], relation=relation)
        db.add(cl)
        existing[msisdn] = cl
        added.append(msisdn)
    return added


def add_keys(db: Session, *, case: Case, keys: list[tuple[str, str]]) -> None:
    have = set(db.execute(select(CaseKey.kind, CaseKey.value).where(CaseKey.case_id == case.id)).all())
    for kind, value in dict.fromkeys(keys):
        if (kind, value) not in have:
            db.add(CaseKey(case_id=case.id, kind=kind[:16], value=str(value)[:64]))
            have.add((kind, value))


def case_for_lines(
    db: Session,
    *,
    ctx: WorkContext,
    msisdns: list[str],
    relation: str,
    actor: Principal,
    title: str,
    proposed_measure: str | None = None,
    keys: list[tuple[str, str]] | None = None,
    extra_lines: dict[str, str] | None = None,
    score: float = 0.0,
    severity: str = "low",
) -> tuple[Case, bool]:
    """Join the case under review that shares a key (a line, its owner, a device, a ring), else open one."""
    person_keys, siblings = owner_keys(db, msisdns=msisdns)
    all_keys = [("msisdn", m) for m in msisdns] + person_keys + list(keys or [])
    case = service.find_case_by_keys(db, keys=all_keys)
    joined = case is not None
    if case is None:
        now = utcnow()
        case = Case(title=redact(title)[:200], created_at=now, state_since=now, max_score=0.0, severity="low",
                    needs_l3=False, auto_measure=False)  # fmt: skip
        _enter(case, CaseState.OPEN, settings=ctx.settings)
        db.add(case)
        db.flush()
        audit.record(db, key=ctx.key, actor=actor, action="case.open", subject_type="case", subject_id=case.id,
                     detail={"lines": len(msisdns)})  # fmt: skip
        log(db, case=case, actor=actor, kind="case.open", to_state=CaseState.OPEN.value, note=title)
    if proposed_measure and not case.proposed_measure:
        case.proposed_measure = proposed_measure
    if score > case.max_score:
        case.max_score = score
    if SEVERITY_RANK.get(severity, 0) > SEVERITY_RANK.get(case.severity, 0):
        case.severity = severity
    lines = {**(extra_lines or {}), **siblings, **{m: relation for m in msisdns}}
    added = add_lines(db, case=case, lines=lines)
    add_keys(db, case=case, keys=all_keys)
    if joined and added:
        log(db, case=case, actor=actor, kind="case.lines", note=f"关联号码 +{len(added)}")
    return case, joined


def _check(case: Case, action: CaseAction, actor: Principal):
    transition = TRANSITIONS.get((CaseState(case.state), action))
    if transition is None:
        raise TransitionError(f"{ACTION_LABELS[action]} 不能在「{STATE_LABELS[CaseState(case.state)]}」状态执行 "
                              f"({action.value} not allowed from {case.state})")  # fmt: skip
    if not actor.can(transition.permission):
        raise ReviewNotAllowed(f"permission {transition.permission.value} required 无此权限")
    # Four eyes: each level is a different person.
    earlier = {CaseAction.L2_APPROVE: [case.l1_by], CaseAction.L2_REJECT: [case.l1_by],
               CaseAction.L3_APPROVE: [case.l1_by, case.l2_by], CaseAction.L3_REJECT: [case.l1_by, case.l2_by]}
    if actor.username in [x for x in earlier.get(action, []) if x]:
        raise ReviewNotAllowed("同一人不能审核两个级别 one person cannot review at two levels")
    return transition


def transition(
    db: Session,
    *,
    ctx: WorkContext,
    case_id: int,
    action: CaseAction | str,
    actor: Principal,
    note: str = "",
    measure: Measure | str | None = None,
    msisdns: list[str] | None = None,
) -> Case:
    """Apply one review action. L2 approval picks the measure (default: the proposed one) and the lines
    (default: the case's subject lines); it goes to L3 when the measure is high-impact, else orders go out."""
    from fanzha.casework.measures import service as measures

    action = CaseAction(action)
    case = service.get_case(db, case_id=case_id, lock=True)
    if case is None:
        raise LookupError(f"case {case_id} not found")
    t = _check(case, action, actor)
    before = CaseState(case.state)
    note = (note or "").strip()
    detail: dict = {"action": action.value, "from": before.value}
    target = t.targets[0]

    if action == CaseAction.L1_VERIFY:
        case.l1_by = actor.username
        if measure:
            case.proposed_measure = Measure(measure).value
    elif action == CaseAction.L2_APPROVE:
        chosen = Measure(measure or case.proposed_measure or Measure.SUSPEND.value)
        if chosen == Measure.RESTORE:
            raise TransitionError("恢复不是处置措施 restore is not a measure to approve")
        # A line taken out by an upheld appeal (WITHDRAWN) is not the case's to act on any more.
        linked = {v.msisdn for v in service.case_lines(db, case_id=case.id) if v.relation != WITHDRAWN}
        targets = [m for m in (msisdns or service.subject_msisdns(db, case_id=case.id)) if m in linked]
        if not targets:
            raise TransitionError("没有选择号码 no lines selected")
        case.proposed_measure = chosen.value
        case.l2_by = actor.username
        reasons = measures.high_impact_reasons(db, settings=ctx.settings, measure=chosen, msisdns=targets)
        case.needs_l3 = bool(reasons)
        case.l3_reasons = "；".join(reasons) or None
        detail.update(measure=chosen.value, lines=len(targets), needs_l3=case.needs_l3)
        _remember_targets(db, case=case, targets=targets)
        target = CaseState.AWAITING_L3 if reasons else CaseState.ACTIONED
    elif action == CaseAction.L3_APPROVE:
        case.l3_by = actor.username

    _enter(case, target, settings=ctx.settings)
    if target == CaseState.ACTIONED:
        targets = _targets(db, case=case)
        orders = measures.issue_orders(
            db, ctx=ctx, msisdns=targets, measure=case.proposed_measure, reason=note or case.title,
            source="review", origin=f"case:{case.id}", actor=actor, case_id=case.id,
        )  # fmt: skip
        case.outcome = "confirmed"
        detail["orders"] = [o.order_key for o in orders]
        _label_case_lines(db, case=case, lines=targets, outcome="confirmed")
    elif target == CaseState.DISMISSED:
        case.outcome = "false_positive"
        detail["restored"] = _undo_auto_measures(db, ctx=ctx, case=case, actor=actor)
        _label_case_lines(db, case=case, lines=_targets(db, case=case), outcome="false_positive")
    elif target == CaseState.OPEN:
        case.outcome = None
        case.l1_by = case.l2_by = case.l3_by = None

    audit.record(db, key=ctx.key, actor=actor, action=f"case.{action.value}", subject_type="case",
                 subject_id=case.id, purpose=redact(note) or None, detail={**detail, "to": target.value})  # fmt: skip
    text = ACTION_LABELS[action]
    if action == CaseAction.L2_APPROVE:
        text += f"（{MEASURE_LABELS[Measure(case.proposed_measure)]}）"
        if case.needs_l3:
            text += f"；须三级审批：{case.l3_reasons}"
    log(db, case=case, actor=actor, kind=f"case.{action.value}", from_state=before.value, to_state=target.value,
        note=f"{text}{'：' + note if note else ''}")  # fmt: skip
    return case


WITHDRAWN = "appeal_upheld"  # case_lines.relation of a line an upheld appeal took out of the case


def withdraw_line(db: Session, *, ctx: WorkContext, msisdn: str, actor: Principal, reason: str) -> list[int]:
    """An upheld appeal restored ``msisdn``: every case still in work that would act on it drops it (relation
    WITHDRAWN), so no open proposal can shut the line again. A case left with no line to act on ends: one under
    review is dismissed as a false positive, one already actioned is closed. Returns the cases touched."""
    cases = list(db.execute(
        select(Case).join(CaseLine, CaseLine.case_id == Case.id)
        .where(CaseLine.msisdn == msisdn, CaseLine.relation == "subject",
               Case.state.in_([s.value for s in ACTIVE_STATES])).order_by(Case.id)
    ).scalars().unique())  # fmt: skip
    for case in cases:
        db.execute(update(CaseLine).where(CaseLine.case_id == case.id, CaseLine.msisdn == msisdn)
                   .values(relation=WITHDRAWN))  # fmt: skip
        before = CaseState(case.state)
        target = before
        if not service.subject_msisdns(db, case_id=case.id):
            target = CaseState.CLOSED if before == CaseState.ACTIONED else CaseState.DISMISSED
            _enter(case, target, settings=ctx.settings)
            case.outcome = "false_positive"
        audit.record(db, key=ctx.key, actor=actor, action="case.line_withdrawn", subject_type="case",
                     subject_id=case.id, purpose=redact(reason) or None,
                     detail={"msisdn": mask_msisdn(msisdn), "from": before.value, "to": target.value})  # fmt: skip
        ended = {CaseState.DISMISSED: "，案件无其他处置对象，按误报驳回",
                 CaseState.CLOSED: "，案件无其他处置对象，结案"}.get(target) if target != before else "，其余号码继续办理"
        log(db, case=case, actor=actor, kind="case.line_withdrawn", from_state=before.value, to_state=target.value,
            note=f"{reason}：号码 {mask_msisdn(msisdn)} 撤出处置{ended}")  # fmt: skip
    return [c.id for c in cases]


def _remember_targets(db: Session, *, case: Case, targets: list[str]) -> None:
    # The approved lines are the case's subjects from now on (L3 and the orders act on exactly these).
    for cl in db.execute(select(CaseLine).where(CaseLine.case_id == case.id)).scalars():
        if cl.msisdn in targets and cl.relation != "subject":
            cl.relation = "subject"
        elif cl.msisdn not in targets and cl.relation == "subject":
            cl.relation = "not_selected"


def _targets(db: Session, *, case: Case) -> list[str]:
    return service.subject_msisdns(db, case_id=case.id)


def _undo_auto_measures(db: Session, *, ctx: WorkContext, case: Case, actor: Principal) -> int:
    """A dismissed case restores the lines it restricted before review (auto-suspension, immediate proposals)."""
    from fanzha.casework.measures import service as measures

    restrictive = [m.value for m in Measure if m != Measure.RESTORE]
    numbers = sorted(set(db.execute(select(MeasureOrder.msisdn).where(
        MeasureOrder.case_id == case.id, MeasureOrder.measure.in_(restrictive),
        MeasureOrder.status != "cancelled")).scalars()))  # fmt: skip
    if not numbers:
        return 0
    orders = measures.issue_orders(db, ctx=ctx, msisdns=numbers, measure=Measure.RESTORE,
                                   reason=f"案件{case.id}驳回，撤销先行处置", source="review",
                                   origin=f"case:{case.id}", actor=actor, case_id=case.id)  # fmt: skip
    return len(orders)


def _label_case_lines(db: Session, *, case: Case, lines: list[str], outcome: str) -> None:
    """Review outcomes are training labels (``fanzha labels export``): a dismissed case's lines are verified
    normal, an actioned case's lines confirmed fraud; a later appeal's outcome supersedes either."""
    from fanzha.casework.appeals.labels import record_label

    for msisdn in lines:
        record_label(db, msisdn=msisdn, outcome=outcome, source=f"case:{case.id}")


def line_status_for(measure: str) -> str:
    return LINE_STATUS_AFTER[Measure(measure)]
