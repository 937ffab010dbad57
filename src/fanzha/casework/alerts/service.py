"""Raising alerts: merge by subject within a window, group related alerts into cases, auto-suspend.

``raise_alert`` is the one way in, for the detector importer, the monitoring service, 12321 public reports
and the police desk::

    from fanzha.casework.alerts.service import raise_alert
    outcome = raise_alert(db, source="report", subject_type="msisdn", subject="13307150001",
                          detector="impersonation", score=0.8, severity="high",
                          reasons="12321举报：冒充公检法", evidence={"report_id": "R123"},
                          event_time=received_at, actor=principal)
    outcome.case_id, outcome.merged, outcome.orders

- ``source``: detector | monitor | report | police. ``detector``: the detector or the report/police category.
- ``subject_type``: msisdn | imei | cell | id_no. An ID number is stored only masked + keyed hash.
- ``score`` 0..1; ``severity`` low|medium|high|critical (derived from the score when None).
- ``evidence``: JSON-able dict. Recognised keys group alerts into one case: ``imei``/``imeis`` (same
  device), ``ring``/``ring_id``/``group``/``group_id`` (same ring), ``msisdns``/``members``/``lines`` (lines
  concerned). The line's owner (registry) groups alerts on lines of the same ID. ``traffic`` (a list of
  ``[iso_time, calls]`` or ``{"t":…, "calls":…}``) is drawn on the case page.
- ``alert_id``: optional; the same id with the same ``event_time`` is a no-op (``outcome.duplicate``); the
  same id with a new ``event_time`` (a later detector run) is a new sighting, merged as usual.
Runs in the caller's transaction. A score ≥ ``auto_suspend_score`` issues 停机 orders at once (the case is
reviewed afterwards); send them after commit with ``measures.dispatch.dispatch_orders``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fanzha.casework.alerts.filters import InboxFilter
from fanzha.casework.alerts.models import Alert
from fanzha.casework.audit import service as audit
from fanzha.casework.auth.principal import Principal
from fanzha.casework.cases import flows as case_flows
from fanzha.casework.cases.enums import ACTIVE_STATES
from fanzha.casework.cases.models import Case
from fanzha.casework.context import WorkContext, aware, input_time, utcnow, work_context
from fanzha.casework.measures import service as measures
from fanzha.casework.measures.enums import Measure
from fanzha.casework.measures.models import MeasureOrder
from fanzha.casework.registry.models import Line, Person
from fanzha.config import Settings
from fanzha.privacy import mask_id, mask_msisdn, redact

SOURCES = ("detector", "monitor", "report", "police")
SUBJECT_TYPES = ("msisdn", "imei", "cell", "id_no")
SEVERITIES = ("low", "medium", "high", "critical")
IMEI_KEYS, RING_KEYS, LINE_KEYS = ("imei", "imeis"), ("ring", "ring_id", "group", "group_id"), (
    "msisdns", "members", "lines")


@dataclass
class AlertOutcome:
    alert: Alert
    duplicate: bool = False
    merged: bool = False
    case_id: int | None = None
    orders: list[MeasureOrder] = field(default_factory=list)


def severity_for(score: float) -> str:
    # Same grading as the detectors (analytics.detectors.base.severity_for), kept here so casework does not
    # import the analytics half.
    return "critical" if score >= 0.9 else "high" if score >= 0.75 else "medium" if score >= 0.5 else "low"


def _values(evidence: dict, keys: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for k in keys:
        v = evidence.get(k)
        if isinstance(v, (list, tuple)):
            out.extend(str(x) for x in v if x not in (None, ""))
        elif v not in (None, "") and not isinstance(v, dict):
            out.append(str(v))
    return [v.strip()[:64] for v in out if v.strip()]


def display_subject(alert: Alert) -> str:
    return mask_msisdn(alert.subject) if alert.subject_type == "msisdn" else alert.subject


def _by_id(db: Session, alert_id: str) -> Alert | None:
    return db.execute(select(Alert).where(Alert.alert_id == alert_id)).scalar_one_or_none()


def _group(db: Session, *, ctx: WorkContext, alert: Alert, evidence: dict, actor: Principal) -> Case:
    keys: list[tuple[str, str]] = []
    subjects: list[str] = []
    extra: dict[str, str] = {}
    if alert.subject_type == "msisdn":
        subjects.append(alert.subject_key)
    elif alert.subject_type == "id_no":
        person = db.execute(select(Person).where(Person.id_hash == alert.subject_key)).scalar_one_or_none()
        if person is not None:
            keys.append(("person", str(person.id)))
            subjects.extend(db.execute(select(Line.msisdn).where(Line.person_id == person.id)).scalars())
        else:
            keys.append(("id", alert.subject_key))
    else:
        keys.append((alert.subject_type, alert.subject_key))
    keys += [("imei", v) for v in _values(evidence, IMEI_KEYS)]
    keys += [("ring", v) for v in _values(evidence, RING_KEYS)]
    members = [m for m in _values(evidence, LINE_KEYS) if m.isdigit() and len(m) <= 20]
    if alert.subject_type in ("imei", "id_no"):
        subjects.extend(members)  # the SIMs in the device / the ID's lines are what the alert is about
    else:
        extra.update({m: "ring" for m in members if m not in subjects})
    title = f"{alert.detector} · {display_subject(alert)}"
    case, _ = case_flows.case_for_lines(
        db, ctx=ctx, msisdns=list(dict.fromkeys(subjects)), relation="subject", actor=actor, title=title,
        keys=keys, extra_lines=extra, score=alert.score, severity=alert.severity,
    )  # fmt: skip
    return case


def _auto_suspend(db: Session, *, ctx: WorkContext, case: Case, alert: Alert, actor: Principal) -> list[MeasureOrder]:
    from fanzha.casework.cases import service as case_service

    if alert.score < ctx.settings.auto_suspend_score or case.state not in ("open", "l1_verified", "awaiting_l3"):
        return []
    targets = case_service.subject_msisdns(db, case_id=case.id)
    if alert.subject_type == "msisdn":
        targets = [alert.subject_key]
    orders = measures.issue_orders(
        db, ctx=ctx, msisdns=targets, measure=Measure.SUSPEND, source="auto", origin=f"case:{case.id}",
        reason=f"高置信告警先行停机 score {alert.score:.2f} ≥ {ctx.settings.auto_suspend_score}", actor=actor,
        case_id=case.id,
    )  # fmt: skip
    if orders:
        case.auto_measure = True
        case.proposed_measure = case.proposed_measure or Measure.SUSPEND.value
        case_flows.log(db, case=case, actor=actor, kind="measure.auto",
                       note=f"告警分值 {alert.score:.2f} 超过阈值，{len(orders)} 个号码先行停机，待事后稽核")  # fmt: skip
    return orders


def raise_alert(
    db: Session,
    *,
    source: str,
    subject_type: str,
    subject: str,
    detector: str,
    score: float,
    severity: str | None = None,
    reasons: str = "",
    evidence: dict | None = None,
    event_time: datetime | None = None,
    actor: Principal,
    alert_id: str | None = None,
    settings: Settings | None = None,
) -> AlertOutcome:
    """Record one alert (see the module docstring). Raises ValueError for an invalid value."""
    ctx = work_context(settings)
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}")
    if subject_type not in SUBJECT_TYPES:
        raise ValueError(f"subject_type must be one of {SUBJECT_TYPES}")
    score = float(score)
    if not 0.0 <= score <= 1.0:
        raise ValueError("score must be within 0..1")
    severity = severity or severity_for(score)
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {SEVERITIES}")
    subject = (subject or "").strip()
    if not subject:
        raise ValueError("subject is empty")
    evidence = evidence if isinstance(evidence, dict) else {}
    event_time = input_time(event_time)
    alert_id = (alert_id or "").strip() or f"{source}-{uuid.uuid4().hex[:24]}"
    existing = _by_id(db, alert_id)
    if existing is not None and event_time is not None and aware(existing.event_time) != event_time:
        # `fanzha detect` keeps one alert_id per (detector, subject) across runs: a later run with a new
        # event_time is a new sighting, stored under the id plus its time (so re-importing it is a no-op too).
        alert_id = f"{alert_id}@{event_time:%Y%m%dT%H%M%S}"[:64]
        existing = _by_id(db, alert_id)
    if existing is not None:
        return AlertOutcome(alert=existing, duplicate=True, case_id=existing.case_id)

    if subject_type == "id_no":
        key, shown = ctx.protector.hash(subject.upper()), mask_id(subject.upper())
    else:
        key, shown = subject, subject
    now = utcnow()
    seen = event_time or now
    alert = Alert(
        alert_id=alert_id[:64], source=source, subject_type=subject_type, subject=shown[:64], subject_key=key[:64],
        detector=detector.strip()[:32] or source, score=score, severity=severity, event_time=event_time,
        reasons=redact(reasons)[:4000], evidence=json.dumps(evidence, ensure_ascii=False, default=str),
        received_at=now, raised_by=actor.username[:64], hits=1, last_seen=seen,
    )  # fmt: skip
    window = timedelta(hours=ctx.settings.alert_merge_hours)
    primary = db.execute(
        select(Alert).outerjoin(Case, Case.id == Alert.case_id)
        .where(Alert.subject_type == subject_type, Alert.subject_key == key, Alert.merged_into_id.is_(None),
               Alert.last_seen >= seen - window, Alert.last_seen <= seen + window,
               (Alert.case_id.is_(None)) | (Case.state.in_([s.value for s in ACTIVE_STATES])))
        .order_by(Alert.last_seen.desc()).limit(1)
    ).scalar_one_or_none()  # fmt: skip
    outcome = AlertOutcome(alert=alert)
    if primary is not None:
        alert.merged_into_id = primary.id
        alert.case_id = primary.case_id
        primary.hits += 1
        if score > primary.score:
            primary.score, primary.severity = score, severity
        if seen > aware(primary.last_seen):
            primary.last_seen = seen
        db.add(alert)
        db.flush()
        outcome.merged = True
        case = db.get(Case, primary.case_id) if primary.case_id else None
        if case is not None:
            case.max_score = max(case.max_score, score)
            if case_flows.SEVERITY_RANK[severity] > case_flows.SEVERITY_RANK.get(case.severity, 0):
                case.severity = severity
            case_flows.log(db, case=case, actor=actor, kind="alert.merged",
                           note=f"{source}/{alert.detector} 告警合并（共{primary.hits}次） score {score:.2f}")  # fmt: skip
    else:
        db.add(alert)
        db.flush()
        case = _group(db, ctx=ctx, alert=alert, evidence=evidence, actor=actor)
        alert.case_id = case.id
        case_flows.log(db, case=case, actor=actor, kind="alert.new",
                       note=f"{source}/{alert.detector} 告警 {display_subject(alert)} score {score:.2f}")  # fmt: skip
    outcome.case_id = alert.case_id
    audit.record(db, key=ctx.key, actor=actor, action="alert.raise", subject_type="alert", subject_id=alert.id,
                 detail={"alert_id": alert.alert_id, "source": source, "detector": alert.detector,
                         "score": score, "case_id": alert.case_id, "merged_into": alert.merged_into_id})  # fmt: skip
    if case is not None:
        outcome.orders = _auto_suspend(db, ctx=ctx, case=case, alert=alert, actor=actor)
    return outcome


def inbox(db: Session, *, limit: int = 200, source: str | None = None) -> list[Alert]:
    """Primary alerts, newest first (merged ones are counted in ``hits``)."""
    return search_inbox(db, flt=InboxFilter(source=source), limit=limit)


def _inbox_where(flt: InboxFilter) -> list:
    conds = [Alert.merged_into_id.is_(None)]
    for column, value in ((Alert.source, flt.source), (Alert.detector, flt.detector), (Alert.severity, flt.severity)):
        if value:
            conds.append(column == value)
    if flt.case == "with":
        conds.append(Alert.case_id.is_not(None))
    elif flt.case == "without":
        conds.append(Alert.case_id.is_(None))
    if flt.since is not None:
        conds.append(Alert.last_seen >= flt.since)
    if flt.until is not None:
        conds.append(Alert.last_seen < flt.until)
    return conds


def search_inbox(db: Session, *, flt: InboxFilter, limit: int = 50, offset: int = 0) -> list[Alert]:
    """One page of the filtered inbox: primary alerts, newest sighting first."""
    stmt = select(Alert).where(*_inbox_where(flt)).order_by(Alert.last_seen.desc(), Alert.id.desc())
    return list(db.execute(stmt.limit(limit).offset(offset)).scalars())


def count_inbox(db: Session, *, flt: InboxFilter) -> int:
    return db.execute(select(func.count()).select_from(Alert).where(*_inbox_where(flt))).scalar_one()


def inbox_detectors(db: Session) -> dict[str, int]:
    """Detector code → primary alerts, for the filter's choices (codes raised through the API included)."""
    rows = db.execute(select(Alert.detector, func.count()).where(Alert.merged_into_id.is_(None))
                      .group_by(Alert.detector)).all()  # fmt: skip
    return {d: n for d, n in rows}
