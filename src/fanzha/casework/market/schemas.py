"""Tip and warning shapes for the API (contract fields in; reporter contact masked out)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from fanzha.casework.types import Text

Category = Literal["health_claims", "fake_promotion", "counterfeit", "pyramid_selling", "other_elderly_harm"]
Channel = Literal["12345", "12315", "email", "on_site", "web"]


class TipIn(BaseModel):
    tip_id: Text | None = Field(default=None, max_length=64, description="your id; omitted: a receipt number is issued")
    received_at: datetime | None = Field(default=None, description="ISO 8601; omitted: now; no offset: China Standard Time")
    channel: Channel
    category: Category
    subject_name: Text | None = Field(default=None, max_length=200)
    phone_numbers: Text | None = Field(default=None, max_length=400, description="space separated")
    content: Text = Field(min_length=1, max_length=5000)
    reporter_contact: Text | None = Field(default=None, max_length=200)


class TipNumberOut(BaseModel):
    msisdn: str  # masked
    own_line: bool
    alerts: int
    case_id: int | None


class TipOut(BaseModel):
    id: int
    tip_id: str
    received_at: datetime
    channel: str
    category: str
    subject_name: str | None
    status: str
    assignee: str | None
    reporter_contact: str | None  # masked
    numbers: list[TipNumberOut] = []
    created: bool | None = None  # intake only


class TriageIn(BaseModel):
    status: Literal["assigned", "investigating", "referred", "closed", "rejected"] | None = None
    assignee: Text | None = Field(default=None, max_length=64)
    note: Text = Field(default="", max_length=4000)
