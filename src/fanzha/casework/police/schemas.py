"""API shapes of the police desk."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from fanzha.casework.police.enums import Scope, SubjectType
from fanzha.casework.types import Text

# Ids in bodies: bounded, so a huge number is a 422 rather than a driver overflow.
RowRef = Annotated[int, Field(ge=1, le=2_147_483_647)]


class QueryRequest(BaseModel):
    subject_type: SubjectType
    subject: Text = Field(min_length=1, max_length=32, description="phone number or 18-character resident ID")
    case_no: Text = Field(min_length=4, max_length=64, description="警情/案件编号")
    legal_basis: Text = Field(min_length=4, max_length=300, description="依据")
    purpose: Text = Field(min_length=4, max_length=500)
    scopes: list[Scope] = Field(min_length=1)
    clear: bool = Field(default=False, description="ask for unmasked data (the approver may refuse it)")


class QueryDecision(BaseModel):
    approve: bool
    note: Text = Field(min_length=2, max_length=500, description="reason (required for a refusal, too)")
    scopes: list[Scope] | None = Field(default=None, description="granted scopes; default: all requested")
    clear: bool = Field(default=False, description="grant unmasked data (only if requested)")
    valid_days: int = Field(default=7, ge=1, le=30)


class QueryOut(BaseModel):
    id: int
    subject_type: str
    subject_masked: str
    case_no: str
    legal_basis: str
    purpose: str
    scopes_requested: list[str]
    clear_requested: bool
    status: str
    status_label: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    scopes_granted: list[str]
    clear_granted: bool
    valid_until: datetime | None
    usable: bool = Field(description="approved and still within its validity period")


class Section(BaseModel):
    scope: str
    title: str
    columns: list[str] = Field(default_factory=list)
    rows: list[list] = Field(default_factory=list)
    note: str | None = None


class QueryResult(BaseModel):
    query: QueryOut
    clear: bool
    sections: list[Section]


class BatchRequest(BaseModel):
    title: Text = Field(min_length=2, max_length=200)
    recipient: Text = Field(min_length=2, max_length=100, description="接收单位")
    note: Text = Field(default="", max_length=1000)
    case_ids: list[RowRef] = Field(default_factory=list, max_length=500)
    simbank_alert_ids: list[RowRef] = Field(default_factory=list, max_length=500, description="ids of simbox alerts")
    msisdns: list[Text] = Field(default_factory=list, max_length=2000)


class FeedbackRequest(BaseModel):
    arrests: int = Field(default=0, ge=0, le=100_000)
    devices_seized: int = Field(default=0, ge=0, le=100_000)
    cards_seized: int = Field(default=0, ge=0, le=1_000_000)
    note: Text = Field(default="", max_length=1000)


class BatchFileOut(BaseModel):
    name: str
    sha256: str
    bytes: int


class BatchOut(BaseModel):
    id: int
    batch_no: str
    title: str
    recipient: str
    status: str
    status_label: str
    created_by: str
    created_at: datetime
    exported_at: datetime | None
    line_count: int
    manifest_sha256: str | None
    arrests: int
    devices_seized: int
    cards_seized: int
    files: list[BatchFileOut] = Field(default_factory=list)
