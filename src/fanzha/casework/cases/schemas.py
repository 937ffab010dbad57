"""API shapes of cases (masked)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class CaseLineOut(BaseModel):
    msisdn: str  # masked
    relation: str
    status: str | None


class CaseOut(BaseModel):
    id: int
    title: str
    state: str
    severity: str
    max_score: float
    proposed_measure: str | None
    needs_l3: bool
    due_at: datetime | None
    overdue: bool
    lines: list[CaseLineOut]
