"""View models for the casework pages: everything already masked, so templates never see clear numbers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from fanzha.casework.alerts.models import Alert
from fanzha.casework.alerts.service import display_subject
from fanzha.casework.auth.principal import Principal
from fanzha.casework.cases import service, traffic
from fanzha.casework.cases.enums import ACTION_LABELS, STATE_LABELS, TRANSITIONS, CaseAction, CaseState
from fanzha.casework.cases.models import Case
from fanzha.casework.context import aware, utcnow
from fanzha.casework.measures.enums import (
    LINE_STATUS_LABELS, MEASURE_LABELS, ORDER_STATUS_LABELS, Measure, OrderStatus,
)  # fmt: skip
from fanzha.config import Settings
from fanzha.privacy import mask_msisdn, redact

RELATION_LABELS = {"subject": "处置对象", "same_owner": "同一机主", "same_device": "同一设备", "ring": "同一团伙",
                   "not_selected": "未选中"}  # fmt: skip
SEVERITY_LABELS = {"low": "低", "medium": "中", "high": "高", "critical": "严重"}


@dataclass
class CaseRow:
    id: int
    title: str
    state: str
    state_label: str
    severity: str
    max_score: float
    due_at: datetime | None
    overdue: bool
    needs_l3: bool
    auto_measure: bool


def case_row(case: Case, now: datetime) -> CaseRow:
    return CaseRow(id=case.id, title=case.title, state=case.state, state_label=STATE_LABELS[CaseState(case.state)],
                   severity=case.severity, max_score=case.max_score, due_at=case.due_at,
                   overdue=service.is_overdue(case, now=now), needs_l3=case.needs_l3,
                   auto_measure=case.auto_measure)  # fmt: skip


def queues(db: Session, *, principal: Principal) -> list[tuple[str, list[CaseRow]]]:
    """The reviewer's own queue(s) first, then everything still in work."""
    from fanzha.casework.cases.enums import ACTIVE_STATES, QUEUE_OF

    now = utcnow()
    out = []
    for perm, state in QUEUE_OF.items():
        if principal.can(perm):
            rows = [case_row(c, now) for c in service.queue(db, states=[state.value])]
            out.append((f"我的待办：{STATE_LABELS[state]}", rows))
    others = [case_row(c, now) for c in service.queue(db, states=[s.value for s in ACTIVE_STATES])]
    out.append(("全部在办案件", others))
    return out


@dataclass
class ActionForm:
    action: str
    label: str
    kind: str  # verify | approve | reject | other


@dataclass
class CaseFile:
    case: CaseRow
    title: str
    proposed_measure: str | None
    l3_reasons: str | None
    reviewers: dict[str, str | None]
    lines: list[dict]
    alerts: list[dict]
    charts: list[tuple[str, object]]
    orders: list[dict]
    timeline: list[dict]
    actions: list[ActionForm] = field(default_factory=list)
    measures: list[tuple[str, str]] = field(default_factory=list)
    can_retry: bool = False
    reports: list[dict] = field(default_factory=list)  # traceability reports (溯源报告) stored with the case


def _alert_row(a: Alert) -> dict:
    try:
        evidence = json.loads(a.evidence or "{}")
    except ValueError:
        evidence = {}
    shown = {k: redact(json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v)[:200]
             for k, v in evidence.items() if k != "traffic"}  # fmt: skip
    return {"id": a.id, "source": a.source, "detector": a.detector, "subject": display_subject(a),
            "subject_type": a.subject_type, "score": a.score, "severity": SEVERITY_LABELS.get(a.severity, a.severity),
            "event_time": a.event_time, "reasons": a.reasons, "evidence": shown, "hits": a.hits,
            "merged": a.merged_into_id is not None}  # fmt: skip


def actions_for(case: Case, principal: Principal) -> list[ActionForm]:
    out = []
    for (state, action), t in TRANSITIONS.items():
        if state != case.state or not principal.can(t.permission):
            continue
        earlier = {"l2": [case.l1_by], "l3": [case.l1_by, case.l2_by]}.get(action.value[:2], [])
        if principal.username in [x for x in earlier if x]:
            continue  # four eyes: hide what the service would refuse
        kind = ("approve" if action in (CaseAction.L2_APPROVE, CaseAction.L3_APPROVE) else
                "verify" if action == CaseAction.L1_VERIFY else
                "reject" if action.value.endswith(("dismiss", "reject")) else "other")  # fmt: skip
        out.append(ActionForm(action=action.value, label=ACTION_LABELS[action], kind=kind))
    return out


def case_file(db: Session, *, case: Case, principal: Principal, settings: Settings) -> CaseFile:
    from fanzha.casework.auth.enums import Permission
    from fanzha.casework.tracing.flows import report_state, reports_for_case

    now = utcnow()
    lines = service.case_lines(db, case_id=case.id)
    alerts = service.case_alerts(db, case_id=case.id)
    charts = []
    for ln in [v for v in lines if v.relation == "subject"][:3]:
        own = [a.evidence for a in alerts if a.subject_type == "msisdn" and a.subject_key == ln.msisdn]
        points = traffic.from_evidence(own) or traffic.from_store(settings.record_stores, ln.msisdn)
        charts.append((mask_msisdn(ln.msisdn), traffic.svg(points, title=f"{mask_msisdn(ln.msisdn)} 话务")))
    orders = [{"id": o.id, "msisdn": mask_msisdn(o.msisdn), "measure": MEASURE_LABELS[Measure(o.measure)],
               "status": o.status, "status_label": ORDER_STATUS_LABELS[OrderStatus(o.status)], "attempts": o.attempts,
               "error": o.last_error, "next": o.next_attempt_at, "source": o.source, "key": o.order_key[:12]}
              for o in service.case_orders(db, case_id=case.id)]  # fmt: skip
    return CaseFile(
        case=case_row(case, now), title=case.title,
        proposed_measure=MEASURE_LABELS[Measure(case.proposed_measure)] if case.proposed_measure else None,
        l3_reasons=case.l3_reasons, reviewers={"一级": case.l1_by, "二级": case.l2_by, "三级": case.l3_by},
        lines=[{"value": v.msisdn, "msisdn": mask_msisdn(v.msisdn), "relation": RELATION_LABELS.get(v.relation, v.relation),
                "subject": v.relation == "subject", "status": LINE_STATUS_LABELS.get(v.status or "", v.status or "未登记"),
                "owner": v.owner_masked or "", "class": {"enterprise": "政企", "government": "政府"}.get(v.account_class or "", "")}
               for v in lines],
        alerts=[_alert_row(a) for a in alerts], charts=charts, orders=orders,
        timeline=[{"at": e.at, "actor": e.actor, "kind": e.kind, "note": e.note,
                   "from": STATE_LABELS.get(e.from_state, e.from_state) if e.from_state else None,
                   "to": STATE_LABELS.get(e.to_state, e.to_state) if e.to_state else None}
                  for e in service.timeline(db, case_id=case.id)],
        actions=actions_for(case, principal),
        measures=[(m.value, MEASURE_LABELS[m]) for m in Measure if m != Measure.RESTORE],
        can_retry=principal.can(Permission.CASE_WORK),
        reports=[{"id": r.id, "run_id": r.run_id, "at": r.requested_at, "by": r.requested_by, "done": r.pdf is not None,
                  "state": report_state(db, r).state_label} for r in reports_for_case(db, case_id=case.id)],
    )  # fmt: skip


def inbox_rows(alerts: list[Alert]) -> list[dict]:
    return [{**_alert_row(a), "case_id": a.case_id, "last_seen": aware(a.last_seen)} for a in alerts]
