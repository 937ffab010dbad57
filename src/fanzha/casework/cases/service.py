"""Reading cases: queues, the case file (lines, alerts, orders, timeline), grouping-key lookups, SLA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanzha.casework.alerts.models import Alert
from fanzha.casework.cases.enums import REVIEW_STATES, CaseState
from fanzha.casework.cases.models import Case, CaseEvent, CaseKey, CaseLine
from fanzha.casework.context import aware, utcnow
from fanzha.casework.measures.models import LineClass, MeasureOrder
from fanzha.casework.registry.models import Line


def get_case(db: Session, *, case_id: int, lock: bool = False) -> Case | None:
    stmt = select(Case).where(Case.id == case_id)
    if lock:
        stmt = stmt.with_for_update()
    return db.execute(stmt).scalar_one_or_none()


def find_case_by_keys(db: Session, *, keys: list[tuple[str, str]]) -> Case | None:
    """The oldest case still under review that shares any grouping key."""
    if not keys:
        return None
    conds = [(CaseKey.kind == k) & (CaseKey.value == v) for k, v in keys]
    from sqlalchemy import or_

    return db.execute(
        select(Case).join(CaseKey, CaseKey.case_id == Case.id)
        .where(or_(*conds), Case.state.in_([s.value for s in REVIEW_STATES]))
        .order_by(Case.id).limit(1)
    ).scalar_one_or_none()  # fmt: skip


def queue(db: Session, *, states: list[str], limit: int = 200, offset: int = 0) -> list[Case]:
    """Oldest deadline first: what is overdue or nearly so is at the top."""
    stmt = select(Case).where(Case.state.in_(states)).order_by(Case.due_at.is_(None), Case.due_at, Case.id)
    return list(db.execute(stmt.limit(limit).offset(offset)).scalars())


def queue_count(db: Session, *, states: list[str]) -> int:
    return db.execute(select(func.count()).select_from(Case).where(Case.state.in_(states))).scalar_one()


def first_alerts(db: Session, *, case_ids: list[int]) -> dict[int, Alert]:
    """Each case's first alert (the one that opened it, when an alert did): what its title is made from."""
    if not case_ids:
        return {}
    firsts = select(func.min(Alert.id)).where(Alert.case_id.in_(case_ids)).group_by(Alert.case_id)
    return {a.case_id: a for a in db.execute(select(Alert).where(Alert.id.in_(firsts))).scalars()}


def is_overdue(case: Case, *, now: datetime | None = None) -> bool:
    return case.due_at is not None and aware(case.due_at) < (now or utcnow())


@dataclass
class CaseLineView:
    msisdn: str
    relation: str
    status: str | None
    line_type: str | None
    owner_masked: str | None
    account_class: str | None


def case_lines(db: Session, *, case_id: int) -> list[CaseLineView]:
    from sqlalchemy.orm import selectinload

    rows = db.execute(select(CaseLine).where(CaseLine.case_id == case_id).order_by(CaseLine.id)).scalars().all()
    numbers = [r.msisdn for r in rows]
    lines = {ln.msisdn: ln for ln in db.execute(
        select(Line).options(selectinload(Line.person)).where(Line.msisdn.in_(numbers))).scalars()}  # fmt: skip
    classes = dict(db.execute(select(LineClass.msisdn, LineClass.account_class)
                              .where(LineClass.msisdn.in_(numbers))).all())  # fmt: skip
    out = []
    for r in rows:
        ln = lines.get(r.msisdn)
        out.append(CaseLineView(
            msisdn=r.msisdn, relation=r.relation, status=ln.status if ln else None,
            line_type=ln.line_type if ln else None,
            owner_masked=(ln.person.name_masked if ln and ln.person else None), account_class=classes.get(r.msisdn),
        ))  # fmt: skip
    return out


def subject_msisdns(db: Session, *, case_id: int) -> list[str]:
    return list(db.execute(select(CaseLine.msisdn).where(CaseLine.case_id == case_id, CaseLine.relation == "subject")
                           .order_by(CaseLine.id)).scalars())  # fmt: skip


def case_alerts(db: Session, *, case_id: int) -> list[Alert]:
    return list(db.execute(select(Alert).where(Alert.case_id == case_id)
                           .order_by(Alert.score.desc(), Alert.id)).scalars())  # fmt: skip


def case_orders(db: Session, *, case_id: int) -> list[MeasureOrder]:
    return list(db.execute(select(MeasureOrder).where(MeasureOrder.case_id == case_id)
                           .order_by(MeasureOrder.id)).scalars())  # fmt: skip


def timeline(db: Session, *, case_id: int) -> list[CaseEvent]:
    return list(db.execute(select(CaseEvent).where(CaseEvent.case_id == case_id)
                           .order_by(CaseEvent.at, CaseEvent.id)).scalars())  # fmt: skip


def latest_case_for_line(db: Session, *, msisdn: str) -> Case | None:
    return db.execute(
        select(Case).join(CaseLine, CaseLine.case_id == Case.id).where(CaseLine.msisdn == msisdn)
        .where(Case.state.in_([CaseState.ACTIONED.value, *[s.value for s in REVIEW_STATES]]))
        .order_by(Case.id.desc()).limit(1)
    ).scalar_one_or_none()  # fmt: skip
