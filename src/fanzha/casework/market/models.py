"""Market-regulation tips, the phone numbers they name, their triage timeline, and consumer warnings.

The reporter's contact is personal data: kept encrypted (Fernet) with a masked copy for lists.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.db import Base


class MarketTip(Base):
    __tablename__ = "market_tips"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[str] = mapped_column(String(64), unique=True, comment="external id or receipt number (回执编号)")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    channel: Mapped[str] = mapped_column(String(8), index=True, comment="12345 | 12315 | email | on_site | web")
    category: Mapped[str] = mapped_column(String(24), index=True, comment="enums.CATEGORIES")
    subject_name: Mapped[str | None] = mapped_column(String(200), comment="business or person the tip is about")
    content: Mapped[str] = mapped_column(Text)
    contact_enc: Mapped[str | None] = mapped_column(Text, comment="Fernet-encrypted reporter contact")
    contact_masked: Mapped[str | None] = mapped_column(String(64))
    intake: Mapped[str] = mapped_column(String(8), comment="public | officer | import | api")
    intake_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    intake_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)


class TipNumber(Base):
    """A phone number named in a tip, normalised, with its link to the registry and the alert it raised."""

    __tablename__ = "market_tip_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("market_tips.id", ondelete="CASCADE"), index=True)
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    own_line: Mapped[bool] = mapped_column(Boolean)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))


class TipEvent(Base):
    """The tip's timeline: intake, status changes, assignments, notes."""

    __tablename__ = "market_tip_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("market_tips.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), comment="intake | status | assign | note")
    note: Mapped[str] = mapped_column(Text, default="")


class ConsumerWarning(Base):
    """消费警示: written by an officer, visible to the public once published."""

    __tablename__ = "consumer_warnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(24), comment="enums.CATEGORIES, optional")
    status: Mapped[str] = mapped_column(String(12), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    published_by: Mapped[str | None] = mapped_column(String(64))
    views: Mapped[int] = mapped_column(Integer, default=0)
