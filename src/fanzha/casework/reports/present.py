"""Rows for pages and the API: numbers masked, content redacted, labels in Chinese, SLA state computed."""

from __future__ import annotations

from fanzha.analytics.reports_text.labels import CLASSES
from fanzha.casework.context import aware
from fanzha.casework.reports import service
from fanzha.casework.reports.enums import CHANNELS, INTAKES, STATUS_LABELS, ReportStatus
from fanzha.casework.reports.models import PublicReport
from fanzha.casework.reports.schemas import ReportOut
from fanzha.privacy import mask_msisdn, redact


def row(r: PublicReport) -> dict:
    return {
        "id": r.id, "report_id": r.report_id, "received_at": aware(r.received_at), "channel": CHANNELS.get(r.channel, r.channel),
        "number": mask_msisdn(r.reported_number), "kind": r.number_kind, "carrier": r.carrier, "own_line": r.own_line,
        "line_status": r.line_status, "reporter": mask_msisdn(r.reporter_number) if r.reporter_number else "",
        "category": r.category or "", "content": redact(r.content), "fraud_type": CLASSES.get(r.fraud_type, r.fraud_type),
        "fraud_code": r.fraud_type, "fraud_prob": r.fraud_prob, "terms": r.fraud_terms, "method": r.classified_by,
        "status": r.status, "status_label": STATUS_LABELS[ReportStatus(r.status)], "due_at": aware(r.due_at),
        "overdue": service.is_overdue(r), "pending": r.status == ReportStatus.PENDING.value,
        "checked_at": aware(r.checked_at), "checked_by": r.checked_by, "note": r.check_note or "",
        "repeats": r.repeats, "duplicate_of": r.duplicate_of_id, "alert_id": r.alert_id, "case_id": r.case_id,
        "intake": INTAKES.get(r.intake, r.intake), "intake_at": aware(r.intake_at),
    }  # fmt: skip


def out(r: PublicReport, *, outcome: str | None = None) -> ReportOut:
    return ReportOut(
        id=r.id, report_id=r.report_id, received_at=aware(r.received_at), channel=r.channel,
        reported_number=mask_msisdn(r.reported_number), number_kind=r.number_kind, carrier=r.carrier,
        own_line=r.own_line, reporter_number=mask_msisdn(r.reporter_number) if r.reporter_number else None,
        category=r.category, fraud_type=r.fraud_type, fraud_type_zh=CLASSES.get(r.fraud_type, r.fraud_type),
        fraud_prob=r.fraud_prob, classified_by=r.classified_by, status=r.status, due_at=aware(r.due_at),
        overdue=service.is_overdue(r), duplicate_of=r.duplicate_of_id, repeats=r.repeats, alert_id=r.alert_id,
        case_id=r.case_id, outcome=outcome,
    )  # fmt: skip
