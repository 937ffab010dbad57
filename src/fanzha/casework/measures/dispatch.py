"""Sending orders to the BSS: at-least-once delivery made exactly-once by the order key.

Each order is *claimed* in its own short transaction (status → sending, attempts + 1, committed) before the
adapter is called, and marked done (and ``lines.status`` updated) in another. So:

- a crash after the order was committed but before it was sent leaves it ``pending``: the next dispatch
  (``fanzha orders retry``, or the next page action) sends it — the order is never lost;
- a crash after the adapter call but before "done" was written leaves it ``sending``: after ``lease``
  seconds it is taken over and sent again with the same key, which the BSS ignores — never applied twice;
- two dispatchers cannot both claim one order: the claim is a conditional UPDATE and only one row matches;
- orders of one line go out in the order they were created (a restore never overtakes its suspend).

A failed call is retried with exponential backoff (bss_retry_base_seconds, doubling, capped), and after
``bss_max_attempts`` it stops as ``failed`` until someone presses 重试 or runs ``fanzha orders retry --failed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from fanzha.casework.audit import service as audit
from fanzha.casework.auth.principal import Principal
from fanzha.casework.context import WorkContext, aware, utcnow, work_context
from fanzha.casework.measures.adapters import BssAdapter, OrderPayload, load_adapter
from fanzha.casework.measures.enums import LINE_STATUS_AFTER, OPEN_ORDER_STATUSES, Measure, OrderStatus
from fanzha.casework.measures.models import MeasureOrder
from fanzha.casework.registry.models import Line
from fanzha.config import Settings

LEASE_SECONDS = 300.0
SYSTEM = Principal.system("bss-dispatch")


@dataclass
class DispatchSummary:
    sent: int = 0
    failed: int = 0
    waiting: int = 0  # held back behind an earlier open order of the same line
    errors: list[str] = field(default_factory=list)


def backoff(settings: Settings, attempts: int) -> timedelta:
    seconds = settings.bss_retry_base_seconds * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.bss_retry_max_seconds))


def due_order_ids(db: Session, *, now: datetime, lease: float, include_failed: bool = False,
                  order_ids: list[int] | None = None) -> list[int]:  # fmt: skip
    conds = [
        MeasureOrder.status == OrderStatus.PENDING.value,
        (MeasureOrder.status == OrderStatus.RETRYING.value) & (MeasureOrder.next_attempt_at <= now),
        (MeasureOrder.status == OrderStatus.SENDING.value) & (MeasureOrder.claimed_at <= now - timedelta(seconds=lease)),
    ]
    if include_failed:
        conds.append(MeasureOrder.status == OrderStatus.FAILED.value)
    stmt = select(MeasureOrder.id).where(or_(*conds)).order_by(MeasureOrder.id)
    if order_ids is not None:
        stmt = stmt.where(MeasureOrder.id.in_(order_ids))
    return list(db.execute(stmt).scalars())


def _blocked(db: Session, order: MeasureOrder) -> bool:
    earlier = db.execute(select(MeasureOrder.id).where(
        MeasureOrder.msisdn == order.msisdn, MeasureOrder.id < order.id,
        MeasureOrder.status.in_([s.value for s in OPEN_ORDER_STATUSES])).limit(1)).first()  # fmt: skip
    return earlier is not None


def _claim(db: Session, order_id: int, *, now: datetime, lease: float, include_failed: bool) -> MeasureOrder | None:
    order = db.get(MeasureOrder, order_id)
    if order is None or _blocked(db, order):
        return None
    claimable = [OrderStatus.PENDING.value, OrderStatus.RETRYING.value]
    if include_failed:
        claimable.append(OrderStatus.FAILED.value)
    stale = (MeasureOrder.status == OrderStatus.SENDING.value) & (
        MeasureOrder.claimed_at <= now - timedelta(seconds=lease))
    result = db.execute(
        update(MeasureOrder)
        .where(MeasureOrder.id == order_id, MeasureOrder.attempts == order.attempts,
               or_(MeasureOrder.status.in_(claimable), stale))
        .values(status=OrderStatus.SENDING.value, claimed_at=now, attempts=MeasureOrder.attempts + 1)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    if result.rowcount != 1:
        db.rollback()
        return None
    db.commit()
    db.refresh(order)
    return order


def _payload(order: MeasureOrder) -> OrderPayload:
    return OrderPayload(order_key=order.order_key, msisdn=order.msisdn, measure=order.measure, source=order.source,
                        origin=order.origin, reason=order.reason or "",
                        created_at=aware(order.created_at).isoformat())  # fmt: skip


def _timeline(db: Session, order: MeasureOrder, kind: str, note: str) -> None:
    if order.case_id is None:
        return
    from fanzha.casework.cases import flows as case_flows
    from fanzha.casework.cases.models import Case

    case = db.get(Case, order.case_id)
    if case is not None:
        case_flows.log(db, case=case, actor=SYSTEM, kind=kind, note=note)


def _done(db: Session, ctx: WorkContext, order: MeasureOrder, adapter: BssAdapter, ref: str | None) -> None:
    from fanzha.casework.measures.enums import MEASURE_LABELS
    from fanzha.privacy import mask_msisdn

    order.status = OrderStatus.DONE.value
    order.done_at = utcnow()
    order.external_ref = (ref or None) and ref[:128]
    order.adapter = adapter.name
    order.last_error = None
    line = db.get(Line, order.msisdn)
    if line is not None:
        line.status = LINE_STATUS_AFTER[Measure(order.measure)]
    audit.record(db, key=ctx.key, actor=SYSTEM, action="measure.done", subject_type="line", subject_id=order.msisdn,
                 detail={"order": order.order_key, "measure": order.measure, "attempts": order.attempts,
                         "adapter": adapter.name})  # fmt: skip
    _timeline(db, order, "measure.done",
              f"{MEASURE_LABELS[Measure(order.measure)]} {mask_msisdn(order.msisdn)} 已执行（第{order.attempts}次发送）")


def _failed(db: Session, ctx: WorkContext, order: MeasureOrder, adapter: BssAdapter, error: str, now: datetime) -> None:
    from fanzha.privacy import mask_msisdn, redact

    order.last_error = redact(error)[:1000]
    order.adapter = adapter.name
    if order.attempts >= ctx.settings.bss_max_attempts:
        order.status = OrderStatus.FAILED.value
        order.next_attempt_at = None
        note = f"发送失败，已停止自动重试：{order.last_error}"
    else:
        order.status = OrderStatus.RETRYING.value
        order.next_attempt_at = now + backoff(ctx.settings, order.attempts)
        note = f"发送失败（第{order.attempts}次），将自动重试：{order.last_error}"
    _timeline(db, order, "measure.failed", f"{mask_msisdn(order.msisdn)} {note}")


def dispatch_orders(
    bind: Engine | sessionmaker,
    *,
    settings: Settings | None = None,
    adapter: BssAdapter | None = None,
    order_ids: list[int] | None = None,
    include_failed: bool = False,
    now: datetime | None = None,
    lease: float = LEASE_SECONDS,
) -> DispatchSummary:
    """Send every due order (or only ``order_ids``); each in its own transactions. Never raises for an
    adapter failure: the order records it and waits for its retry."""
    ctx = work_context(settings)
    factory = bind if isinstance(bind, sessionmaker) else sessionmaker(bind=bind, expire_on_commit=False)
    summary = DispatchSummary()
    now = now or utcnow()
    with factory() as db:
        ids = due_order_ids(db, now=now, lease=lease, include_failed=include_failed, order_ids=order_ids)
    if not ids:
        return summary
    adapter = adapter or load_adapter(ctx.settings)
    for order_id in ids:
        with factory() as db:
            order = _claim(db, order_id, now=now, lease=lease, include_failed=include_failed)
            if order is None:
                summary.waiting += 1
                continue
            try:
                result = adapter.submit(_payload(order))
            except Exception as exc:  # noqa: BLE001 - any adapter failure is retried; a crash (BaseException) is not caught
                _failed(db, ctx, order, adapter, str(exc), now)
                db.commit()
                summary.failed += 1
                summary.errors.append(f"{order.order_key}: {exc}")
                continue
            _done(db, ctx, order, adapter, getattr(result, "external_ref", None))
            db.commit()
            summary.sent += 1
    return summary


def request_retry(db: Session, *, ctx: WorkContext, order_id: int, actor: Principal) -> MeasureOrder:
    """Someone pressed 重试: a failed or waiting order becomes due now (same key, so still idempotent)."""
    order = db.get(MeasureOrder, order_id)
    if order is None:
        raise LookupError(f"order {order_id} not found")
    if order.status not in (OrderStatus.FAILED.value, OrderStatus.RETRYING.value):
        raise ValueError(f"order {order_id} is {order.status}; only failed or retrying orders can be retried")
    order.status = OrderStatus.RETRYING.value
    order.next_attempt_at = utcnow()
    audit.record(db, key=ctx.key, actor=actor, action="measure.retry", subject_type="line", subject_id=order.msisdn,
                 detail={"order": order.order_key})  # fmt: skip
    _timeline(db, order, "measure.retry", f"{actor.username} 手动重试")
    return order
