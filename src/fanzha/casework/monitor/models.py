"""Monitoring tables: files taken in, alerts raised (dedup across restarts), victim warnings, opt-outs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.db import Base


class MonitorFile(Base):
    """One call-record file (or HTTP batch) the monitor took in, and how long it took to reach the alerts."""

    __tablename__ = "monitor_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True, comment="inbox file name (unique per arrival)")
    kind: Mapped[str] = mapped_column(String(8), comment="cdr | sms")
    origin: Mapped[str] = mapped_column(String(8), default="drop", comment="drop | http")
    status: Mapped[str] = mapped_column(String(12), default="received", index=True,
                                        comment="received | applied | scored | rejected")
    arrived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    lag_s: Mapped[float | None] = mapped_column(Float, comment="arrival → its alerts in the database, seconds")
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_stored: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    rows_late: Mapped[int] = mapped_column(Integer, default=0, comment="stored, but older than the lateness bound")
    alerts: Mapped[int] = mapped_column(Integer, default=0, comment="alerts raised by the scoring pass that took it")
    report: Mapped[str | None] = mapped_column(Text, comment="why a file was moved aside")


class MonitorAlert(Base):
    """The last alert the monitor raised per (detector, subject): a restart re-scoring the same records
    finds it here and raises nothing twice. Written in the same transaction as the alert."""

    __tablename__ = "monitor_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    detector: Mapped[str] = mapped_column(String(32))
    subject_type: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(64))
    alert_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    event_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    __table_args__ = (UniqueConstraint("detector", "subject_type", "subject", name="uq_monitor_alerts_subject"),)


class VictimWarning(Base):
    """One of the operator's own subscribers reached by a fraud line, to be warned (SMS / outbound call)."""

    __tablename__ = "victim_warnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(20), index=True, comment="the subscriber to warn")
    fraud_msisdn: Mapped[str] = mapped_column(String(20), comment="the alerted line that reached them")
    detector: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer, comment="0 first: elderly and students, then by call length")
    group: Mapped[str] = mapped_column(String(12), comment="elderly | student | other")
    calls: Mapped[int] = mapped_column(Integer, default=0)
    longest_call_s: Mapped[int] = mapped_column(Integer, default=0)
    last_contact: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True, comment="pending | handed")
    channel: Mapped[str | None] = mapped_column(String(32), comment="adapter that took it")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    handed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("msisdn", "fraud_msisdn", name="uq_victim_warnings_pair"),
        Index("ix_victim_warnings_due", "status", "priority"),
    )


class WarningOptOut(Base):
    """A subscriber who asked not to receive fraud warnings (回复TD退订 or at the counter)."""

    __tablename__ = "warning_optouts"

    msisdn: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    via: Mapped[str] = mapped_column(String(32), default="sms")
