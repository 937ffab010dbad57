"""Counts of 12321 reports for the dashboard and reports: ``report_stats(db, since, until)``.

The window is on ``received_at``: ``since`` inclusive, ``until`` exclusive, either may be None (open);
naive datetimes are China Standard Time. Returns plain dicts and ints (JSON-able).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanzha.casework.context import aware, input_time, utcnow
from fanzha.casework.reports.enums import ReportStatus
from fanzha.casework.reports.models import PublicReport


def window(stmt, column, since: datetime | None, until: datetime | None):
    if since is not None:
        stmt = stmt.where(column >= input_time(since))
    if until is not None:
        stmt = stmt.where(column < input_time(until))
    return stmt


def report_stats(db: Session, since: datetime | None = None, until: datetime | None = None) -> dict:
    """received (every report), first_reports, repeats, numbers (distinct reported numbers), own_line (first
    reports on own lines), alerts, pending, overdue (pending past due now), checked, checked_in_sla,
    by_fraud_type / by_status / by_channel (first reports)."""
    cols = (PublicReport.reported_number, PublicReport.own_line, PublicReport.status, PublicReport.fraud_type,
            PublicReport.channel, PublicReport.due_at, PublicReport.checked_at, PublicReport.alert_id,
            PublicReport.duplicate_of_id)  # fmt: skip
    rows = db.execute(window(select(*cols), PublicReport.received_at, since, until)).all()
    now = utcnow()
    first = [r for r in rows if r.duplicate_of_id is None]
    checked = [r for r in first if r.checked_at is not None]
    pending = [r for r in first if r.status == ReportStatus.PENDING.value]
    return {
        "received": len(rows),
        "first_reports": len(first),
        "repeats": len(rows) - len(first),
        "numbers": len({r.reported_number for r in rows}),
        "own_line": sum(r.own_line for r in first),
        "alerts": sum(r.alert_id is not None for r in first),
        "pending": len(pending),
        "overdue": sum(aware(r.due_at) < now for r in pending),
        "checked": len(checked),
        "checked_in_sla": sum(aware(r.checked_at) <= aware(r.due_at) for r in checked),
        "by_fraud_type": dict(Counter(r.fraud_type for r in first).most_common()),
        "by_status": dict(Counter(r.status for r in first).most_common()),
        "by_channel": dict(Counter(r.channel for r in first).most_common()),
    }
