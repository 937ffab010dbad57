"""Appeals: filing needs a restricted line; re-verification compares keyed ID hashes; upheld restores at once."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import select

from fanzha.db import session_scope


@pytest.fixture
def suspended(engine, settings, owners, actors):
    """Owner B's line, auto-suspended by a high-score fraud_caller alert, order dispatched."""
    from fanzha.casework.alerts.service import raise_alert
    from fanzha.casework.measures.dispatch import dispatch_orders

    target = owners[1].msisdns[0]
    with session_scope(engine) as db:
        out = raise_alert(db, source="detector", subject_type="msisdn", subject=target, detector="fraud_caller",
                          score=0.99, reasons="短时高频外呼", actor=actors["system"], settings=settings,
                          event_time=__import__("datetime").datetime(2026, 5, 3, 21, 15))  # fmt: skip
    dispatch_orders(engine, settings=settings)
    return target, out.case_id


def _flows():
    from fanzha.casework.appeals import flows

    return flows


def test_cannot_appeal_an_active_line(engine, settings, owners, actors):
    from fanzha.casework.context import work_context

    with session_scope(engine) as db, pytest.raises(_flows().AppealError):
        _flows().file_appeal(db, ctx=work_context(settings), msisdn=owners[0].msisdns[0], statement="我的号码",
                             channel="api", actor=actors["clerk"])  # fmt: skip


def test_upheld_appeal_restores_line_at_once_and_labels(engine, settings, owners, actors, suspended):
    from fanzha.casework.appeals.labels import export_labels
    from fanzha.casework.appeals.models import Appeal, Reverification
    from fanzha.casework.context import work_context
    from fanzha.casework.measures.dispatch import dispatch_orders
    from fanzha.casework.registry.models import Line

    target, case_id = suspended
    ctx = work_context(settings)
    flows = _flows()
    with session_scope(engine) as db:
        a = flows.file_appeal(db, ctx=ctx, msisdn=target, statement="本人正常使用，联系客户 13307159999", channel="counter",
                              actor=actors["clerk"], shop_id=None)  # fmt: skip
        appeal_id = a.id
        assert a.case_id == case_id and "13307159999" not in a.statement  # free text masked
        again = flows.file_appeal(db, ctx=ctx, msisdn=target, statement="再次", channel="api", actor=actors["clerk"])
        assert again.id == appeal_id  # one open appeal per line
    with session_scope(engine) as db, pytest.raises(flows.AppealError):
        flows.decide(db, ctx=ctx, appeal_id=appeal_id, upheld=True, note="", actor=actors["l2"])  # not verified yet
    # wrong ID first: refused, recorded; then the owner's own ID
    with session_scope(engine) as db:
        r = flows.record_reverification(db, ctx=ctx, appeal_id=appeal_id, id_no=owners[0].id_no, person_present=True,
                                        purpose="日常通话", actor=actors["clerk"])  # fmt: skip
        assert not r.id_matches and db.get(Appeal, appeal_id).status == "reverify_failed"
    with session_scope(engine) as db:
        r = flows.record_reverification(db, ctx=ctx, appeal_id=appeal_id, id_no=owners[1].id_no.lower(),
                                        person_present=True, purpose="日常通话", actor=actors["clerk"])  # fmt: skip
        assert r.id_matches and r.id_masked.startswith("4212") and "*" in r.id_masked
        assert db.get(Appeal, appeal_id).status == "reverified"
    with session_scope(engine) as db, pytest.raises(flows.AppealNotAllowed):
        flows.decide(db, ctx=ctx, appeal_id=appeal_id, upheld=True, note="", actor=actors["clerk"])
    with session_scope(engine) as db:
        flows.decide(db, ctx=ctx, appeal_id=appeal_id, upheld=True, note="核实为正常用户", actor=actors["l2"])
    assert dispatch_orders(engine, settings=settings).sent == 1
    with session_scope(engine) as db:
        assert db.get(Line, target).status == "active"
        assert len(db.execute(select(Reverification)).scalars().all()) == 2
    out = settings.home / "labels.csv"
    assert _export(engine, export_labels, out) == 1
    assert list(csv.DictReader(out.open())) == [{"msisdn": target, "label": "normal", "since": "", "outcome": "false_positive"}]


def _export(engine, export_labels, out):
    with session_scope(engine) as db:
        return export_labels(db, path=out)


def test_rejected_appeal_confirms_with_detector_label(engine, settings, owners, actors, suspended):
    from fanzha.casework.appeals.labels import export_labels
    from fanzha.casework.context import work_context
    from fanzha.casework.registry.models import Line

    target, _ = suspended
    ctx = work_context(settings)
    with session_scope(engine) as db:
        a = _flows().file_appeal(db, ctx=ctx, msisdn=target, statement="不服", channel="api", actor=actors["clerk"])
        _flows().decide(db, ctx=ctx, appeal_id=a.id, upheld=False, note="本人未到场核验", actor=actors["l3"])
    with session_scope(engine) as db:
        assert db.get(Line, target).status == "suspended"
    out = settings.home / "labels.csv"
    _export(engine, export_labels, out)
    (row,) = list(csv.DictReader(out.open()))
    assert row["label"] == "fraud_caller" and row["since"].startswith("2026-05-03T21:15:00+08:00")
    assert row["outcome"] == "confirmed"


def test_reverify_measure_is_lifted_by_matching_reverification(engine, settings, owners, actors):
    from fanzha.casework.appeals.models import Appeal
    from fanzha.casework.context import work_context
    from fanzha.casework.measures.dispatch import dispatch_orders
    from fanzha.casework.measures.service import propose_measure
    from fanzha.casework.registry.models import Line

    target = owners[1].msisdns[0]
    with session_scope(engine) as db:
        propose_measure(db, msisdns=[target], measure="reverify", reason="疑似转售", source="analyst",
                        actor=actors["analyst"], immediate=True, settings=settings)  # fmt: skip
    dispatch_orders(engine, settings=settings)
    ctx = work_context(settings)
    with session_scope(engine) as db:
        assert db.get(Line, target).status == "reverify"
        a = _flows().file_appeal(db, ctx=ctx, msisdn=target, statement="本人使用", channel="counter",
                                 actor=actors["clerk"])  # fmt: skip
        _flows().record_reverification(db, ctx=ctx, appeal_id=a.id, id_no=owners[1].id_no, person_present=True,
                                       purpose="个人通话", actor=actors["clerk"])  # fmt: skip
        appeal_id = a.id
    dispatch_orders(engine, settings=settings)
    with session_scope(engine) as db:
        assert db.get(Appeal, appeal_id).status == "upheld"
        assert db.get(Line, target).status == "active"


def _uphold(engine, settings, owner, target, actors):
    from fanzha.casework.context import work_context

    ctx, flows = work_context(settings), _flows()
    with session_scope(engine) as db:
        appeal_id = flows.file_appeal(db, ctx=ctx, msisdn=target, statement="本人正常使用", channel="counter",
                                      actor=actors["clerk"]).id  # fmt: skip
    with session_scope(engine) as db:
        flows.record_reverification(db, ctx=ctx, appeal_id=appeal_id, id_no=owner.id_no, person_present=True,
                                    purpose="申诉核验", actor=actors["clerk"])  # fmt: skip
    with session_scope(engine) as db:
        flows.decide(db, ctx=ctx, appeal_id=appeal_id, upheld=True, note="核实为正常用户", actor=actors["l2"])


def test_upheld_appeal_closes_the_open_case_whose_only_subject_was_the_line(engine, settings, owners, actors,
                                                                            suspended):  # fmt: skip
    """The auto-suspension case stood open with 停机 proposed: after the appeal it can no longer shut the line."""
    from fanzha.casework.cases.models import Case, CaseEvent
    from fanzha.casework.cases.service import subject_msisdns

    target, case_id = suspended
    with session_scope(engine) as db:
        assert db.get(Case, case_id).state == "open" and db.get(Case, case_id).proposed_measure == "suspend"
    _uphold(engine, settings, owners[1], target, actors)
    with session_scope(engine) as db:
        case = db.get(Case, case_id)
        assert case.state == "dismissed" and case.outcome == "false_positive"
        assert subject_msisdns(db, case_id=case_id) == []
        notes = [e.note for e in db.execute(select(CaseEvent).where(CaseEvent.case_id == case_id,
                                                                    CaseEvent.kind == "case.line_withdrawn")).scalars()]
        assert notes and "申诉" in notes[0] and target not in notes[0]


def test_upheld_appeal_takes_the_line_out_of_a_case_that_goes_on_for_other_lines(engine, settings, owners, actors,
                                                                                 suspended):  # fmt: skip
    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.cases import flows as case_flows
    from fanzha.casework.cases.models import Case
    from fanzha.casework.cases.service import subject_msisdns
    from fanzha.casework.context import work_context
    from fanzha.casework.measures.service import propose_measure

    target, case_id = suspended
    other = owners[2].msisdns[0]
    with session_scope(engine) as db:
        joined = propose_measure(db, msisdns=[target, other], measure="suspend", reason="同一团伙", source="analyst",
                                 actor=Principal.system("ana"), settings=settings)  # fmt: skip
        assert joined.case_id == case_id
    _uphold(engine, settings, owners[1], target, actors)
    with session_scope(engine) as db:
        assert db.get(Case, case_id).state == "open"
        assert subject_msisdns(db, case_id=case_id) == [other]
    ctx = work_context(settings)
    with session_scope(engine) as db:
        case_flows.transition(db, ctx=ctx, case_id=case_id, action="l1_verify", actor=actors["l1"], note="证据属实")
    with session_scope(engine) as db:
        case_flows.transition(db, ctx=ctx, case_id=case_id, action="l2_approve", actor=actors["l2"], note="批准",
                              msisdns=[target, other])  # fmt: skip
    with session_scope(engine) as db:
        assert subject_msisdns(db, case_id=case_id) == [other]  # the restored line is not shut again by this case
