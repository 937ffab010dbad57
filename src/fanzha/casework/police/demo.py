"""The demo's police desk: one query request by the demo police liaison, approved by the demo supervisor, and
one clue batch (the strongest actioned cases and SIM-bank group) exported and given feedback, so the desk
pages and the dashboard have something to show.

The feedback figures are demo values, written as such in the feedback note (演示数据).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from fanzha.casework.alerts.models import Alert
from fanzha.casework.auth import service as auth_service
from fanzha.casework.cases.enums import CaseState
from fanzha.casework.cases.models import Case
from fanzha.casework.context import work_context
from fanzha.casework.police import clue_flows, clues, flows
from fanzha.casework.police.schemas import BatchRequest, FeedbackRequest, QueryDecision, QueryRequest
from fanzha.config import Settings
from fanzha.db import engine_for, session_scope


@dataclass
class PoliceDemo:
    query_id: int | None
    query_subject: str | None  # masked
    batch_no: str | None
    batch_lines: int
    files: int


def _people(db) -> dict:
    out = {}
    for name in ("demo_police_liaison", "demo_supervisor"):
        user = auth_service.get_user(db, username=name)
        if user is None:
            raise RuntimeError(f"demo account {name} missing: create the demo accounts first")
        out[name] = auth_service.principal_for(user, via="cli")
    return out


def run_police_demo(*, settings: Settings) -> PoliceDemo:
    ctx = work_context(settings)
    engine = engine_for(settings.db_url)
    result = PoliceDemo(None, None, None, 0, 0)
    with session_scope(engine) as db:
        people = _people(db)
        officer, boss = people["demo_police_liaison"], people["demo_supervisor"]
        top = db.execute(select(Alert).where(Alert.subject_type == "msisdn", Alert.detector == "fraud_caller",
                                             Alert.merged_into_id.is_(None))
                         .order_by(Alert.score.desc(), Alert.id).limit(1)).scalar_one_or_none()  # fmt: skip
        if top is not None:
            q = flows.submit(db, key=ctx.key, protector=ctx.protector, actor=officer, body=QueryRequest(
                subject_type="msisdn", subject=top.subject_key, case_no="咸公(反诈)立字[2026]0418号",
                legal_basis="《中华人民共和国刑事诉讼法》第五十四条（向有关单位收集、调取证据）",
                purpose="侦办冒充客服诈骗案，核查主叫号码机主、名下号码、通话概况、使用终端、开户网点与告警",
                scopes=["owner", "lines", "calls", "devices", "opening", "alerts"]))  # fmt: skip
            flows.decide(db, key=ctx.key, actor=boss, query_id=q.id, body=QueryDecision(
                approve=True, note="立案文书与调取证据通知书齐全，同意在申请范围内脱敏提供", valid_days=7))  # fmt: skip
            result.query_id, result.query_subject = q.id, q.subject_masked
        cases = list(db.execute(select(Case.id).where(Case.state.in_([CaseState.ACTIONED.value, CaseState.CLOSED.value]))
                                .order_by(Case.max_score.desc(), Case.id).limit(3)).scalars())  # fmt: skip
        boxes = list(db.execute(select(Alert.id).where(Alert.detector == clues.SIMBOX, Alert.merged_into_id.is_(None))
                                .order_by(Alert.score.desc(), Alert.id).limit(1)).scalars())  # fmt: skip
        if not cases and not boxes:
            return result
        batch = clue_flows.create(db, key=ctx.key, actor=boss, body=BatchRequest(
            title="演示：高危涉诈号码与猫池设备组", recipient="咸宁市公安局反诈中心", case_ids=cases,
            simbank_alert_ids=boxes, note="演示数据"))  # fmt: skip
        batch = clue_flows.export(db, key=ctx.key, actor=boss, batch_id=batch.id, home=settings.home)
        clue_flows.record_feedback(db, key=ctx.key, actor=officer, batch_id=batch.id, body=FeedbackRequest(
            arrests=3, devices_seized=len(boxes), cards_seized=batch.line_count,
            note="演示数据：据线索捣毁窝点一处"))  # fmt: skip
        result.batch_no, result.batch_lines = batch.batch_no, batch.line_count
        result.files = len(clues.batch_files(db, batch_id=batch.id))
    return result
