"""View models for the casework pages: everything already masked, so templates never see clear numbers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from fanzha.casework.alerts import labels
from fanzha.casework.alerts import service as alerts_service
from fanzha.casework.alerts.filters import CASE_CHOICES, InboxFilter, parse_inbox_filter
from fanzha.casework.alerts.models import Alert
from fanzha.casework.alerts.service import display_subject
from fanzha.casework.auth.principal import Principal
from fanzha.casework.cases import service, traffic
from fanzha.casework.cases.enums import (
    ACTION_LABELS, IN_WORK_STATES, QUEUE_OF, STATE_LABELS, TRANSITIONS, CaseAction, CaseState,
)  # fmt: skip
from fanzha.casework.cases.models import Case
from fanzha.casework.context import aware, utcnow
from fanzha.casework.measures.enums import (
    LINE_STATUS_LABELS, MEASURE_LABELS, ORDER_STATUS_LABELS, Measure, OrderStatus,
)  # fmt: skip
from fanzha.casework.paging import Paging, paging
from fanzha.config import Settings
from fanzha.privacy import mask_msisdn, redact

RELATION_LABELS = {"subject": "处置对象", "same_owner": "同一机主", "same_device": "同一设备", "ring": "同一团伙",
                   "not_selected": "未选中", "appeal_upheld": "申诉成立，已撤出"}  # fmt: skip


@dataclass
class CaseRow:
    id: int
    title: str
    state: str
    state_label: str
    severity: str
    severity_label: str
    max_score: float
    due_at: datetime | None
    overdue: bool
    needs_l3: bool
    auto_measure: bool


def case_title(case: Case, first: Alert | None) -> str:
    """The title in Chinese. Stored titles keep the codes they were made from (``fraud_caller · 173****4163``
    when an alert opened the case, ``onboarding: …`` for a proposed measure); the page says them in words."""
    if first is not None and case.title.startswith(f"{first.detector} · "):
        kind = "" if first.subject_type == "msisdn" else f"{labels.subject_type_label(first.subject_type)} "
        return f"{labels.detector_label(first.detector)} · {kind}{display_subject(first)}"
    return _title_words(case.title)  # no first alert (gone, or a proposed measure opened the case): the codes


def _title_words(title: str) -> str:
    head, sep, rest = title.partition(" · ")
    if sep and (label := labels.detector_label(head)) != head:
        return f"{label} · {rest}"
    head, sep, rest = title.partition(": ")
    if sep and " " not in head and (label := labels.order_source_label(head)) != head:
        return f"{label}：{rest}"
    return title


def timeline_note(kind: str, note: str | None) -> str | None:
    """Timeline notes are stored as written, codes included (``detector/fraud_caller 告警 …``); shown in words."""
    if not note:
        return note
    if kind == "case.open":
        return _title_words(note)
    if kind in ("alert.new", "alert.merged"):
        head, sep, rest = note.partition(" ")
        source, slash, detector = head.partition("/")
        if sep and slash:
            return f"{labels.source_label(source)}·{labels.detector_label(detector)} {rest.replace(' score ', ' 分值 ')}"
    return note


def case_row(case: Case, now: datetime, first: Alert | None = None) -> CaseRow:
    return CaseRow(id=case.id, title=case_title(case, first), state=case.state,
                   state_label=STATE_LABELS[CaseState(case.state)], severity=case.severity,
                   severity_label=labels.severity_label(case.severity), max_score=case.max_score, due_at=case.due_at,
                   overdue=service.is_overdue(case, now=now), needs_l3=case.needs_l3,
                   auto_measure=case.auto_measure)  # fmt: skip


@dataclass
class QueueTab:
    key: str
    label: str
    count: int
    states: list[str]


@dataclass
class QueuePage:
    tabs: list[QueueTab]
    current: QueueTab
    rows: list[CaseRow]
    paging: Paging
    errors: list[str]


def queue_page(db: Session, *, principal: Principal, params: Mapping[str, str]) -> QueuePage:
    """One queue at a time, a page at a time: the reviewer's own queue(s) first, then everything still in work."""
    tabs = [QueueTab(state.value, f"我的待办：{STATE_LABELS[state]}", 0, [state.value])
            for perm, state in QUEUE_OF.items() if principal.can(perm)]  # fmt: skip
    tabs.append(QueueTab("all", "全部在办案件", 0, sorted(s.value for s in IN_WORK_STATES)))
    tabs.append(QueueTab("actioned", f"{STATE_LABELS[CaseState.ACTIONED]}（待结案）", 0, [CaseState.ACTIONED.value]))
    for tab in tabs:
        tab.count = service.queue_count(db, states=tab.states)
    errors: list[str] = []
    wanted = (params.get("queue") or "").strip()
    current = next((t for t in tabs if t.key == wanted), tabs[0])
    if wanted and current.key != wanted:
        errors.append(f"没有名为“{wanted[:20]}”的队列，已显示{current.label}")
    query = {"queue": current.key} if wanted else {}
    pg = paging(params.get("page"), total=current.count, params=query, errors=errors)
    cases = service.queue(db, states=current.states, limit=pg.size, offset=pg.offset)
    firsts = service.first_alerts(db, case_ids=[c.id for c in cases])
    now = utcnow()
    return QueuePage(tabs=tabs, current=current, rows=[case_row(c, now, firsts.get(c.id)) for c in cases],
                     paging=pg, errors=errors)  # fmt: skip


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
    return {"id": a.id, "source": a.source, "source_label": labels.source_label(a.source), "detector": a.detector,
            "detector_label": labels.detector_label(a.detector), "subject": display_subject(a),
            "subject_type": a.subject_type, "subject_type_label": labels.subject_type_label(a.subject_type),
            "score": a.score, "severity": a.severity, "severity_label": labels.severity_label(a.severity),
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
    case_orders = service.case_orders(db, case_id=case.id)
    done = [o for o in case_orders if o.status == OrderStatus.DONE and o.done_at]
    for ln in [v for v in lines if v.relation == "subject"][:3]:
        own = [a.evidence for a in alerts if a.subject_type == "msisdn" and a.subject_key == ln.msisdn]
        points = traffic.from_evidence(own) or traffic.from_store(settings.record_stores, ln.msisdn)
        # When a measure on this line took effect: does its traffic stop there?
        marks = [(o.done_at, MEASURE_LABELS[Measure(o.measure)]) for o in done if o.msisdn == ln.msisdn]
        charts.append((mask_msisdn(ln.msisdn), traffic.svg(points, title=f"{mask_msisdn(ln.msisdn)} 话务", marks=marks)))
    orders = [{"id": o.id, "msisdn": mask_msisdn(o.msisdn), "measure": MEASURE_LABELS[Measure(o.measure)],
               "status": o.status, "status_label": ORDER_STATUS_LABELS[OrderStatus(o.status)], "attempts": o.attempts,
               "error": o.last_error, "next": o.next_attempt_at, "source": o.source,
               "source_label": labels.order_source_label(o.source), "key": o.order_key[:12]}
              for o in case_orders]  # fmt: skip
    first = min(alerts, key=lambda a: a.id, default=None)
    row = case_row(case, now, first)
    return CaseFile(
        case=row, title=row.title,
        proposed_measure=MEASURE_LABELS[Measure(case.proposed_measure)] if case.proposed_measure else None,
        l3_reasons=case.l3_reasons, reviewers={"一级": case.l1_by, "二级": case.l2_by, "三级": case.l3_by},
        lines=[{"value": v.msisdn, "msisdn": mask_msisdn(v.msisdn), "relation": RELATION_LABELS.get(v.relation, v.relation),
                "subject": v.relation == "subject", "status": LINE_STATUS_LABELS.get(v.status or "", v.status or "未登记"),
                "owner": v.owner_masked or "", "class": {"enterprise": "政企", "government": "政府"}.get(v.account_class or "", "")}
               for v in lines],
        alerts=[_alert_row(a) for a in alerts], charts=charts, orders=orders,
        timeline=[{"at": e.at, "actor": e.actor, "kind": e.kind, "note": timeline_note(e.kind, e.note),
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


@dataclass
class InboxPage:
    rows: list[dict]
    filter: InboxFilter
    paging: Paging
    errors: list[str]
    choices: dict[str, list[tuple[str, str]]]  # filter field → (code, label) options


def inbox_page(db: Session, *, params: Mapping[str, str]) -> InboxPage:
    """The inbox as the page shows it: filtered from the query string, counted, one page of rows."""
    present = alerts_service.inbox_detectors(db)
    known = labels.known_detectors()
    flt, errors = parse_inbox_filter(params, detectors={*known, *present})
    pg = paging(params.get("page"), total=alerts_service.count_inbox(db, flt=flt), params=flt.query(), errors=errors)
    rows = inbox_rows(alerts_service.search_inbox(db, flt=flt, limit=pg.size, offset=pg.offset))
    # The detector choices: what is in the inbox (with its count), then the chosen one even if none is left.
    detectors = sorted(present, key=lambda d: (known.index(d) if d in known else len(known), d))
    if flt.detector and flt.detector not in present:
        detectors.append(flt.detector)
    choices = {
        "source": list(labels.SOURCE_LABELS.items()),
        "detector": [(d, f"{labels.detector_label(d)}（{present.get(d, 0)}）") for d in detectors],
        "severity": [(k, labels.SEVERITY_LABELS[k]) for k in ("critical", "high", "medium", "low")],
        "case": list(CASE_CHOICES.items()),
    }  # fmt: skip
    return InboxPage(rows=rows, filter=flt, paging=pg, errors=errors, choices=choices)
