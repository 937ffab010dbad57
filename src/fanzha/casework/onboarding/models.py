"""Tables of the counter gate: one row per check, its checklist steps, the signed notice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fanzha.db import Base

BigId = BigInteger().with_variant(Integer(), "sqlite")


class OnboardingCheck(Base):
    __tablename__ = "onboarding_checks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    shop_id: Mapped[str | None] = mapped_column(String(32))
    clerk: Mapped[str] = mapped_column(String(64), comment="username of the clerk (= registry clerk_id)")
    person_hash: Mapped[str] = mapped_column(String(64), comment="keyed hash of the ID number")
    id_masked: Mapped[str] = mapped_column(String(18))
    name_masked: Mapped[str | None] = mapped_column(String(64))
    name_enc: Mapped[str | None] = mapped_column(Text, comment="encrypted name, printed on the signed notice")
    age: Mapped[int | None] = mapped_column(Integer)
    division_code: Mapped[str | None] = mapped_column(String(6))
    requested: Mapped[str] = mapped_column(Text, comment='JSON {"mobile": 1, ...}')
    requested_total: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str | None] = mapped_column(Text, comment="stated purpose, ID/phone numbers masked")
    decision: Mapped[str] = mapped_column(String(12))
    reasons: Mapped[str] = mapped_column(Text, comment="JSON list of findings")
    status: Mapped[str] = mapped_column(String(16))
    checklist: Mapped[str] = mapped_column(String(32), comment="checklist name in force at the check")
    reviewer: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_note: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    steps: Mapped[list[OnboardingStep]] = relationship(back_populates="check", order_by="OnboardingStep.position")

    __table_args__ = (
        Index("ix_onboarding_checks_person_time", "person_hash", "created_at"),
        Index("ix_onboarding_checks_shop_time", "shop_id", "created_at"),
        Index("ix_onboarding_checks_clerk_time", "clerk", "created_at"),
        Index("ix_onboarding_checks_status", "status"),
    )


class OnboardingStep(Base):
    __tablename__ = "onboarding_steps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("onboarding_checks.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(64))
    done_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)

    check: Mapped[OnboardingCheck] = relationship(back_populates="steps")


class OnboardingNotice(Base):
    """The signed anti-fraud notice (反诈承诺书) as delivered: the PDF bytes and their digest."""

    __tablename__ = "onboarding_notices"

    check_id: Mapped[int] = mapped_column(ForeignKey("onboarding_checks.id"), primary_key=True)
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
