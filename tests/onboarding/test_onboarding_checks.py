"""The checks of the counter gate (pass / escalate / refuse with reasons), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from onboarding.onboarding_support import clerk, make_id, years_ago


def _check(engine, gate, *, id_no, name="王小明", lines=None, purpose="本人日常使用", who=None, now=None):
    from fanzha.casework.onboarding import flows
    from fanzha.casework.onboarding.schemas import CheckRequest
    from fanzha.db import session_scope

    body = CheckRequest(id_no=id_no, name=name, lines=lines or [{"line_type": "mobile", "count": 1}], purpose=purpose)
    with session_scope(engine) as db:
        return flows.submit_check(db, gate=gate, actor=who or clerk(), request=body, now=now)


def codes(result) -> set[str]:
    return {f.code for f in result.reasons}


ADULT = make_id("421202", date(1985, 6, 1), 31)


def test_normal_customer_passes_and_is_audited(engine, gate, registry):
    from sqlalchemy import select

    from fanzha.casework.audit.models import AuditEvent
    from fanzha.db import session_scope

    r = _check(engine, gate, id_no=ADULT)
    assert r.decision == "pass" and r.status == "passed" and r.reasons == []
    assert r.id_masked == "4212**********" + ADULT[-4:] and ADULT not in r.model_dump_json()
    with session_scope(engine) as db:
        ev = db.execute(select(AuditEvent).where(AuditEvent.action == "onboarding.check")).scalar_one()
    assert ev.subject_id == str(r.check_id) and json.loads(ev.detail)["decision"] == "pass"
    assert ADULT not in ev.detail


@pytest.mark.parametrize("bad, words", [
    (ADULT[:-1] + ("0" if ADULT[-1] != "0" else "1"), "校验位"),
    (ADULT[:10] + "1332" + ADULT[14:], "出生日期"),
    (ADULT[:17], "18位"),
])  # fmt: skip
def test_invalid_id_is_refused_with_the_reason(engine, gate, registry, bad, words):
    r = _check(engine, gate, id_no=bad)
    assert r.decision == "refuse" and codes(r) == {"id_invalid"}
    assert words in r.reasons[0].text


def test_student_opening_three_lines_escalates_with_reminder(engine, gate, registry):
    student = make_id("421202", years_ago(19), 22)
    r = _check(engine, gate, id_no=student, lines=[{"line_type": "mobile", "count": 3}])
    assert r.decision == "escalate" and r.status == "pending_review"
    assert {"age_band", "bulk", "reminder"} <= codes(r)
    one = _check(engine, gate, id_no=make_id("421202", years_ago(19), 24), lines=[{"line_type": "mobile", "count": 1}])
    assert one.decision == "pass" and codes(one) == {"reminder"}  # a student with one line: reminded only


def test_minor_is_refused(engine, gate, registry):
    r = _check(engine, gate, id_no=make_id("421202", years_ago(14), 11))
    assert r.decision == "refuse" and "minor" in codes(r)


def test_cap_at_this_operator_counts_only_lines_in_use(engine, gate, registry):
    registry.person(ADULT, "王小明", [(f"1330715000{i}", "mobile", "active") for i in range(4)]
                    + [("13307150009", "mobile", "cancelled")])  # fmt: skip
    assert _check(engine, gate, id_no=ADULT).decision == "pass"  # 4 + 1 = 5: at the cap, allowed
    r = _check(engine, gate, id_no=ADULT, lines=[{"line_type": "mobile", "count": 2}])
    assert r.decision == "refuse" and "cap_operator" in codes(r)
    assert "已有4个手机号码" in next(f.text for f in r.reasons if f.code == "cap_operator")


def test_name_must_match_the_registered_owner(engine, gate, registry):
    registry.person(ADULT, "王小明")
    r = _check(engine, gate, id_no=ADULT, name="王大明")
    assert r.decision == "refuse" and "name_mismatch" in codes(r)


def test_cross_carrier_total_escalates(engine, gate, registry):
    gate.cross_carrier.set(person_hash=gate.protector.hash(ADULT),
                           lines={"mobile": {"mobile": 4}, "unicom": {"mobile": 5}})  # fmt: skip
    r = _check(engine, gate, id_no=ADULT, lines=[{"line_type": "mobile", "count": 2}])
    assert r.decision == "escalate" and "cap_all_carriers" in codes(r)
    assert "共有9个" in next(f.text for f in r.reasons if f.code == "cap_all_carriers")


def test_blacklisted_person_is_refused_until_the_ban_ends(engine, gate, registry):
    from fanzha.casework.blacklist.enums import EntryStatus, Source
    from fanzha.casework.blacklist.flows import _new_entry
    from fanzha.casework.blacklist.service import ValidRow
    from fanzha.db import session_scope

    decided = date.today() - timedelta(days=400)
    with session_scope(engine) as db:
        db.add(_new_entry(protector=gate.protector, row=ValidRow(ADULT, "王小明", "咸公刑2025-17", decided, 5,
                          "13307151234"), source=Source.POLICE_CSV, status=EntryStatus.ACTIVE,
                          actor=clerk("police"), reason=None))  # fmt: skip
    r = _check(engine, gate, id_no=ADULT)
    assert r.decision == "refuse" and "blacklist" in codes(r)
    text = next(f.text for f in r.reasons if f.code == "blacklist")
    assert "咸公刑2025-17" in text and "133****1234" in text and "13307151234" not in text
    later = datetime.now(UTC) + timedelta(days=5 * 366)
    assert "blacklist" not in codes(_check(engine, gate, id_no=ADULT, now=later))


def test_prior_fraud_line_escalates(engine, gate, registry):
    registry.person(ADULT, "王小明", [("13307150001", "mobile", "shutdown")])
    r = _check(engine, gate, id_no=ADULT)
    assert r.decision == "escalate" and "prior_fraud" in codes(r)


def test_same_person_at_several_shops_escalates(engine, gate, registry):
    t0 = datetime.now(UTC) - timedelta(hours=5)
    _check(engine, gate, id_no=ADULT, who=clerk("c2", "S002"), now=t0)
    assert "multi_shop" not in codes(_check(engine, gate, id_no=ADULT, who=clerk("c3", "S003"), now=t0 + timedelta(hours=1)))
    r = _check(engine, gate, id_no=ADULT)
    assert r.decision == "escalate" and "multi_shop" in codes(r)


def _complete(engine, check_id: int, at: datetime) -> None:
    """The check's notice signed at ``at`` (as flows.sign_notice stores it: status and time)."""
    from sqlalchemy import update

    from fanzha.casework.onboarding.models import OnboardingCheck
    from fanzha.db import session_scope

    with session_scope(engine) as db:
        db.execute(update(OnboardingCheck).where(OnboardingCheck.id == check_id).values(status="completed",
                                                                                        completed_at=at))  # fmt: skip


def test_several_people_opened_by_one_clerk_in_quick_succession_escalates(engine, gate, registry):
    """Three others' openings completed by this clerk within 15 minutes: faster than the checklist allows."""
    t0 = datetime.now(UTC) - timedelta(minutes=14)
    people = [make_id("421221", date(1980 + i, 3, 3), 41 + 2 * i) for i in range(4)]
    results = []
    for i, p in enumerate(people[:3]):
        r = _check(engine, gate, id_no=p, now=t0 + timedelta(minutes=4 * i))
        _complete(engine, r.check_id, t0 + timedelta(minutes=4 * i + 3))
        results.append(r)
    assert all(r.decision == "pass" for r in results)
    fourth = _check(engine, gate, id_no=people[3])
    assert fourth.decision == "escalate" and "group_opening" in codes(fourth)
    assert "本营业员已为3名其他客户办结开卡" in next(f.text for f in fourth.reasons if f.code == "group_opening")
    # another clerk of the same shop is not this clerk's group; the same people an hour later are none either
    assert "group_opening" not in codes(_check(engine, gate, id_no=people[3], who=clerk("clerk2")))
    later = datetime.now(UTC) + timedelta(hours=1)
    assert "group_opening" not in codes(_check(engine, gate, id_no=people[0], now=later))


def test_group_rule_counts_neither_refused_nor_unfinished_checks_nor_the_same_person(engine, gate, registry):
    """Typos (refused), checks still under way or walked away from, and one person's repeated checks open no
    line: they make no group (the rule fired at an ordinary shop on them)."""
    t0 = datetime.now(UTC) - timedelta(minutes=10)
    for k in range(3):  # mistyped IDs: refused
        _check(engine, gate, id_no=ADULT[:-1] + ("0" if ADULT[-1] != "0" else "1"), now=t0 + timedelta(minutes=k))
    for k in range(3):  # others' checks not (yet) completed
        _check(engine, gate, id_no=make_id("421221", date(1975, 5, 5 + k), 81), now=t0 + timedelta(minutes=3 + k))
    regular = make_id("421221", date(1972, 2, 2), 83)
    for k in range(3):  # one person, three completed checks
        r = _check(engine, gate, id_no=regular, now=t0 + timedelta(minutes=6 + k))
        _complete(engine, r.check_id, t0 + timedelta(minutes=6 + k, seconds=30))
    assert "group_opening" not in codes(_check(engine, gate, id_no=ADULT))


def test_group_rule_with_many_checks_reads_the_latest_and_stays_exact(engine, gate, registry):
    """The group rule reads the clerk's most recent GROUP_SCAN completed checks; when those come from too few
    people it counts the whole window, so the answer is the same as a full count."""
    from fanzha.casework.onboarding.service import GROUP_SCAN

    t0 = datetime.now(UTC) - timedelta(minutes=10)
    early, second, regular, newcomer = (make_id("421221", date(1981, 4, d), 61 + d) for d in (1, 2, 3, 4))
    for k, p in enumerate((early, second)):  # in the window, but older than the regular's many checks
        _complete(engine, _check(engine, gate, id_no=p, now=t0 + timedelta(seconds=k)).check_id, t0 + timedelta(seconds=5))
    for k in range(GROUP_SCAN + 5):
        r = _check(engine, gate, id_no=regular, now=t0 + timedelta(seconds=10 + k))
        _complete(engine, r.check_id, t0 + timedelta(seconds=10 + k))
    r = _check(engine, gate, id_no=newcomer)
    group = [f.text for f in r.reasons if f.code == "group_opening"]
    # the latest GROUP_SCAN checks are all the regular's; the full count finds the two early customers: exactly 3
    assert group and "已为3名其他客户" in group[0], r.reasons


def test_group_rule_with_many_people_says_at_least(engine, gate, registry):
    from fanzha.casework.onboarding.service import GROUP_SCAN

    t0 = datetime.now(UTC) - timedelta(minutes=10)
    for k in range(GROUP_SCAN + 3):
        r = _check(engine, gate, id_no=make_id("421221", date(1970, 1, 1) + timedelta(days=k), 71),
                   now=t0 + timedelta(seconds=k))  # fmt: skip
        _complete(engine, r.check_id, t0 + timedelta(seconds=k))
    r = _check(engine, gate, id_no=ADULT)
    group = [f.text for f in r.reasons if f.code == "group_opening"]
    assert group and f"已为至少{GROUP_SCAN}名其他客户" in group[0], r.reasons


def test_bulk_fixed_lines_high_risk_region_and_purpose(engine, gate, registry):
    r = _check(engine, gate, id_no=ADULT, lines=[{"line_type": "fixed", "count": 2}])
    assert r.decision == "escalate" and "bulk" in codes(r)
    risky = make_id("350583", date(1990, 1, 1), 13)
    assert "high_risk_region" in codes(_check(engine, gate, id_no=risky))
    r = _check(engine, gate, id_no=make_id("421223", date(1991, 2, 2), 15), purpose="朋友介绍的兼职，帮朋友办")
    assert r.decision == "escalate" and "purpose_suspicious" in codes(r)
    assert "purpose_missing" in codes(_check(engine, gate, id_no=make_id("421224", date(1992, 2, 2), 17), purpose=""))


def test_clerk_with_high_fraud_share_gets_a_reminder(engine, gate, registry):
    lines = [(f"1530715{i:04d}", "mobile", "shutdown" if i < 3 else "active") for i in range(40)]
    registry.person(make_id("421281", date(1970, 1, 1), 19), "赵六", lines, clerk_id="clerk1")
    r = _check(engine, gate, id_no=ADULT)
    assert r.decision == "pass" and "clerk_risk" in codes(r)
    assert "7.5%" in next(f.text for f in r.reasons if f.code == "clerk_risk")
    assert "clerk_risk" not in codes(_check(engine, gate, id_no=ADULT, who=clerk("clerk9")))
