"""One row per long job. Progress is written by the worker in short transactions of its own."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fanzha.db import Base


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), comment="e.g. kpi_report")
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(12), default="queued", index=True,
                                       comment="queued | running | done | failed")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer, comment="NULL while unknown")
    message: Mapped[str | None] = mapped_column(String(200), comment="what the job is doing now (zh-CN)")
    params: Mapped[str] = mapped_column(Text, default="{}", comment="JSON, no personal data")
    created_by: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                          comment="last progress write; stale = worker gone")
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result_path: Mapped[str | None] = mapped_column(Text, comment="file under FANZHA_HOME, written atomically")
    result_name: Mapped[str | None] = mapped_column(String(200), comment="download file name")
    error: Mapped[str | None] = mapped_column(Text)
