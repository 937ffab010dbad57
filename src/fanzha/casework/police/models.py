"""Police desk tables: query requests (协查请求) and clue batches (线索批次) with their lines, files, feedback.

The subject of a query (a number or an ID number) is kept like the registry keeps personal data: a keyed
hash for matching, a Fernet token for the approved clear view, a masked form for lists.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.db import Base


class PoliceQuery(Base):
    __tablename__ = "police_queries"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(8), comment="msisdn | id_no")
    subject_hash: Mapped[str] = mapped_column(String(64), index=True, comment="keyed hash of the subject")
    subject_enc: Mapped[str] = mapped_column(Text, comment="Fernet token of the subject")
    subject_masked: Mapped[str] = mapped_column(String(20))
    case_no: Mapped[str] = mapped_column(String(64), index=True, comment="警情/案件编号")
    legal_basis: Mapped[str] = mapped_column(String(300), comment="依据")
    purpose: Mapped[str] = mapped_column(Text, comment="redacted: numbers and IDs masked")
    scopes_requested: Mapped[str] = mapped_column(String(100), comment="comma-separated Scope values")
    clear_requested: Mapped[bool] = mapped_column(Boolean, default=False, comment="asked for unmasked data")
    status: Mapped[str] = mapped_column(String(12), index=True)
    requested_by: Mapped[str] = mapped_column(String(64), index=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(Text, comment="reason of approval or refusal")
    scopes_granted: Mapped[str | None] = mapped_column(String(100), comment="subset of the requested scopes")
    clear_granted: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), comment="results shown until then")
    views: Mapped[int] = mapped_column(Integer, default=0, comment="times the result was shown (each audited)")


class ClueBatch(Base):
    __tablename__ = "clue_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_no: Mapped[str] = mapped_column(String(20), unique=True, comment="XS-YYYY-NNNN")
    title: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str] = mapped_column(String(100), comment="接收单位")
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    exported_by: Mapped[str | None] = mapped_column(String(64))
    exported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64), comment="SHA-256 of manifest.json")
    folder: Mapped[str | None] = mapped_column(String(300), comment="where the package lives, relative to home")


class ClueBatchLine(Base):
    """One line handed over, with its evidence frozen when the batch was assembled."""

    __tablename__ = "clue_batch_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("clue_batches.id"), index=True)
    msisdn: Mapped[str] = mapped_column(String(20), index=True)
    source_kind: Mapped[str] = mapped_column(String(8), comment="case | simbank | line")
    source_ref: Mapped[str] = mapped_column(String(64), comment="case id, simbox alert id, or empty")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    evidence: Mapped[str] = mapped_column(Text, default="{}", comment="JSON snapshot: line, owner (masked), alerts")

    __table_args__ = (UniqueConstraint("batch_id", "msisdn", name="uq_clue_batch_lines_batch_msisdn"),)


class ClueBatchFile(Base):
    __tablename__ = "clue_batch_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("clue_batches.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    bytes: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("batch_id", "name", name="uq_clue_batch_files_batch_name"),)


class ClueFeedback(Base):
    """The police's feedback on a batch (战果反馈); a batch may get several (they add up)."""

    __tablename__ = "clue_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("clue_batches.id"), index=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    arrests: Mapped[int] = mapped_column(Integer, default=0, comment="抓获人数")
    devices_seized: Mapped[int] = mapped_column(Integer, default=0, comment="缴获设备（猫池/GOIP 等）")
    cards_seized: Mapped[int] = mapped_column(Integer, default=0, comment="缴获电话卡")
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_clue_feedback_recorded_at", "recorded_at"),)
