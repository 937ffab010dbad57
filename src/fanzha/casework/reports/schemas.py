"""Report shapes: what the API accepts (the contract's columns) and what it shows (numbers masked)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from fanzha.casework.types import Text


class ReportIn(BaseModel):
    report_id: Text = Field(min_length=1, max_length=64, description="the 12321 id; resending it is a no-op")
    received_at: datetime = Field(description="ISO 8601; without offset: China Standard Time")
    channel: Literal["sms", "call", "web", "app"]
    reported_number: Text = Field(min_length=3, max_length=32)
    reporter_number: Text | None = Field(default=None, max_length=32)
    category: Text | None = Field(default=None, max_length=32)
    content: Text = Field(default="", max_length=5000)


class CheckIn(BaseModel):
    status: Literal["confirmed", "unfounded", "forwarded"]
    note: Text = Field(default="", max_length=2000)


class ReportOut(BaseModel):
    id: int
    report_id: str
    received_at: datetime
    channel: str
    reported_number: str  # masked
    number_kind: str
    carrier: str | None
    own_line: bool
    reporter_number: str | None  # masked
    category: str | None
    fraud_type: str
    fraud_type_zh: str
    fraud_prob: float
    classified_by: str
    status: str
    due_at: datetime
    overdue: bool
    duplicate_of: int | None
    repeats: int
    alert_id: int | None
    case_id: int | None
    outcome: str | None = None  # intake only: added | repeat | known
