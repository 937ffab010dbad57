"""线索统计 page (charts by category, channel, month) and its CSV/XLSX export; JSON for the API."""

from __future__ import annotations

from datetime import date, datetime, time

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from fanzha.casework.auth.enums import Permission
from fanzha.casework.auth.principal import Principal
from fanzha.casework.market import export
from fanzha.casework.market.enums import CATEGORIES, CHANNELS, TIP_LABELS, TipStatus
from fanzha.casework.market.stats import tip_stats
from fanzha.supervision.charts import render as chart
from fanzha.supervision.panels import Chart, Series
from fanzha.web import nav
from fanzha.web.deps import Db, require
from fanzha.web.security import csrf_protect
from fanzha.web.templating import render

router = APIRouter(dependencies=[Depends(csrf_protect)])
nav.register(nav.NavItem("线索统计", "/market/stats", Permission.TIP_MANAGE, 61))
TIP = require(Permission.TIP_MANAGE)
Since = Query(default=None, description="first day (inclusive), China Standard Time")
Until = Query(default=None, description="last day (inclusive), China Standard Time")


def _bounds(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """Whole days in China Standard Time; ``until`` is inclusive for people, exclusive for the query."""
    from datetime import timedelta

    for day in (since, until):
        if day is not None and not 2000 <= day.year <= 2100:  # far-off days overflow the day arithmetic
            raise HTTPException(status_code=422, detail="日期应在 2000–2100 年之间 dates must be within 2000–2100")
    return (datetime.combine(since, time()) if since else None,
            datetime.combine(until + timedelta(days=1), time()) if until else None)  # fmt: skip


def _hbar(counts: dict[str, int], labels: dict[str, str], title: str):
    return chart(Chart(kind="hbar", categories=[labels[k] for k in counts], unit="件", title=title,
                       series=[Series("线索", [float(v) for v in counts.values()])]))  # fmt: skip


@router.get("/market/stats", include_in_schema=False)
def stats_page(request: Request, db: Db, since: date | None = Since, until: date | None = Until,
               _: Principal = Depends(TIP)):  # fmt: skip
    s = tip_stats(db, *_bounds(since, until))
    query = "&".join(f"{k}={v}" for k, v in (("since", since), ("until", until)) if v)
    return render(request, "market_stats.html", {
        "s": s, "since": since or "", "until": until or "", "query": query,
        "by_category": _hbar(s["by_category"], CATEGORIES, "按类别"),
        "by_channel": _hbar(s["by_channel"], CHANNELS, "按渠道"),
        # months as columns, stacked by category: the season of each kind of fraud shows at a glance
        "by_month": chart(Chart(kind="stacked", categories=list(s["by_month_category"]), unit="件", title="按月份",
                                series=[Series(CATEGORIES[c], [float(m[c]) for m in s["by_month_category"].values()])
                                        for c in CATEGORIES])),
        "statuses": [(TIP_LABELS[TipStatus(k)], v) for k, v in s["by_status"].items()],
    })  # fmt: skip


@router.get("/market/stats.csv", include_in_schema=False)
def stats_csv(db: Db, since: date | None = Since, until: date | None = Until, _: Principal = Depends(TIP)):
    body = export.to_csv(tip_stats(db, *_bounds(since, until)))
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="tip-stats.csv"'})  # fmt: skip


@router.get("/market/stats.xlsx", include_in_schema=False)
def stats_xlsx(db: Db, since: date | None = Since, until: date | None = Until, _: Principal = Depends(TIP)):
    body = export.to_xlsx(tip_stats(db, *_bounds(since, until)))
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="tip-stats.xlsx"'})  # fmt: skip


@router.get("/api/market/stats", tags=["market"])
def api_stats(db: Db, since: date | None = Since, until: date | None = Until, _: Principal = Depends(TIP)) -> dict:
    """线索统计 Counts by category, channel, month and status (the same figures as the page and exports)."""
    return tip_stats(db, *_bounds(since, until))
