"""Orders: propose → review → orders; idempotency under retries and crashes; the file adapter's export."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fanzha.db import session_scope


class Crash(BaseException):
    """A process dying mid-way: not an Exception, so nothing in the code may swallow it."""


class CrashAfter:
    """Wraps an adapter: performs the call, then 'crashes' before the dispatcher can record success."""

    name = "crash-after"

    def __init__(self, inner):
        self.inner = inner

    def submit(self, order):
        self.inner.submit(order)
        raise Crash


class CrashBefore:
    name = "crash-before"

    def submit(self, order):
        raise Crash


def _count(engine, model, *where):
    with session_scope(engine) as db:
        return db.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_propose_measure_opens_case_without_orders(engine, settings, owners, actors):
    from fanzha.casework.cases.models import Case, CaseLine
    from fanzha.casework.measures.models import MeasureOrder
    from fanzha.casework.measures.service import propose_measure

    extra = owners[0].msisdns[1:]
    with session_scope(engine) as db:
        p = propose_measure(db, msisdns=extra, measure="suspend", reason="黑名单人员名下多余号码",
                            source="onboarding", actor=actors["clerk"], settings=settings)
    with session_scope(engine) as db:
        case = db.get(Case, p.case_id)
        assert case.state == "open" and case.proposed_measure == "suspend" and not case.auto_measure
        rel = dict(db.execute(select(CaseLine.msisdn, CaseLine.relation).where(CaseLine.case_id == case.id)).all())
    assert {m for m, r in rel.items() if r == "subject"} == set(extra)
    assert rel[owners[0].msisdns[0]] == "same_owner"  # the owner's other line is linked, not targeted
    assert _count(engine, MeasureOrder) == 0  # nothing happens before the review
    # proposing again for the same lines joins the same case
    with session_scope(engine) as db:
        again = propose_measure(db, msisdns=extra[:1], measure="suspend", reason="再次", source="onboarding",
                                actor=actors["clerk"], settings=settings)
    assert again.case_id == p.case_id and again.joined_existing


def test_immediate_proposal_orders_once_and_dispatch_updates_line(engine, settings, owners, actors):
    from fanzha.casework.measures.dispatch import dispatch_orders
    from fanzha.casework.measures.models import MeasureOrder
    from fanzha.casework.measures.service import propose_measure
    from fanzha.casework.registry.models import Line

    target = owners[1].msisdns[0]
    for _ in range(2):  # the second call must reuse the open order, not add one
        with session_scope(engine) as db:
            p = propose_measure(db, msisdns=[target], measure="suspend", reason="公安通报涉诈号码", source="police",
                                actor=actors["analyst"], immediate=True, settings=settings)
            assert len(p.orders) == 1
    assert _count(engine, MeasureOrder) == 1
    summary = dispatch_orders(engine, settings=settings)
    assert summary.sent == 1
    with session_scope(engine) as db:
        assert db.get(Line, target).status == "suspended"
        order = db.execute(select(MeasureOrder)).scalar_one()
        assert order.status == "done" and order.attempts == 1
    export = settings.home / "bss" / f"{order.order_key}.csv"
    rows = list(csv.DictReader(export.open(encoding="utf-8")))
    assert rows == [{**rows[0], "msisdn": target, "measure": "suspend", "order_key": order.order_key}]
    # dispatching again sends nothing; proposing the same measure on a suspended line orders nothing
    assert dispatch_orders(engine, settings=settings).sent == 0
    with session_scope(engine) as db:
        p = propose_measure(db, msisdns=[target], measure="suspend", reason="again", source="police",
                            actor=actors["analyst"], immediate=True, settings=settings)
        assert p.orders == []


@pytest.mark.parametrize("when", ["before_send", "after_send"])
def test_crash_between_commit_and_adapter_never_loses_or_doubles(engine, settings, owners, actors, when):
    from fanzha.casework.measures.adapters import FileAdapter
    from fanzha.casework.measures.dispatch import LEASE_SECONDS, dispatch_orders
    from fanzha.casework.measures.models import MeasureOrder
    from fanzha.casework.measures.service import propose_measure
    from fanzha.casework.registry.models import Line

    target = owners[1].msisdns[0]
    with session_scope(engine) as db:
        propose_measure(db, msisdns=[target], measure="suspend", reason="x", source="police",
                        actor=actors["analyst"], immediate=True, settings=settings)
    # the order is committed; now the process dies around the adapter call
    calls = []

    class Counting(FileAdapter):
        def submit(self, order):
            calls.append(order.order_key)
            return super().submit(order)

    crashing = CrashBefore() if when == "before_send" else CrashAfter(Counting(settings))
    with pytest.raises(Crash):
        dispatch_orders(engine, settings=settings, adapter=crashing)
    with session_scope(engine) as db:
        order = db.execute(select(MeasureOrder)).scalar_one()
        assert order.status == "sending" and db.get(Line, target).status == "active"
    # a restart within the lease does not touch the claimed order; after the lease it is taken over
    assert dispatch_orders(engine, settings=settings, adapter=Counting(settings)).sent == 0
    later = order.claimed_at + timedelta(seconds=LEASE_SECONDS + 1)
    assert dispatch_orders(engine, settings=settings, adapter=Counting(settings), now=later).sent == 1
    with session_scope(engine) as db:
        order = db.execute(select(MeasureOrder)).scalar_one()
        assert order.status == "done" and order.attempts == 2
        assert db.get(Line, target).status == "suspended"
    # every delivery carried the same key: the BSS applies it once
    assert set(calls) == {order.order_key}
    assert len(list((settings.home / "bss").glob("*.csv"))) == 1


def test_restore_waits_for_earlier_order_of_same_line(engine, settings, owners, actors):
    from fanzha.casework.context import work_context
    from fanzha.casework.measures.adapters import AdapterError
    from fanzha.casework.measures.dispatch import dispatch_orders
    from fanzha.casework.measures.models import MeasureOrder
    from fanzha.casework.measures.service import issue_orders
    from fanzha.casework.registry.models import Line

    target = owners[1].msisdns[0]
    ctx = work_context(settings)
    with session_scope(engine) as db:
        issue_orders(db, ctx=ctx, msisdns=[target], measure="suspend", reason="r", source="t", origin="t:1",
                     actor=actors["analyst"])  # fmt: skip
        issue_orders(db, ctx=ctx, msisdns=[target], measure="restore", reason="r", source="t", origin="t:1",
                     actor=actors["analyst"])  # fmt: skip
    sent = []

    class FlakyOnSuspend:
        name = "flaky"

        def submit(self, order):
            if order.measure == "suspend" and not sent:
                sent.append("fail")
                raise AdapterError("BSS busy")
            sent.append(order.measure)

    s1 = dispatch_orders(engine, settings=settings, adapter=FlakyOnSuspend())
    assert (s1.sent, s1.failed, s1.waiting) == (0, 1, 1)  # the restore did not overtake the failed suspend
    s2 = dispatch_orders(engine, settings=settings, adapter=FlakyOnSuspend())
    assert s2.sent == 2 and sent == ["fail", "suspend", "restore"]
    with session_scope(engine) as db:
        assert db.get(Line, target).status == "active"
        assert {o.status for o in db.execute(select(MeasureOrder)).scalars()} == {"done"}
