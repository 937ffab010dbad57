"""Measure orders: one row per (line, measure, origin); ``order_key`` is what the BSS de-duplicates on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.db import Base


class MeasureOrder(Base):
    __tablename__ = "measure_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_key: Mapped[str] = mapped_column(String(64), unique=True, comment="idempotency key sent to the BSS")
    # No FK to lines: an order for a number not (yet) in the registry is still a valid instruction.
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    measure: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    source: Mapped[str] = mapped_column(String(32), comment="auto | review | appeal | onboarding | police | …")
    origin: Mapped[str] = mapped_column(String(64), comment="what asked for it, e.g. case:12, appeal:3")
    reason: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("appeals.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    adapter: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    external_ref: Mapped[str | None] = mapped_column(String(128), comment="the BSS's own id for the order")

    __table_args__ = (Index("ix_measure_orders_due", "status", "next_attempt_at"),)


class LineClass(Base):
    """Enterprise and government lines (政企号码): measures on them need L3. Absent row = personal line."""

    __tablename__ = "line_classes"

    msisdn: Mapped[str] = mapped_column(String(20), primary_key=True)
    account_class: Mapped[str] = mapped_column(String(16), comment="enterprise | government")
    note: Mapped[str | None] = mapped_column(String(200))
