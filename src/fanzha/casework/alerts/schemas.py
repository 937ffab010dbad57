"""Alert shapes: what the API accepts (``AlertIn``) and what pages and the API show (masked)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from fanzha.casework.types import Text

Source = Literal["detector", "monitor", "report", "police"]
SubjectType = Literal["msisdn", "imei", "cell", "id_no"]
Severity = Literal["low", "medium", "high", "critical"]


class AlertIn(BaseModel):
    alert_id: Text | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$",
                                  description="your id; resending the same id is a no-op")
    source: Source
    subject_type: SubjectType
    subject: Text = Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z+\-_.:]+$")
    detector: Text = Field(min_length=1, max_length=32, pattern=r"^[\w\-.:/() ]+$",
                           description="detector name, or report/police category (letters, digits, - . : / ( ))")
    score: float = Field(ge=0.0, le=1.0)
    severity: Severity | None = None
    reasons: Text = Field(default="", max_length=2000)
    evidence: dict = Field(default_factory=dict)
    event_time: datetime | None = None

    @field_validator("event_time")
    @classmethod
    def _plausible(cls, v: datetime | None) -> datetime | None:
        # Far-off years overflow time-zone arithmetic; an alert's time is recent by nature.
        if v is not None and not 2000 <= v.year <= 2100:
            raise ValueError("event_time must be between 2000 and 2100")
        return v


class AlertOut(BaseModel):
    id: int
    alert_id: str
    source: str
    subject_type: str
    subject: str  # masked
    detector: str
    score: float
    severity: str
    hits: int
    case_id: int | None
    merged_into: int | None
    duplicate: bool = False
