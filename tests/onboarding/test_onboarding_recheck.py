"""A check that waits (for L2, for the checklist, for the signature) is decided on what holds at each decision: a
ban or a line cap that arrives after the first check refuses it there, with the reason in Chinese, audited."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from onboarding.onboarding_support import clerk, make_id, reviewer, years_ago
from onboarding.test_onboarding_flows import signature_png, submit


def ban(engine, gate, id_no: str, case_no: str = "咸公刑2026-88") -> None:
    from fanzha.casework.blacklist.enums import EntryStatus, Source
    from fanzha.casework.blacklist.flows import _new_entry
    from fanzha.casework.blacklist.service import ValidRow
    from fanzha.db import session_scope

    with session_scope(engine) as db:
        db.add(_new_entry(protector=gate.protector, row=ValidRow(id_no, "陈静", case_no, date.today() - timedelta(days=1),
                          5, None), source=Source.POLICE_CSV, status=EntryStatus.ACTIVE, actor=clerk("police"),
                          reason=None))  # fmt: skip


def status_and_events(engine, check_id: int):
    from sqlalchemy import select

    from fanzha.casework.audit.models import AuditEvent
    from fanzha.casework.onboarding.models import OnboardingCheck
    from fanzha.db import session_scope

    with session_scope(engine) as db:
        check = db.get(OnboardingCheck, check_id)
        events = db.execute(select(AuditEvent).where(AuditEvent.action == "onboarding.recheck_refused",
                                                     AuditEvent.subject_id == str(check_id))).scalars().all()  # fmt: skip
        return check.status, json.loads(check.reasons), [json.loads(e.detail) for e in events]


def test_l2_approval_of_a_check_banned_since_is_refused(engine, gate, registry):
    from fanzha.casework.onboarding import flows
    from fanzha.db import session_scope

    student = make_id("421202", years_ago(20), 63)
    check_id = submit(engine, gate, student, count=3)  # escalated: bulk, student
    ban(engine, gate, student)
    with session_scope(engine) as db:
        with pytest.raises(flows.GateError, match="惩戒名单.*咸公刑2026-88"):
            flows.review(db, gate=gate, actor=reviewer(), check_id=check_id, approve=True)
    status, reasons, events = status_and_events(engine, check_id)
    assert status == "refused" and any(r["code"] == "blacklist" for r in reasons)
    assert events and events[0]["codes"] == ["blacklist"] and events[0]["at"] == "review"
    with session_scope(engine) as db:
        assert flows.review_queue(db) == []  # out of the queue
        with pytest.raises(flows.GateError):
            flows.record_step(db, gate=gate, actor=clerk(), check_id=check_id, step="observe")


@pytest.mark.parametrize("at", ["step", "sign"])
def test_checklist_and_signature_of_a_check_banned_since_are_refused(engine, gate, registry, at):
    from fanzha.casework.onboarding import flows
    from fanzha.db import session_scope

    id_no = make_id("421202", date(1988, 8, 8), 53)
    check_id = submit(engine, gate, id_no)
    steps = gate.rules.checklist.steps
    if at == "sign":
        for s in steps:
            with session_scope(engine) as db:
                flows.record_step(db, gate=gate, actor=clerk(), check_id=check_id, step=s.key)
    ban(engine, gate, id_no)
    with session_scope(engine) as db:
        with pytest.raises(flows.GateError, match="惩戒名单"):
            if at == "sign":
                flows.sign_notice(db, gate=gate, actor=clerk(), check_id=check_id, signature_png=signature_png())
            else:
                flows.record_step(db, gate=gate, actor=clerk(), check_id=check_id, step=steps[0].key)
    status, _, events = status_and_events(engine, check_id)
    assert status == "refused" and events[0]["at"] == at


def test_signature_after_the_cap_was_filled_elsewhere_is_refused(engine, gate, registry):
    """Approved for two lines; meanwhile the person got lines up to the cap at this operator: no card."""
    from fanzha.casework.onboarding import flows
    from fanzha.db import session_scope

    id_no = make_id("421202", date(1979, 4, 4), 57)
    check_id = submit(engine, gate, id_no, count=1)
    registry.person(id_no, "陈静", [(f"1330716000{i}", "mobile", "active") for i in range(5)])
    for s in gate.rules.checklist.steps:
        with session_scope(engine) as db:
            try:
                flows.record_step(db, gate=gate, actor=clerk(), check_id=check_id, step=s.key)
            except flows.GateError as exc:
                assert "上限" in str(exc)
                break
    status, reasons, events = status_and_events(engine, check_id)
    assert status == "refused" and events[0]["codes"] == ["cap_operator"]
    assert "已有5个手机号码" in next(r["text"] for r in reasons if r["code"] == "cap_operator")


def test_api_review_of_a_banned_check_answers_409_and_keeps_the_refusal(client, make_user, api_headers, web_app,
                                                                        gate):  # fmt: skip
    from fanzha.casework.registry.models import Shop
    from fanzha.db import session_scope

    with session_scope(web_app.state.engine) as db:
        db.add(Shop(shop_id="S001"))
    make_user("rc_clerk", roles=["clerk"], shops=["S001"])
    make_user("rc_rev", roles=["reviewer_l2"])
    student = make_id("421202", years_ago(18), 95)
    body = {"id_no": student, "name": "陈静", "purpose": "本人使用", "lines": [{"line_type": "mobile", "count": 3}]}
    esc = client.post("/api/onboarding/checks", json=body, headers=api_headers("rc_clerk")).json()
    assert esc["decision"] == "escalate"
    ban(web_app.state.engine, gate, student)
    r = client.post(f"/api/onboarding/checks/{esc['check_id']}/review", json={"approve": True, "note": "本人"},
                    headers=api_headers("rc_rev"))  # fmt: skip
    assert r.status_code == 409 and "惩戒名单" in r.json()["detail"]
    after = client.get(f"/api/onboarding/checks/{esc['check_id']}", headers=api_headers("rc_clerk")).json()
    assert after["status"] == "refused" and after["status_label"] == "已拒绝"


def test_a_ban_imported_refuses_the_persons_open_checks_at_once(engine, gate, registry, tmp_path):
    """The blacklist import is a decision point too: the L2 queue and the clerk see the refusal without waiting."""
    from fanzha.casework.blacklist import flows as bl
    from fanzha.casework.onboarding import flows
    from fanzha.db import session_scope

    student = make_id("421202", years_ago(19), 67)
    waiting, other = submit(engine, gate, student, count=3), submit(engine, gate, make_id("421202", years_ago(40), 69))
    csv = tmp_path / "bl.csv"
    csv.write_text(f"id_no,name,case_no,decided_on\n{student},陈静,咸公刑2026-90,{date.today() - timedelta(days=2)}\n",
                   encoding="utf-8")  # fmt: skip
    with session_scope(engine) as db:
        bl.import_csv(db, key=gate.key, protector=gate.protector, actor=clerk("police"), path=csv)
    status, reasons, events = status_and_events(engine, waiting)
    assert status == "refused" and events[0]["at"] == "blacklist"
    assert "咸公刑2026-90" in next(r["text"] for r in reasons if r["code"] == "blacklist")
    assert status_and_events(engine, other)[0] == "passed"  # another person's check is untouched
    with session_scope(engine) as db:
        assert flows.review_queue(db) == []
