"""API shapes of the audit trail. Subjects and free text are masked on the way out."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from fanzha.casework.types import Text


class AuditQuery(BaseModel):
    actor: Text | None = Field(default=None, max_length=64)
    action: Text | None = Field(default=None, max_length=64)
    subject_type: Text | None = Field(default=None, max_length=32)
    subject_id: Text | None = Field(default=None, max_length=64)
    since: datetime | None = None
    until: datetime | None = None
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)

    @field_validator("since", "until")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        # Years near 1 or 9999 overflow when shifted between time zones; no audit event lies there.
        if value is not None and not 1970 <= value.year <= 2999:
            raise ValueError("date out of range (1970–2999)")
        return value


class AuditEventOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    subject_type: str | None
    subject_id: str | None  # masked when it is a phone number
    purpose: str | None  # ID numbers and phone numbers inside are masked
    detail: dict


class VerifyResult(BaseModel):
    ok: bool
    checked: int
    head_seq: int
    head_hash: str
    problems: list[str]
