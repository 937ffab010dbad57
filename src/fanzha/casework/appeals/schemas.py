"""Appeal API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from fanzha.casework.types import Text


class AppealIn(BaseModel):
    msisdn: Text = Field(min_length=5, max_length=20, pattern=r"^\+?[0-9]+$")
    statement: Text = Field(min_length=2, max_length=2000, description="申诉理由 the owner's account")


class AppealOut(BaseModel):
    id: int
    msisdn: str  # masked
    status: str
    channel: str
    case_id: int | None
    due_at: datetime
