"""Counts of market-regulation tips for the desk's statistics page and the dashboard:
``tip_stats(db, since, until)``.

The window is on ``received_at`` (``since`` inclusive, ``until`` exclusive, None = open; naive = China
Standard Time). Months are calendar months in China Standard Time. Every category and channel of the data
contract appears, with 0 when it has no tip, so charts and exports keep a stable shape.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from fanzha.casework.context import aware
from fanzha.casework.market.enums import CATEGORIES, CHANNELS, OPEN_TIPS, TipStatus
from fanzha.casework.market.models import MarketTip, TipNumber
from fanzha.casework.reports.stats import window

CST = timezone(timedelta(hours=8))


def tip_stats(db: Session, since: datetime | None = None, until: datetime | None = None) -> dict:
    """total, open, with_numbers, numbers, own_line_numbers, alerts, by_category, by_channel, by_month
    ("YYYY-MM" → n, ascending), by_status, by_month_category ("YYYY-MM" → {category: n})."""
    rows = db.execute(window(select(MarketTip.id, MarketTip.received_at, MarketTip.category, MarketTip.channel,
                                    MarketTip.status), MarketTip.received_at, since, until)).all()  # fmt: skip
    ids = [r.id for r in rows]
    links = []
    for start in range(0, len(ids), 500):  # bounded IN lists
        links += db.execute(select(TipNumber.tip_id, TipNumber.own_line, TipNumber.alert_id)
                            .where(TipNumber.tip_id.in_(ids[start:start + 500]))).all()  # fmt: skip
    month = {r.id: aware(r.received_at).astimezone(CST).strftime("%Y-%m") for r in rows}
    by_month_category: dict[str, Counter] = {}
    for r in rows:
        by_month_category.setdefault(month[r.id], Counter())[r.category] += 1
    cats, chans, stats = Counter(r.category for r in rows), Counter(r.channel for r in rows), Counter(r.status for r in rows)
    return {
        "total": len(rows),
        "open": sum(stats[s.value] for s in OPEN_TIPS),
        "with_numbers": len({tid for tid, _, _ in links}),
        "numbers": len(links),
        "own_line_numbers": sum(own for _, own, _ in links),
        "alerts": sum(a is not None for _, _, a in links),
        "by_category": {c: cats.get(c, 0) for c in CATEGORIES},
        "by_channel": {c: chans.get(c, 0) for c in CHANNELS},
        "by_month": {m: sum(c.values()) for m, c in sorted(by_month_category.items())},
        "by_status": {s.value: stats.get(s.value, 0) for s in TipStatus},
        "by_month_category": {m: {c: n.get(c, 0) for c in CATEGORIES} for m, n in sorted(by_month_category.items())},
    }
