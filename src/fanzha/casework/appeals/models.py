"""Appeals, re-verification records and the labels their outcomes produce."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.db import Base


class Appeal(Base):
    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="filed", index=True)
    channel: Mapped[str] = mapped_column(String(8), comment="counter | api")
    shop_id: Mapped[str | None] = mapped_column(String(32), index=True, comment="counter where it was filed")
    statement: Mapped[str] = mapped_column(Text, comment="the owner's account, personal numbers masked")
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    filed_by: Mapped[str] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision_note: Mapped[str | None] = mapped_column(Text)
    measure_at_filing: Mapped[str | None] = mapped_column(String(12), comment="lines.status when filed")


class Reverification(Base):
    """二次实名核验: the person came with an ID; only whether its keyed hash matched the owner's is kept."""

    __tablename__ = "reverifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id"), index=True)
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    clerk: Mapped[str] = mapped_column(String(64))
    shop_id: Mapped[str | None] = mapped_column(String(32))
    person_present: Mapped[bool] = mapped_column(Boolean)
    id_masked: Mapped[str] = mapped_column(String(18))
    id_matches: Mapped[bool] = mapped_column(Boolean)
    purpose: Mapped[str] = mapped_column(String(200), comment="what the owner uses the line for (用途)")


class TrainingLabel(Base):
    """An outcome that training may learn from: a restricted line proved innocent, or confirmed."""

    __tablename__ = "training_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    outcome: Mapped[str] = mapped_column(String(16), comment="false_positive | confirmed")
    label: Mapped[str] = mapped_column(String(16), comment="data-contract label: normal, fraud_caller, simbox, …")
    since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(32), comment="appeal:N or case:N")
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
