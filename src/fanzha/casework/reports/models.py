"""Public reports (12321 举报). One row per report received; a repeat points at the first report.

The reported number is stored normalised (``fanzha.numbers``); ``own_line`` says whether it is a line in the
operator's registry at intake. The reporter's number is personal data: stored for call-backs and dedup, shown
masked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.db import Base


class PublicReport(Base):
    __tablename__ = "public_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[str] = mapped_column(String(64), unique=True, comment="external id; intake is idempotent on it")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True, comment="when 12321 received it")
    channel: Mapped[str] = mapped_column(String(8), comment="sms | call | web | app")
    reported_number: Mapped[str] = mapped_column(String(20), index=True, comment="normalised")
    number_kind: Mapped[str] = mapped_column(String(16), comment="mobile | fixed | iot | international | service")
    carrier: Mapped[str | None] = mapped_column(String(16), comment="中国电信 … (by number block)")
    reporter_number: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(32), comment="the reporter's category, as given")
    content: Mapped[str] = mapped_column(Text, default="")
    fraud_type: Mapped[str] = mapped_column(String(32), comment="reports_text class code")
    fraud_prob: Mapped[float] = mapped_column(Float, comment="probability of fraud_type")
    fraud_terms: Mapped[str] = mapped_column(String(200), default="", comment="indicative terms, space-separated")
    classified_by: Mapped[str] = mapped_column(String(8), comment="model | keywords")
    own_line: Mapped[bool] = mapped_column(Boolean, comment="the number is a line in the registry")
    line_status: Mapped[str | None] = mapped_column(String(12), comment="the line's status at intake")
    status: Mapped[str] = mapped_column(String(12), index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("public_reports.id"), index=True)
    repeats: Mapped[int] = mapped_column(Integer, default=1, comment="reports merged into this one, itself included")
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), comment="check SLA: received_at + report_sla_hours")
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_by: Mapped[str | None] = mapped_column(String(64))
    check_note: Mapped[str | None] = mapped_column(Text)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    intake: Mapped[str] = mapped_column(String(8), comment="api | import")
    intake_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    intake_by: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_public_reports_pair", "reported_number", "reporter_number", "received_at"),)
