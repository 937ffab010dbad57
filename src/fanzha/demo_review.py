"""The demo's reviewers at work: some cases decided through the three-level review (三级稽核) by the demo
reviewer accounts, the orders sent, one restricted line appealed and upheld, one appeal rejected.

Decisions follow the simulator's ground truth (``labels.csv``), as a careful reviewer would reach them: a case
whose subject lines are all ordinary is dismissed as a false positive at L1; the others are verified and
approved (suspension; a shutdown for SIM-bank rings, which needs L3). About a third of the cases stay open,
so the queues and the dashboard's backlog are not empty.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from fanzha.casework.auth import service as auth_service
from fanzha.casework.auth.principal import Principal
from fanzha.casework.context import WorkContext, work_context
from fanzha.config import Settings
from fanzha.db import engine_for, session_scope

OPEN_SHARE = 0.3  # cases left in the L1 queue


@dataclass
class ReviewSummary:
    verified: int = 0
    approved: int = 0
    escalated_l3: int = 0
    dismissed: int = 0
    left_open: int = 0
    orders_sent: int = 0
    appeals: dict[str, str] = field(default_factory=dict)  # masked msisdn → outcome


def _reviewers(db) -> dict[str, Principal]:
    out = {}
    for name in ("demo_reviewer_l1", "demo_reviewer_l2", "demo_reviewer_l3", "demo_clerk"):
        user = auth_service.get_user(db, username=name)
        if user is None:
            raise RuntimeError(f"demo account {name} missing: create the demo accounts first")
        out[name] = auth_service.principal_for(user, via="cli")
    return out


def _fraud_lines(labels_csv: Path) -> dict[str, str]:
    with open(labels_csv, encoding="utf-8", newline="") as fh:
        return {r["msisdn"]: r["label"] for r in csv.DictReader(fh) if r["label"] != "normal"}


def review_cases(*, settings: Settings, labels_csv: Path) -> ReviewSummary:
    from fanzha.casework.cases import flows, service
    from fanzha.casework.cases.enums import CaseAction, CaseState
    from fanzha.casework.cases.models import Case
    from fanzha.casework.measures.dispatch import dispatch_orders

    engine = engine_for(settings.db_url)
    ctx = work_context(settings)
    fraud = _fraud_lines(labels_csv)
    summary = ReviewSummary()
    with session_scope(engine) as db:
        people = _reviewers(db)
        l1, l2, l3 = people["demo_reviewer_l1"], people["demo_reviewer_l2"], people["demo_reviewer_l3"]
        cases = list(db.execute(select(Case).where(Case.state == CaseState.OPEN.value)
                                .order_by(Case.max_score.desc(), Case.id)).scalars())  # fmt: skip
        keep_open = set(c.id for c in cases[len(cases) - int(len(cases) * OPEN_SHARE):]) if len(cases) > 2 else set()
        for case in cases:
            subjects = service.subject_msisdns(db, case_id=case.id)
            if case.id in keep_open or not subjects:  # a cell-only case waits for an analyst to name lines
                summary.left_open += 1
                continue
            labels = {fraud.get(m, "normal") for m in subjects}
            if labels == {"normal"}:
                flows.transition(db, ctx=ctx, case_id=case.id, action=CaseAction.L1_DISMISS, actor=l1,
                                 note="核实通话对象为正常业务往来，证据不足")  # fmt: skip
                summary.dismissed += 1
                continue
            flows.transition(db, ctx=ctx, case_id=case.id, action=CaseAction.L1_VERIFY, actor=l1,
                             note="话单特征与告警一致，证据属实")  # fmt: skip
            summary.verified += 1
            measure = "shutdown" if "simbox" in labels else "suspend"
            flows.transition(db, ctx=ctx, case_id=case.id, action=CaseAction.L2_APPROVE, actor=l2, measure=measure,
                             note="同意处置")  # fmt: skip
            if case.state == CaseState.AWAITING_L3.value:
                summary.escalated_l3 += 1
                flows.transition(db, ctx=ctx, case_id=case.id, action=CaseAction.L3_APPROVE, actor=l3,
                                 note="猫池设备号码，同意关停")  # fmt: skip
            summary.approved += 1
    summary.orders_sent += dispatch_orders(engine, settings=settings).sent
    summary.appeals = _appeals(settings=settings, ctx=ctx, fraud=fraud)
    summary.orders_sent += dispatch_orders(engine, settings=settings).sent
    return summary


def _appeals(*, settings: Settings, ctx: WorkContext, fraud: dict[str, str]) -> dict[str, str]:
    """Two owners of suspended lines appeal at the counter: one re-verifies and is upheld, one is rejected."""
    from fanzha.casework.appeals import flows as appeals
    from fanzha.casework.registry.models import Line
    from fanzha.privacy import mask_msisdn

    engine = engine_for(settings.db_url)
    out: dict[str, str] = {}
    with session_scope(engine) as db:
        people = _reviewers(db)
        # Lines the review just restricted (done orders of a case), lowest alert score first.
        from fanzha.casework.cases.models import Case
        from fanzha.casework.measures.models import MeasureOrder

        restricted = list(db.execute(
            select(Line).join(MeasureOrder, MeasureOrder.msisdn == Line.msisdn).join(Case, Case.id == MeasureOrder.case_id)
            .where(Line.status.in_(["suspended", "restricted"]), MeasureOrder.status == "done")
            .order_by(Case.max_score, Line.msisdn).distinct()
        ).scalars())  # fmt: skip
        # Upheld: preferably a line the simulator says is ordinary (a true false positive), else the weakest case.
        innocent = sorted(restricted, key=lambda ln: ln.msisdn in fraud)
        if not innocent:
            return out
        upheld_line = innocent[0]
        rejected_line = next((ln for ln in restricted if ln.msisdn in fraud and ln is not upheld_line), None)
        clerk = people["demo_clerk"]
        appeal = appeals.file_appeal(db, ctx=ctx, msisdn=upheld_line.msisdn, channel="counter", actor=clerk,
                                     statement="本人正常使用，号码用于个体经营联系客户，申请恢复")  # fmt: skip
        id_no = ctx.protector.decrypt(upheld_line.person.id_enc) if upheld_line.person else ""
        appeals.record_reverification(db, ctx=ctx, appeal_id=appeal.id, id_no=id_no, person_present=True,
                                      purpose="个体经营联系客户", actor=clerk)  # fmt: skip
        if appeal.status == "reverified":
            appeals.decide(db, ctx=ctx, appeal_id=appeal.id, upheld=True, actor=people["demo_reviewer_l2"],
                           note="本人到场核验通过，用途合理，申诉成立")  # fmt: skip
        out[mask_msisdn(upheld_line.msisdn)] = appeal.status
        if rejected_line is not None:
            second = appeals.file_appeal(db, ctx=ctx, msisdn=rejected_line.msisdn, channel="counter", actor=clerk,
                                         statement="号码被停机，申请恢复")  # fmt: skip
            appeals.record_reverification(db, ctx=ctx, appeal_id=second.id, id_no="", person_present=False,
                                          purpose="未说明", actor=clerk)  # fmt: skip
            appeals.decide(db, ctx=ctx, appeal_id=second.id, upheld=False, actor=people["demo_reviewer_l3"],
                           note="机主未到场、证件不符，维持停机")  # fmt: skip
            out[mask_msisdn(rejected_line.msisdn)] = second.status
    return out
