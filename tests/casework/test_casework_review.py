"""The three-level review: no edge skips a level, L3 where it must be, four eyes, timeline + audit per step."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from fanzha.casework.cases.enums import TRANSITIONS, CaseAction, CaseState
from fanzha.db import session_scope

LEVEL = {CaseState.OPEN: 0, CaseState.L1_VERIFIED: 1, CaseState.AWAITING_L3: 2, CaseState.ACTIONED: 3}


def test_transition_table_never_skips_a_level():
    """Pure check of the table: forward edges move exactly one level, and only a reviewer's permission moves."""
    for (state, action), t in TRANSITIONS.items():
        for target in t.targets:
            if state in LEVEL and target in LEVEL and LEVEL[target] > LEVEL[state]:
                # one level up, except L2 approval of an ordinary measure (L3 not required) → actioned
                assert LEVEL[target] - LEVEL[state] == 1 or (state, target) == (CaseState.L1_VERIFIED, CaseState.ACTIONED)
    reach_actioned = {s for (s, _), t in TRANSITIONS.items() if CaseState.ACTIONED in t.targets}
    assert reach_actioned == {CaseState.L1_VERIFIED, CaseState.AWAITING_L3}


def _open_case(engine, settings, actors, msisdns, measure="suspend"):
    from fanzha.casework.measures.service import propose_measure

    with session_scope(engine) as db:
        return propose_measure(db, msisdns=msisdns, measure=measure, reason="测试", source="analyst",
                               actor=actors["analyst"], settings=settings).case_id


def _do(engine, settings, case_id, action, actor, **kw):
    from fanzha.casework.cases import flows
    from fanzha.casework.context import work_context

    with session_scope(engine) as db:
        case = flows.transition(db, ctx=work_context(settings), case_id=case_id, action=action, actor=actor, **kw)
        return case.state


def test_every_undeclared_action_is_refused_in_every_state(engine, settings, owners, actors):
    """Drive a case into each state, then try every action not in the table: all refused, state unchanged."""
    from fanzha.casework.cases.flows import TransitionError
    from fanzha.casework.cases.models import Case

    everyone = type(actors["l1"])(user_id=None, username="all", roles=frozenset(
        {"reviewer_l1", "reviewer_l2", "reviewer_l3", "supervisor"}))
    paths = {
        CaseState.OPEN: [],
        CaseState.L1_VERIFIED: [("l1", CaseAction.L1_VERIFY)],
        CaseState.AWAITING_L3: [("l1", CaseAction.L1_VERIFY), ("l2", CaseAction.L2_APPROVE)],
        CaseState.ACTIONED: [("l1", CaseAction.L1_VERIFY), ("l2", CaseAction.L2_APPROVE), ("l3", CaseAction.L3_APPROVE)],
        CaseState.DISMISSED: [("l1", CaseAction.L1_DISMISS)],
        CaseState.CLOSED: [("l1", CaseAction.L1_VERIFY), ("l2", CaseAction.L2_APPROVE), ("l3", CaseAction.L3_APPROVE),
                           ("analyst", CaseAction.CLOSE)],
    }
    for state, path in paths.items():
        case_id = _open_case(engine, settings, actors, [owners[2].msisdns[0]])  # enterprise line: needs L3
        for who, action in path:
            _do(engine, settings, case_id, action, actors[who])
        with session_scope(engine) as db:
            assert db.get(Case, case_id).state == state
        for action in CaseAction:
            if (state, action) in TRANSITIONS:
                continue
            with pytest.raises(TransitionError):
                _do(engine, settings, case_id, action, everyone)
            with session_scope(engine) as db:
                assert db.get(Case, case_id).state == state
        # close this case's lines out of the way for the next state's case
        with session_scope(engine) as db:
            c = db.get(Case, case_id)
            if c.state in ("open", "l1_verified", "awaiting_l3"):
                c.state = "closed"


def test_l2_cannot_act_before_l1_and_l3_needed_for_high_impact(engine, settings, owners, actors):
    from fanzha.casework.cases.flows import ReviewNotAllowed, TransitionError
    from fanzha.casework.cases.models import Case

    a = owners[0].msisdns
    case_id = _open_case(engine, settings, actors, [a[0]])
    with pytest.raises(TransitionError):
        _do(engine, settings, case_id, "l2_approve", actors["l2"])  # skipping L1
    with pytest.raises(ReviewNotAllowed):
        _do(engine, settings, case_id, "l1_verify", actors["l2"])  # L2 reviewer lacks review.l1
    assert _do(engine, settings, case_id, "l1_verify", actors["l1"]) == "l1_verified"
    # shutdown instead of suspension → L3
    assert _do(engine, settings, case_id, "l2_approve", actors["l2"], measure="shutdown") == "awaiting_l3"
    with session_scope(engine) as db:
        case = db.get(Case, case_id)
        assert case.needs_l3 and "关停" in case.l3_reasons
    with pytest.raises(ReviewNotAllowed):
        _do(engine, settings, case_id, "l3_approve", actors["l2"])
    assert _do(engine, settings, case_id, "l3_approve", actors["l3"]) == "actioned"


@pytest.mark.parametrize("kind", ["many_lines", "enterprise", "ordinary"])
def test_l3_required_exactly_when_high_impact(engine, settings, owners, actors, kind):
    from fanzha.casework.measures.models import MeasureOrder

    numbers = {"many_lines": list(owners[0].msisdns), "enterprise": [owners[2].msisdns[0]],
               "ordinary": [owners[1].msisdns[0]]}[kind]  # fmt: skip
    assert settings.l3_line_count == len(owners[0].msisdns)
    case_id = _open_case(engine, settings, actors, numbers)
    _do(engine, settings, case_id, "l1_verify", actors["l1"])
    state = _do(engine, settings, case_id, "l2_approve", actors["l2"], measure="suspend")
    with session_scope(engine) as db:
        orders = db.execute(select(MeasureOrder).where(MeasureOrder.case_id == case_id)).scalars().all()
    if kind == "ordinary":
        assert state == "actioned" and [o.msisdn for o in orders] == numbers
    else:
        assert state == "awaiting_l3" and orders == []  # nothing goes out before L3
        assert _do(engine, settings, case_id, "l3_approve", actors["l3"]) == "actioned"
        with session_scope(engine) as db:
            n = len(db.execute(select(MeasureOrder).where(MeasureOrder.case_id == case_id)).scalars().all())
        assert n == len(numbers)


def test_four_eyes_one_person_one_level(engine, settings, owners, actors):
    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.cases.flows import ReviewNotAllowed

    both = Principal(user_id=None, username="both", roles=frozenset({"reviewer_l1", "reviewer_l2"}))
    case_id = _open_case(engine, settings, actors, [owners[1].msisdns[0]])
    _do(engine, settings, case_id, "l1_verify", both)
    with pytest.raises(ReviewNotAllowed):
        _do(engine, settings, case_id, "l2_approve", both)
    assert _do(engine, settings, case_id, "l2_approve", actors["l2"]) == "actioned"


def test_each_transition_in_timeline_and_audit(engine, settings, owners, actors):
    from fanzha.casework.audit.models import AuditEvent
    from fanzha.casework.audit.service import chain_key, verify
    from fanzha.casework.cases.models import CaseEvent

    case_id = _open_case(engine, settings, actors, [owners[1].msisdns[0]])
    _do(engine, settings, case_id, "l1_verify", actors["l1"], note="通话记录属实")
    _do(engine, settings, case_id, "l2_approve", actors["l2"])
    with session_scope(engine) as db:
        events = db.execute(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)).scalars().all()
        moves = [(e.kind, e.from_state, e.to_state, e.actor) for e in events if e.from_state]
        assert moves == [("case.l1_verify", "open", "l1_verified", "rev1"),
                         ("case.l2_approve", "l1_verified", "actioned", "rev2")]
        audited = db.execute(select(AuditEvent.action, AuditEvent.actor).where(
            AuditEvent.subject_type == "case", AuditEvent.subject_id == str(case_id)).order_by(AuditEvent.seq)).all()
        assert [tuple(a) for a in audited] == [("case.open", "ana"), ("case.l1_verify", "rev1"),
                                               ("case.l2_approve", "rev2")]
        assert verify(db, key=chain_key(settings)).ok


def test_dismissal_restores_auto_suspended_line_and_labels_false_positive(engine, settings, owners, actors):
    from fanzha.casework.alerts.service import raise_alert
    from fanzha.casework.appeals.models import TrainingLabel
    from fanzha.casework.measures.dispatch import dispatch_orders
    from fanzha.casework.registry.models import Line

    target = owners[1].msisdns[0]
    with session_scope(engine) as db:
        out = raise_alert(db, source="detector", subject_type="msisdn", subject=target, detector="fraud_caller",
                          score=0.99, reasons="1小时外呼150次", actor=actors["system"], settings=settings)
        assert len(out.orders) == 1 and out.orders[0].measure == "suspend" and out.orders[0].source == "auto"
    dispatch_orders(engine, settings=settings)
    with session_scope(engine) as db:
        assert db.get(Line, target).status == "suspended"
    assert _do(engine, settings, out.case_id, "l1_dismiss", actors["l1"], note="正常业务外呼") == "dismissed"
    dispatch_orders(engine, settings=settings)
    with session_scope(engine) as db:
        assert db.get(Line, target).status == "active"
        labels = db.execute(select(TrainingLabel.msisdn, TrainingLabel.label)).all()
        assert [tuple(x) for x in labels] == [(target, "normal")]


def test_actioned_case_labels_its_lines_confirmed(engine, settings, owners, actors, tmp_path):
    import csv

    from fanzha.casework.alerts.service import raise_alert
    from fanzha.casework.appeals.labels import export_labels

    target = owners[1].msisdns[0]
    with session_scope(engine) as db:
        out = raise_alert(db, source="detector", subject_type="msisdn", subject=target, detector="fraud_caller",
                          score=0.7, reasons="24小时外呼80次", actor=actors["system"], settings=settings)
    _do(engine, settings, out.case_id, "l1_verify", actors["l1"])
    assert _do(engine, settings, out.case_id, "l2_approve", actors["l2"]) == "actioned"
    with session_scope(engine) as db:
        assert export_labels(db, path=tmp_path / "labels.csv") == 1
    (row,) = list(csv.DictReader((tmp_path / "labels.csv").open()))
    assert (row["msisdn"], row["label"], row["outcome"]) == (target, "fraud_caller", "confirmed")
