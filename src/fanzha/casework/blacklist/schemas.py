"""API shapes of the blacklist."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from fanzha.casework.types import Text


class ManualEntryRequest(BaseModel):
    id_no: Text = Field(min_length=1, max_length=32)
    name: Text = Field(min_length=1, max_length=32)
    case_no: Text = Field(min_length=1, max_length=64)
    decided_on: date
    ban_years: int = Field(default=5, ge=1, le=20)
    keep_msisdn: Text | None = Field(default=None, max_length=20)
    reason: Text = Field(min_length=2, max_length=500)


class DecideRequest(BaseModel):
    approve: bool
    note: Text = Field(default="", max_length=500)


class EntryOut(BaseModel):
    id: int
    id_masked: str
    name_masked: str | None
    case_no: str
    decided_on: date
    ban_years: int
    expires_on: date
    keep_msisdn: str | None  # masked
    source: str
    status: str
    status_label: str
    requested_by: str
    decided_by: str | None
    created_at: datetime


class ImportSummary(BaseModel):
    rows: int
    added: int
    already_present: int
    expired_on_arrival: int
    quarantined: int
    reasons: dict[str, int]
    measures_proposed: int
    quarantine_file: str | None = None
    ignored_columns: list[str] = []  # header names the contract does not know
