"""Accountability (责任追究): shops and clerks ranked by their lines later involved in fraud, year over year.

Every line carries the shop and clerk that opened it (registry ``lines.shop_id`` / ``clerk_id``); a line is
"involved in fraud" when its status is one of the rules' ``fraud_statuses``. Years are years of opening.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import extract, func, select, true
from sqlalchemy.orm import Session

from fanzha.casework.auth.principal import Principal
from fanzha.casework.auth.scoping import shop_filter
from fanzha.casework.registry.models import Line, Shop


@dataclass
class YearFigures:
    lines: int = 0
    fraud: int = 0

    @property
    def share(self) -> float:
        return self.fraud / self.lines if self.lines else 0.0


@dataclass
class RankRow:
    key: str
    shop_id: str | None
    years: dict[int, YearFigures] = field(default_factory=dict)

    def fraud_in(self, year: int) -> int:
        return self.years.get(year, YearFigures()).fraud

    def change(self, year: int) -> int | None:
        """Fraud-involved lines this year minus last year (None without last year's figure)."""
        if year - 1 not in self.years:
            return None
        return self.fraud_in(year) - self.fraud_in(year - 1)


def ranking(db: Session, *, actor: Principal, by: str, fraud_statuses, years: int = 3,
            limit: int = 50, region: str | None = None) -> tuple[list[int], list[RankRow]]:  # fmt: skip
    """(years shown, rows) — rows sorted by fraud-involved lines in the latest year, then by share.

    ``region``: only shops of that county (``shops.region_code``), for the supervision dashboard's filter."""
    if by not in ("shop", "clerk"):
        raise ValueError("by must be 'shop' or 'clerk'")
    column = Line.shop_id if by == "shop" else Line.clerk_id
    year = extract("year", Line.open_time)
    fraud = func.count().filter(Line.status.in_(sorted(fraud_statuses)))
    group = [column, year] if by == "shop" else [column, Line.shop_id, year]
    rows = db.execute(
        select(*group, func.count(), fraud).where(column.is_not(None), Line.open_time.is_not(None),
                                                  shop_filter(actor, Line.shop_id))
        .where(Line.shop_id.in_(select(Shop.shop_id).where(Shop.region_code == region)) if region else true())
        .group_by(*group)
    ).all()  # fmt: skip
    out: dict[str, RankRow] = {}
    all_years: set[int] = set()
    for r in rows:
        key, y = r[0], int(r[-3])
        shop = r[0] if by == "shop" else r[1]
        row = out.setdefault(key, RankRow(key=key, shop_id=shop))
        fig = row.years.setdefault(y, YearFigures())
        fig.lines += int(r[-2])
        fig.fraud += int(r[-1] or 0)
        all_years.add(y)
    shown = sorted(all_years)[-years:]
    if not shown:
        return [], []
    last = shown[-1]
    ranked = sorted(out.values(), key=lambda r: (-r.fraud_in(last), -r.years.get(last, YearFigures()).share, r.key))
    return shown, ranked[:limit]
