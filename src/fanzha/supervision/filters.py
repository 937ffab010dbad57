"""What every dashboard panel is filtered by: a time range (China Standard Time days) and a county (区县).

A county is the GB/T 2260 code of the shop that opened the line (``shops.region_code``): casework rows are tied
to a county through their lines. ``None`` means the whole prefecture.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanzha.casework.context import day_start

CST = timezone(timedelta(hours=8))
DEFAULT_DAYS = 14


class FilterError(ValueError):
    """A filter value that cannot be used (bad date, end before start, unknown county); message in zh-CN."""


@dataclass(frozen=True)
class KpiFilter:
    start: date  # first day included (CST)
    end: date  # last day included (CST)
    county: str | None = None

    @property
    def since(self) -> datetime:
        """Start of the first day, as an aware UTC time (what the database stores)."""
        return day_start(self.start)

    @property
    def until(self) -> datetime:
        """Start of the day after the last day (exclusive bound), UTC."""
        return day_start(self.end + timedelta(days=1))

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def query(self) -> dict[str, str]:
        """The filter as query-string parameters (links to exports keep the filter)."""
        out = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.county:
            out["county"] = self.county
        return out

    def describe(self) -> str:
        where = county_name(self.county) if self.county else "全市"
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}，{where}"


def today_cst() -> date:
    return datetime.now(CST).date()


def make_filter(start: str | date | None = None, end: str | date | None = None, county: str | None = None,
                *, today: date | None = None) -> KpiFilter:  # fmt: skip
    """Parse user input; defaults: the last ``DEFAULT_DAYS`` days up to today, the whole prefecture."""
    today = today or today_cst()
    try:
        end_d = _day(end) or today
        start_d = _day(start) or end_d - timedelta(days=DEFAULT_DAYS - 1)
    except (ValueError, OverflowError):  # OverflowError: a default start before year 1
        raise FilterError("日期格式应为 YYYY-MM-DD date must be YYYY-MM-DD") from None
    if not (2000 <= start_d.year and end_d.year <= 2100):  # far-off days overflow the day arithmetic of panels
        raise FilterError("日期应在 2000–2100 年之间 dates must be within 2000–2100")
    if start_d > end_d:
        raise FilterError("开始日期不能晚于结束日期 start is after end")
    if (end_d - start_d).days > 3660:
        raise FilterError("时间范围不能超过十年 range longer than ten years")
    county = (county or "").strip() or None
    if county is not None and not (len(county) == 6 and county.isdigit()):
        raise FilterError("区县代码应为 6 位数字 county must be a 6-digit division code")
    return KpiFilter(start=start_d, end=end_d, county=county)


def _day(value) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value).strip())


def county_name(code: str | None) -> str:
    from fanzha.ids import division

    if not code:
        return "未知区县"
    found = division(code)
    return found.name if found is not None else code


def counties(db: Session) -> list[tuple[str, str]]:
    """(code, name) of the counties that have shops, for the filter's drop-down."""
    from fanzha.casework.registry.models import Shop

    codes = db.execute(select(Shop.region_code).where(Shop.region_code.is_not(None)).distinct()).scalars()
    return sorted((c, county_name(c)) for c in codes)


def county_lines(county: str):
    """A subquery of the msisdns opened at a shop of ``county`` (for ``column.in_(...)``)."""
    from fanzha.casework.registry.models import Line, Shop

    return select(Line.msisdn).join(Shop, Shop.shop_id == Line.shop_id).where(Shop.region_code == county)


def day_of(at: datetime | None) -> date | None:
    """The CST calendar day of a stored time (SQLite hands back naive UTC)."""
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(CST).date()
