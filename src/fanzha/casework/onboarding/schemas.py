"""API shapes of the counter gate (request bodies and answers); tables live in models.py."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from fanzha.casework.types import Text

LineType = Literal["mobile", "fixed", "iot"]


class LineRequest(BaseModel):
    line_type: LineType = "mobile"
    count: int = Field(default=1, ge=1, le=50)


class CheckRequest(BaseModel):
    id_no: Text = Field(min_length=1, max_length=32, description="resident ID number, typed or scanned")
    name: Text = Field(min_length=1, max_length=32)
    lines: list[LineRequest] = Field(default_factory=lambda: [LineRequest()], min_length=1, max_length=3,
                                     description="default: one mobile line")
    purpose: Text = Field(default="", max_length=200, description="stated purpose of the lines")
    shop_id: Text | None = Field(default=None, max_length=32, description="needed only if the clerk has several shops")


class Finding(BaseModel):
    code: str
    level: Literal["info", "remind", "escalate", "refuse"]
    text: str


class StepOut(BaseModel):
    key: str
    label: str
    hint: str = ""
    done_at: datetime | None = None
    actor: str | None = None


class CarrierHolding(BaseModel):
    carrier: str  # 本运营商, 中国移动, 中国联通
    lines: dict[str, int]  # in use, by line type
    total: int


class HoldingsOut(BaseModel):
    """三查询 (一证通查): the lines in use under the ID, here and at the other carriers the adapter answers for."""

    carriers: list[CarrierHolding]
    total: int
    text: str  # the same in one Chinese sentence


class CheckResult(BaseModel):
    check_id: int
    decision: Literal["pass", "escalate", "refuse"]
    decision_label: str
    status: str
    status_label: str
    reasons: list[Finding]
    id_masked: str
    name_masked: str | None
    shop_id: str | None
    clerk: str
    created_at: datetime
    requested: dict[str, int]
    purpose: str | None = None
    reviewer: str | None = None
    review_note: str | None = None
    checklist_title: str = ""
    steps: list[StepOut] = []
    notice_signed: bool = False
    holdings: HoldingsOut | None = None


class ReviewRequest(BaseModel):
    approve: bool
    note: Text = Field(default="", max_length=500)


class StepRequest(BaseModel):
    step: Text = Field(max_length=32)
    note: Text = Field(default="", max_length=200)


class SignRequest(BaseModel):
    signature_png: str = Field(max_length=400_000, description="data:image/png;base64,… from the signature pad")
