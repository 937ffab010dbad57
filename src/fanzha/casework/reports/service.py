"""12321 report intake and checking. Services take keyword-only arguments and run in the caller's transaction.

Intake of one report (API or a file row), in order:
1. the same ``report_id`` again is a no-op (``known``): re-importing a file never doubles anything;
2. the reported number is normalised with ``fanzha.numbers`` and looked up in the registry (own line?);
3. a report of the same number by the same reporter, or with the same text, within ``report_dedup_hours``
   is a *repeat*: stored, pointing at the first report, which counts it (``repeats``); it is not queued;
4. the text is classified by fraud type (``analytics.reports_text``: the trained model when
   ``FANZHA_REPORT_MODEL_DIR`` names one, else its keyword rules);
5. a first report on the operator's own line raises an alert (``alerts.service.raise_alert``,
   source ``report``), which opens or joins a case in the review queues;
6. the report waits in the queue with its SLA: checked within ``report_sla_hours`` of receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from fanzha.casework.alerts.service import raise_alert
from fanzha.casework.audit import service as audit
from fanzha.casework.auth.principal import Principal
from fanzha.casework.bulk_intake import RowError, parse_phone, parse_time
from fanzha.casework.context import WorkContext, aware, utcnow
from fanzha.casework.registry.models import Line
from fanzha.casework.transitions import next_state
from fanzha.casework.reports.enums import CHANNELS, STATUS_LABELS, TRANSITIONS, ReportStatus
from fanzha.casework.reports.models import PublicReport

COLUMNS = ("report_id", "received_at", "channel", "reported_number", "reporter_number", "category", "content")
REQUIRED = ("report_id", "received_at", "channel", "reported_number")


class ReportError(ValueError):
    """A state change that is not allowed (the message says why, in Chinese and English)."""


@dataclass(frozen=True)
class ReportData:
    """One validated report, as the contract defines it (times in UTC)."""

    report_id: str
    received_at: datetime
    channel: str
    reported_number: str
    number_kind: str
    carrier: str | None
    reporter_number: str | None
    category: str | None
    content: str


@dataclass
class IntakeOutcome:
    report: PublicReport
    outcome: str  # added | repeat | known
    alert_raised: bool = False


def validate(row: dict) -> ReportData:
    """A contract row (strings or None) → ReportData, or RowError naming the column."""
    report_id = (row.get("report_id") or "").strip()
    if not report_id:
        raise RowError("report_id: missing")
    if len(report_id) > 64:
        raise RowError("report_id: longer than 64 characters")
    received = parse_time(row.get("received_at"), "received_at")
    channel = (row.get("channel") or "").strip().lower()
    if channel not in CHANNELS:
        raise RowError(f"channel: must be one of {', '.join(CHANNELS)}, got {channel[:20]!r}")
    raw = (row.get("reported_number") or "").strip()
    if not raw:
        raise RowError("reported_number: missing")
    number = parse_phone(raw, "reported_number")
    reporter = (row.get("reporter_number") or "").strip()
    reporter_norm = parse_phone(reporter, "reporter_number").number if reporter else None
    category = (row.get("category") or "").strip() or None
    if category and len(category) > 32:
        raise RowError("category: longer than 32 characters")
    content = (row.get("content") or "").strip()
    if len(content) > 5000:
        raise RowError("content: longer than 5000 characters")
    return ReportData(report_id=report_id, received_at=received, channel=channel, reported_number=number.number,
                      number_kind=number.kind, carrier=number.carrier_zh, reporter_number=reporter_norm,
                      category=category, content=content)  # fmt: skip


@lru_cache(maxsize=4)
def _classifier(model_dir: str | None):
    from fanzha.analytics.reports_text import KeywordClassifier, load_classifier

    return load_classifier(Path(model_dir)) if model_dir else KeywordClassifier()


def classifier_for(ctx: WorkContext):
    """The trained model named by FANZHA_REPORT_MODEL_DIR (loaded once per process), else keyword rules."""
    model_dir = ctx.settings.report_model_dir
    return _classifier(str(model_dir) if model_dir else None)


def _first_report(db: Session, *, data: ReportData, window: timedelta) -> PublicReport | None:
    same_source = [PublicReport.content == data.content] if data.content else []
    if data.reporter_number:
        same_source.append(PublicReport.reporter_number == data.reporter_number)
    if not same_source:
        return None
    return db.execute(
        select(PublicReport)
        .where(PublicReport.reported_number == data.reported_number, PublicReport.duplicate_of_id.is_(None),
               PublicReport.received_at >= data.received_at - window,
               PublicReport.received_at <= data.received_at + window, or_(*same_source))
        .order_by(PublicReport.received_at).limit(1)
    ).scalar_one_or_none()  # fmt: skip


def alert_score(probabilities: dict[str, float]) -> float:
    """0.5 for any report on an own line, up to 0.9 as the text reads more like fraud: a report alone never
    reaches the auto-suspension threshold; a person checks it first."""
    return round(0.5 + 0.4 * (1.0 - probabilities.get("normal", 0.0)), 3)


def intake(db: Session, *, ctx: WorkContext, data: ReportData, via: str, actor: Principal) -> IntakeOutcome:
    """Store one report (see the module docstring). ``via``: api | import."""
    existing = db.execute(select(PublicReport).where(PublicReport.report_id == data.report_id)).scalar_one_or_none()
    if existing is not None:
        return IntakeOutcome(report=existing, outcome="known")
    line = db.get(Line, data.reported_number)
    pred = classifier_for(ctx).predict([data.content])[0]
    first = _first_report(db, data=data, window=timedelta(hours=ctx.settings.report_dedup_hours))
    now = utcnow()
    report = PublicReport(
        report_id=data.report_id, received_at=data.received_at, channel=data.channel,
        reported_number=data.reported_number, number_kind=data.number_kind, carrier=data.carrier,
        reporter_number=data.reporter_number, category=data.category, content=data.content,
        fraud_type=pred.label, fraud_prob=round(pred.probabilities.get(pred.label, 0.0), 4),
        fraud_terms=" ".join(pred.terms)[:200], classified_by=pred.method, own_line=line is not None,
        line_status=line.status if line is not None else None,
        status=(ReportStatus.DUPLICATE if first else ReportStatus.PENDING).value,
        duplicate_of_id=first.id if first else None, repeats=1,
        due_at=data.received_at + timedelta(hours=ctx.settings.report_sla_hours),
        intake=via, intake_at=now, intake_by=actor.username[:64],
    )  # fmt: skip
    db.add(report)
    db.flush()
    out = IntakeOutcome(report=report, outcome="repeat" if first else "added")
    if first is not None:
        first.repeats += 1
    elif line is not None:
        label = pred.label_zh if pred.label != "normal" else "未识别诈骗类型"
        alert = raise_alert(
            db, source="report", subject_type="msisdn", subject=data.reported_number,
            detector=f"report_{pred.label}"[:32], score=alert_score(pred.probabilities),
            reasons=f"12321举报（{data.category or CHANNELS[data.channel]}）：{label}"
                    + (f"；关键词 {'、'.join(pred.terms)}" if pred.terms else ""),
            evidence={"report_id": data.report_id, "channel": data.channel, "category": data.category,
                      "fraud_type": pred.label, "classified_by": pred.method},
            event_time=data.received_at, actor=actor, alert_id=f"report-{data.report_id}"[:64],
            settings=ctx.settings,
        )  # fmt: skip
        report.alert_id, report.case_id = alert.alert.id, alert.case_id
        out.alert_raised = not alert.duplicate
    audit.record(db, key=ctx.key, actor=actor, action="report.intake", subject_type="public_report",
                 subject_id=report.id, detail={"report_id": data.report_id, "outcome": out.outcome, "via": via,
                                               "own_line": report.own_line, "fraud_type": pred.label,
                                               "alert_id": report.alert_id})  # fmt: skip
    return out


def check(db: Session, *, ctx: WorkContext, report_id: int, status: str, note: str, actor: Principal) -> PublicReport:
    """Record the check's result (核查结果); only a pending report can be checked, once."""
    report = db.get(PublicReport, report_id)
    if report is None:
        raise ReportError("举报不存在 report not found")
    target = next_state(ReportStatus, TRANSITIONS, STATUS_LABELS, current=report.status, target=status, noun="举报",
                        error=ReportError)  # fmt: skip
    now = utcnow()
    report.status, report.checked_at, report.checked_by = target.value, now, actor.username[:64]
    report.check_note = note.strip()[:2000] or None
    audit.record(db, key=ctx.key, actor=actor, action="report.check", subject_type="public_report",
                 subject_id=report.id, detail={"status": target.value, "late": now > aware(report.due_at)})  # fmt: skip
    return report


def is_overdue(report: PublicReport, *, now: datetime | None = None) -> bool:
    """Pending past its due time, or checked after it."""
    due = aware(report.due_at)
    if report.status == ReportStatus.PENDING.value:
        return (now or utcnow()) > due
    return report.checked_at is not None and aware(report.checked_at) > due


def queue(db: Session, *, status: str | None = ReportStatus.PENDING.value, limit: int = 300) -> list[PublicReport]:
    """Reports by due time (most urgent first); ``status=None``: every first report, newest first."""
    stmt = select(PublicReport).where(PublicReport.duplicate_of_id.is_(None))
    if status:
        stmt = stmt.where(PublicReport.status == status).order_by(PublicReport.due_at, PublicReport.id)
    else:
        stmt = stmt.order_by(PublicReport.received_at.desc(), PublicReport.id.desc())
    return list(db.execute(stmt.limit(limit)).scalars())


def get(db: Session, *, report_id: int) -> PublicReport | None:
    return db.get(PublicReport, report_id)


def repeats_of(db: Session, *, report_id: int) -> list[PublicReport]:
    return list(db.execute(select(PublicReport).where(PublicReport.duplicate_of_id == report_id)
                           .order_by(PublicReport.received_at)).scalars())  # fmt: skip


def reports_on_number(db: Session, *, msisdn: str) -> int:
    return db.execute(select(func.count()).where(PublicReport.reported_number == msisdn)).scalar_one()
