"""Paging for long lists (告警收件箱、案件队列): page numbers from the query string, clamped, never an error."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

PER_PAGE = 50


def _pages(total: int, size: int) -> int:
    return max(1, -(-total // size))  # an empty list still has its one (empty) page


@dataclass(frozen=True)
class Paging:
    number: int  # 1-based, within 1..pages
    total: int
    size: int = PER_PAGE
    params: dict[str, str] = field(default_factory=dict)  # the rest of the query (filters) kept by the links

    @property
    def pages(self) -> int:
        return _pages(self.total, self.size)

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first_row(self) -> int:
        return self.offset + 1 if self.total else 0

    @property
    def last_row(self) -> int:
        return min(self.offset + self.size, self.total)

    @property
    def prev_url(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.number + 1) if self.number < self.pages else None

    def url(self, number: int) -> str:
        return "?" + urlencode({**self.params, **({"page": str(number)} if number > 1 else {})})


def paging(raw: str | None, *, total: int, size: int = PER_PAGE, params: dict[str, str] | None = None,
           errors: list[str] | None = None) -> Paging:  # fmt: skip
    """Page ``raw`` of ``total`` rows; a bad number shows page 1, one past the end the last page (noted in
    ``errors`` when given)."""
    pages = _pages(total, size)
    raw = (raw or "").strip()
    number = 1
    if raw:
        if raw.isdigit() and len(raw) <= 9 and int(raw) >= 1:
            number = int(raw)
            if number > pages:
                number = pages
                if errors is not None:
                    errors.append(f"共 {pages} 页，已显示最后一页")
        elif errors is not None:
            errors.append(f"页码“{raw[:12]}”无效，已显示第 1 页")
    return Paging(number=number, total=total, size=size, params=dict(params or {}))
