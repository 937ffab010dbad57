"""Creating measure orders (idempotently) and proposing measures for review.

``propose_measure`` is the entry point for other domains (counter gate, police desk, reports)::

    from fanzha.casework.measures.service import propose_measure
    proposal = propose_measure(db, msisdns=["13307150001"], measure="suspend",
                               reason="黑名单人员名下多余号码", source="onboarding", actor=principal)
    # proposal.case_id: the case that now waits for 一级稽核 (or an existing open case it joined)

It runs in the caller's transaction (nothing is committed here). By default the measure goes through the
three-level review before any order is sent; ``immediate=True`` issues the orders at once as well (for
measures the law requires without delay, e.g. a police-confirmed fraud number), and the case is reviewed
afterwards exactly like an auto-suspension. After the caller commits, ``dispatch.dispatch_orders`` (or the
``fanzha orders retry`` command, or the next web request that dispatches) sends pending orders.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanzha.casework.audit import service as audit
from fanzha.casework.auth.principal import Principal
from fanzha.casework.context import WorkContext, utcnow, work_context
from fanzha.casework.measures.enums import LINE_STATUS_AFTER, OPEN_ORDER_STATUSES, Measure
from fanzha.casework.measures.models import LineClass, MeasureOrder
from fanzha.casework.registry.models import Line
from fanzha.config import Settings
from fanzha.privacy import mask_msisdn, redact


@dataclass
class Proposal:
    case_id: int
    orders: list[MeasureOrder] = field(default_factory=list)  # only with immediate=True
    joined_existing: bool = False


def _key(msisdn: str, measure: str, origin: str, generation: int) -> str:
    # Deterministic: two transactions issuing the same order collide on the unique key instead of doubling it.
    raw = f"{msisdn}|{measure}|{origin}|{generation}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


def open_order(db: Session, *, msisdn: str, measure: str) -> MeasureOrder | None:
    return db.execute(
        select(MeasureOrder).where(MeasureOrder.msisdn == msisdn, MeasureOrder.measure == measure,
                                   MeasureOrder.status.in_([s.value for s in OPEN_ORDER_STATUSES]))
        .order_by(MeasureOrder.id).limit(1)
    ).scalar_one_or_none()  # fmt: skip


def issue_orders(
    db: Session,
    *,
    ctx: WorkContext,
    msisdns: Iterable[str],
    measure: Measure | str,
    reason: str,
    source: str,
    origin: str,
    actor: Principal,
    case_id: int | None = None,
    appeal_id: int | None = None,
) -> list[MeasureOrder]:
    """Orders for each line, unless one is already open for the same measure (reused) or the line is already
    in the state the measure leads to (nothing to do). Orders are sent later, in id order per line."""
    measure = Measure(measure)
    out: list[MeasureOrder] = []
    now = utcnow()
    for msisdn in dict.fromkeys(m.strip() for m in msisdns if m and m.strip()):
        existing = open_order(db, msisdn=msisdn, measure=measure)
        if existing is not None:
            out.append(existing)
            continue
        line = db.get(Line, msisdn)
        later = db.execute(select(func.count()).select_from(MeasureOrder).where(
            MeasureOrder.msisdn == msisdn, MeasureOrder.status.in_([s.value for s in OPEN_ORDER_STATUSES]))
        ).scalar_one()  # fmt: skip
        if line is not None and line.status == LINE_STATUS_AFTER[measure] and not later:
            continue
        generation = db.execute(select(func.count()).select_from(MeasureOrder).where(
            MeasureOrder.msisdn == msisdn, MeasureOrder.measure == measure, MeasureOrder.origin == origin)
        ).scalar_one()  # fmt: skip
        order = MeasureOrder(
            order_key=_key(msisdn, measure, origin, generation), msisdn=msisdn, measure=measure.value,
            status="pending", source=source[:32], origin=origin[:64], reason=redact(reason)[:2000], case_id=case_id,
            appeal_id=appeal_id, created_at=now, created_by=actor.username[:64], attempts=0, next_attempt_at=now,
        )  # fmt: skip
        db.add(order)
        db.flush()
        audit.record(db, key=ctx.key, actor=actor, action="measure.order", subject_type="line", subject_id=msisdn,
                     detail={"order": order.order_key, "measure": measure.value, "source": source, "origin": origin,
                             "case_id": case_id, "appeal_id": appeal_id})  # fmt: skip
        out.append(order)
    return out


def high_impact_reasons(db: Session, *, settings: Settings, measure: Measure | str, msisdns: list[str]) -> list[str]:
    """Why a measure needs 三级稽核 (L3): shutdown, many lines at once, enterprise/government lines."""
    measure = Measure(measure)
    reasons = []
    if measure == Measure.SHUTDOWN:
        reasons.append("关停（而非停机）须三级审批 shutdown rather than suspension")
    if measure != Measure.RESTORE and len(msisdns) >= settings.l3_line_count:
        reasons.append(f"一次处置 {len(msisdns)} 个号码（≥{settings.l3_line_count}） many lines at once")
    if msisdns and measure != Measure.RESTORE:
        classes = db.execute(select(LineClass.msisdn, LineClass.account_class)
                             .where(LineClass.msisdn.in_(msisdns))).all()  # fmt: skip
        for msisdn, cls in classes:
            label = "政府" if cls == "government" else "政企"
            reasons.append(f"{label}号码 {mask_msisdn(msisdn)} enterprise/government line")
    return reasons


def propose_measure(
    db: Session,
    *,
    msisdns: Iterable[str],
    measure: Measure | str,
    reason: str,
    source: str,
    actor: Principal,
    immediate: bool = False,
    settings: Settings | None = None,
) -> Proposal:
    """Put a measure on lines up for the three-level review; see the module docstring.

    The lines join an open case that already holds one of them (or their owner), else a new case is opened
    with ``proposed_measure`` set. Raises ValueError for an unknown measure or no lines.
    """
    from fanzha.casework.cases import flows as case_flows

    ctx = work_context(settings)
    measure = Measure(measure)
    numbers = list(dict.fromkeys(m.strip() for m in msisdns if m and m.strip()))
    if not numbers:
        raise ValueError("propose_measure needs at least one msisdn")
    case, joined = case_flows.case_for_lines(
        db, ctx=ctx, msisdns=numbers, relation="subject", actor=actor,
        title=f"{source}: {redact(reason)}"[:200], proposed_measure=measure.value,
    )  # fmt: skip
    case_flows.log(db, case=case, actor=actor, kind="measure.proposed",
                   note=f"{source} 建议对 {len(numbers)} 个号码{measure.value}：{redact(reason)}")  # fmt: skip
    proposal = Proposal(case_id=case.id, joined_existing=joined)
    if immediate:
        proposal.orders = issue_orders(db, ctx=ctx, msisdns=numbers, measure=measure, reason=reason, source=source,
                                       origin=f"case:{case.id}", actor=actor, case_id=case.id)  # fmt: skip
        case.auto_measure = True
    return proposal
