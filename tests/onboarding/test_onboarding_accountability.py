"""Shops and clerks ranked by lines later involved in fraud, year over year."""

from __future__ import annotations

from datetime import UTC, date, datetime

from onboarding.onboarding_support import make_id


def test_ranking_by_shop_and_clerk_year_over_year(engine, gate, registry):
    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.onboarding.accountability import ranking
    from fanzha.db import session_scope

    # S001/c1: 2024 10 lines 1 fraud; 2025 10 lines 4 fraud.  S002/c2: 2025 20 lines 2 fraud.
    plan = [("S001", "c1", 2024, 10, 1), ("S001", "c1", 2025, 10, 4), ("S002", "c2", 2025, 20, 2)]
    k = 0
    for shop, clerk_id, year, n, fraud in plan:
        lines = [(f"1770715{k + i:04d}", "mobile", "shutdown" if i < fraud else "active") for i in range(n)]
        registry.person(make_id("421202", date(1980, 1, 1), k + 1), "某某", lines, shop=shop, clerk_id=clerk_id,
                        opened=datetime(year, 6, 1, tzinfo=UTC))  # fmt: skip
        k += n
    boss = Principal(user_id=None, username="sup", roles=frozenset({"supervisor"}))
    with session_scope(engine) as db:
        years, rows = ranking(db, actor=boss, by="shop", fraud_statuses={"shutdown"})
        assert years == [2024, 2025]
        assert [r.key for r in rows] == ["S001", "S002"]
        s1 = rows[0]
        assert (s1.years[2025].lines, s1.years[2025].fraud, s1.change(2025)) == (10, 4, 3)
        assert rows[1].change(2025) is None and abs(rows[1].years[2025].share - 0.1) < 1e-9
        _, clerks = ranking(db, actor=boss, by="clerk", fraud_statuses={"shutdown"})
        assert [(r.key, r.shop_id) for r in clerks] == [("c1", "S001"), ("c2", "S002")]
        # a clerk sees only their own shop
        own = Principal(user_id=None, username="c2", roles=frozenset({"clerk"}), shops=frozenset({"S002"}))
        _, scoped = ranking(db, actor=own, by="shop", fraud_statuses={"shutdown"})
        assert [r.key for r in scoped] == ["S002"]
