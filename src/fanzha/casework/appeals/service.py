"""Reading appeals: queue, one appeal with its re-verifications, SLA."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanzha.casework.appeals.enums import OPEN_APPEALS, AppealStatus
from fanzha.casework.appeals.models import Appeal, Reverification
from fanzha.casework.auth.principal import Principal
from fanzha.casework.auth.scoping import may_see_shop, shop_filter
from fanzha.casework.context import aware, utcnow


def get_appeal(db: Session, *, appeal_id: int, principal: Principal | None = None) -> Appeal | None:
    appeal = db.get(Appeal, appeal_id)
    if appeal is None or (principal is not None and not _visible(principal, appeal.shop_id)):
        return None
    return appeal


def _visible(principal: Principal, shop_id: str | None) -> bool:
    # Appeals filed through the API belong to no shop: any counter may re-verify the owner who walks in.
    return shop_id is None or may_see_shop(principal, shop_id)


def open_appeal_for(db: Session, *, msisdn: str) -> Appeal | None:
    return db.execute(select(Appeal).where(Appeal.msisdn == msisdn,
                                           Appeal.status.in_([s.value for s in OPEN_APPEALS]))
                      .order_by(Appeal.id.desc()).limit(1)).scalar_one_or_none()  # fmt: skip


def appeals_queue(db: Session, *, principal: Principal, open_only: bool = True, limit: int = 200) -> list[Appeal]:
    """Clerks see their shops' appeals; reviewers all. Earliest deadline first."""
    stmt = select(Appeal).where(shop_filter(principal, Appeal.shop_id) | Appeal.shop_id.is_(None))
    if open_only:
        stmt = stmt.where(Appeal.status.in_([s.value for s in OPEN_APPEALS]))
    return list(db.execute(stmt.order_by(Appeal.due_at, Appeal.id).limit(limit)).scalars())


def reverifications(db: Session, *, appeal_id: int) -> list[Reverification]:
    return list(db.execute(select(Reverification).where(Reverification.appeal_id == appeal_id)
                           .order_by(Reverification.id)).scalars())  # fmt: skip


def is_overdue(appeal: Appeal, *, now: datetime | None = None) -> bool:
    return AppealStatus(appeal.status) in OPEN_APPEALS and aware(appeal.due_at) < (now or utcnow())


def pending_order_ids(db: Session, *, appeal_id: int) -> list[int]:
    from fanzha.casework.measures.models import MeasureOrder

    return list(db.execute(select(MeasureOrder.id).where(MeasureOrder.appeal_id == appeal_id,
                                                         MeasureOrder.status == "pending")).scalars())  # fmt: skip
