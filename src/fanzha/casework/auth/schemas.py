"""API shapes for accounts."""

from __future__ import annotations

from pydantic import BaseModel


class Me(BaseModel):
    username: str
    display_name: str | None
    roles: list[str]
    permissions: list[str]
    shops: list[str]
    units: list[str]
    via: str
