"""Alerts. A *primary* alert (``merged_into_id`` is NULL) stands for its subject in the inbox; later alerts
on the same subject within the merge window point to it and raise its ``hits``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.db import Base


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(64), unique=True, comment="external id; import is idempotent on it")
    source: Mapped[str] = mapped_column(String(16), comment="detector | monitor | report | police")
    subject_type: Mapped[str] = mapped_column(String(8), comment="msisdn | imei | cell | id_no")
    # id_no subjects are stored masked, with the keyed hash in subject_key; other subjects as given.
    subject: Mapped[str] = mapped_column(String(64))
    subject_key: Mapped[str] = mapped_column(String(64), comment="what merging matches on")
    detector: Mapped[str] = mapped_column(String(32), comment="detector name or report/police category")
    score: Mapped[float] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(String(8))
    event_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reasons: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="{}", comment="JSON")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    raised_by: Mapped[str] = mapped_column(String(64))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))
    hits: Mapped[int] = mapped_column(Integer, default=1, comment="alerts merged into this one, itself included")
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)

    __table_args__ = (
        Index("ix_alerts_subject", "subject_type", "subject_key", "last_seen"),
        # The inbox (primary alerts only): its pages walk the newest first, its filter lists the detectors.
        Index("ix_alerts_inbox", "last_seen", "id", postgresql_where=text("merged_into_id IS NULL"),
              sqlite_where=text("merged_into_id IS NULL")),
        Index("ix_alerts_inbox_detector", "detector", "severity", postgresql_where=text("merged_into_id IS NULL"),
              sqlite_where=text("merged_into_id IS NULL")),
        # The merged ones, by the alert they joined (a full index here drew SQLite's planner away from the above).
        Index("ix_alerts_merged_into_id", "merged_into_id", postgresql_where=text("merged_into_id IS NOT NULL"),
              sqlite_where=text("merged_into_id IS NOT NULL")),
    )
