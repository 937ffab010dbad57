"""Cases, the lines and grouping keys they cover, and their timeline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.db import Base


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    state_since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), comment="SLA deadline of the state")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    max_score: Mapped[float] = mapped_column(Float, default=0.0)
    severity: Mapped[str] = mapped_column(String(8), default="low")
    proposed_measure: Mapped[str | None] = mapped_column(String(20))
    needs_l3: Mapped[bool] = mapped_column(Boolean, default=False)
    l3_reasons: Mapped[str | None] = mapped_column(Text)
    auto_measure: Mapped[bool] = mapped_column(Boolean, default=False, comment="lines suspended before review")
    l1_by: Mapped[str | None] = mapped_column(String(64))
    l2_by: Mapped[str | None] = mapped_column(String(64))
    l3_by: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(16), comment="confirmed | false_positive")


class CaseLine(Base):
    __tablename__ = "case_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    relation: Mapped[str] = mapped_column(String(16), comment="subject | same_owner | same_device | ring")

    __table_args__ = (UniqueConstraint("case_id", "msisdn", name="uq_case_lines_case_msisdn"),)


class CaseKey(Base):
    """What ties alerts together: the owner (person id), a device (IMEI), a ring/group named in evidence."""

    __tablename__ = "case_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("case_id", "kind", "value", name="uq_case_keys_case_kind_value"),
        Index("ix_case_keys_kind_value", "kind", "value"),
    )


class CaseEvent(Base):
    """The case timeline (时间线). Every transition is also an audit event; this is the readable history."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
