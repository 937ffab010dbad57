"""Lookup request/response shapes. ``LineMasked`` is what everyone sees; ``LineClear`` only after unmasking."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator

from fanzha.casework.types import Text


class LookupQuery(BaseModel):
    msisdn: Text | None = Field(default=None, max_length=20, description="号码 exact number")
    id_no: Text | None = Field(default=None, max_length=18, description="证件号码 18-character resident ID")

    @model_validator(mode="after")
    def _one(self) -> LookupQuery:
        self.msisdn = (self.msisdn or "").strip() or None
        self.id_no = (self.id_no or "").strip().upper() or None
        if not self.msisdn and not self.id_no:
            raise ValueError("give msisdn or id_no")
        return self


class UnmaskRequest(BaseModel):
    ref: Text = Field(min_length=1, max_length=400, description="reference returned by the search")
    purpose: Text = Field(min_length=4, max_length=200, description="查询事由 why the clear data is needed")


class LineMasked(BaseModel):
    msisdn: str  # masked
    line_type: str
    status: str
    carrier: str | None
    shop_id: str | None
    open_time: datetime | None
    owner_name: str | None  # masked
    owner_id: str | None  # masked


class LineFound(LineMasked):
    ref: str  # opaque reference for unmasking


class LineClear(LineMasked):
    purpose: str
