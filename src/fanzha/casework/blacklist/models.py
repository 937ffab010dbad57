"""Blacklist entries. The ID number is held as the registry holds it: keyed hash + masked form (+ encrypted)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.db import Base

BigId = BigInteger().with_variant(Integer(), "sqlite")


class BlacklistEntry(Base):
    __tablename__ = "blacklist_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_hash: Mapped[str] = mapped_column(String(64))
    id_enc: Mapped[str] = mapped_column(Text)
    id_masked: Mapped[str] = mapped_column(String(18))
    name_masked: Mapped[str | None] = mapped_column(String(64))
    case_no: Mapped[str] = mapped_column(String(64))
    decided_on: Mapped[date] = mapped_column(Date)
    ban_years: Mapped[int] = mapped_column(Integer)
    expires_on: Mapped[date] = mapped_column(Date, comment="first day the person may open lines again")
    keep_msisdn: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        # The counter check's lookup (person, active, not yet expired) as one index range, whatever the statistics.
        Index("ix_blacklist_entries_person_status", "person_hash", "status", "expires_on"),
        Index("ix_blacklist_entries_status_expires", "status", "expires_on"),
        Index("ix_blacklist_entries_case", "case_no", "person_hash"),
    )
