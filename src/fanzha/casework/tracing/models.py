"""Trace runs (what was asked, what was found) and the traceability reports generated from them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.db import Base


class TraceRun(Base):
    """One expansion as the analyst saw it: the report and the case are made from this, not from a re-run."""

    __tablename__ = "trace_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    seeds_masked: Mapped[str] = mapped_column(Text, comment="JSON list of the seeds as shown (masked)")
    params: Mapped[str] = mapped_column(Text, comment="JSON: edge types, time range, hops, top")
    result: Mapped[str] = mapped_column(Text, comment="JSON: ranked lines with reasons, drawn subgraph, graph info")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)


class TraceReport(Base):
    """A traceability report (溯源报告): generated in the background; HTML and PDF stored once complete."""

    __tablename__ = "trace_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("trace_runs.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued", comment="queued | running | done | failed")
    progress: Mapped[int] = mapped_column(Integer, default=0, comment="percent")
    step: Mapped[str | None] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    html: Mapped[str | None] = mapped_column(Text)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    sha256: Mapped[str | None] = mapped_column(String(64), comment="digest of the PDF")
    error: Mapped[str | None] = mapped_column(Text)
