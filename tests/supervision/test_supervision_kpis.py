"""KPIs against a casework history made through the real services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from supervision_support import A, C, D

from fanzha.casework.auth.principal import Principal
from fanzha.casework.context import utcnow
from fanzha.db import session_scope
from fanzha.supervision import kpis
from fanzha.supervision.filters import FilterError, make_filter, today_cst

SUPERVISOR = Principal(user_id=None, username="sup", roles=frozenset({"supervisor"}))


def test_lines_shut_by_detector_and_day_with_county_filter(scenario):
    with session_scope(scenario.engine) as db:
        lines = kpis.shut_lines(db, make_filter())
        assert {ln.msisdn: ln.detector for ln in lines} == {A: "fraud_caller", C: "simbox"}
        assert kpis.shut_by_day_detector(lines) == {(today_cst(), "fraud_caller"): 1, (today_cst(), "simbox"): 1}
        assert all(ln.lag_seconds is not None and 0 <= ln.lag_seconds < 600 for ln in lines)
        assert [ln.msisdn for ln in kpis.shut_lines(db, make_filter(county="421202"))] == [A]
        assert [ln.msisdn for ln in kpis.shut_lines(db, make_filter(county="421281"))] == [C]
        old = make_filter(today_cst() - timedelta(days=40), today_cst() - timedelta(days=20))
        assert kpis.shut_lines(db, old) == []


def test_backlog_counts_open_and_overdue_by_sla(scenario):
    with session_scope(scenario.engine) as db:
        now_rows = {r.key: r for r in kpis.backlog(db, make_filter(), now=utcnow())}
        # D, within the 1 h SLA of the open state. A's case (suspended before review) ended when A's appeal was
        # upheld: its only line was restored, nothing is left to review.
        assert (now_rows["cases_open"].open, now_rows["cases_open"].overdue) == (1, 0)
        assert now_rows["alerts"].open == 1
        assert now_rows["cases_awaiting_l3"].open == 0 and now_rows["appeals"].open == 0
        later = {r.key: r for r in kpis.backlog(db, make_filter(), now=utcnow() + timedelta(hours=2))}
        assert (later["cases_open"].open, later["cases_open"].overdue) == (1, 1)
        assert later["alerts"].overdue == 1
        here = {r.key: r for r in kpis.backlog(db, make_filter(county="421202"), now=utcnow())}
        assert here["cases_open"].open == 0  # not D: its line was opened in 赤壁市 (421281); A's case has ended


def test_appeals_outcome_and_false_positive_rate(scenario):
    with session_scope(scenario.engine) as db:
        fig = kpis.appeal_figures(db, make_filter())
    assert (fig.filed, fig.decided, fig.upheld, fig.rejected, fig.open) == (2, 2, 1, 1, 0)
    assert fig.false_positive_rate == pytest.approx(0.5)
    assert fig.by_detector["fraud_caller"]["upheld"] == 1 and fig.by_detector["simbox"]["rejected"] == 1
    # C approved through L3; A's case dismissed as a false positive when its appeal was upheld
    assert (fig.reviews_confirmed, fig.reviews_dismissed) == (1, 1)


def test_lag_stats_quantiles_and_buckets():
    s = kpis.lag_stats([30, 120, 3000, 7200, 100000])
    assert s.count == 5 and s.median_s == 3000 and s.p90_s == 100000
    assert s.within_1h == pytest.approx(0.6)
    assert dict(s.buckets) == {"≤1分钟": 1, "1–60分钟": 2, "1–4小时": 1, "4–24小时": 0, ">24小时": 1}
    assert kpis.lag_stats([]).count == 0


def test_year_over_year_by_shop_with_county(scenario):
    with session_scope(scenario.engine) as db:
        years, rows = kpis.yoy(db, make_filter(), actor=SUPERVISOR, by="shop")
        assert years == [2025, 2026]
        by_shop = {r.key: (r.fraud_in(2025), r.fraud_in(2026)) for r in rows}
        assert by_shop == {"S001": (1, 0), "S002": (0, 1)}  # E shut down in 2025's cohort, C in 2026's
        _, only = kpis.yoy(db, make_filter(county="421281"), actor=SUPERVISOR, by="shop")
        assert [r.key for r in only] == ["S002"]


def test_filter_parsing():
    f = make_filter("2026-11-01", "2026-11-07", "421202")
    assert len(f.days) == 7 and f.county == "421202"
    assert f.since.isoformat() == "2026-10-31T16:00:00+00:00"  # CST midnight
    for bad in (("2026-11-07", "2026-11-01", None), ("x", None, None), (None, None, "42A")):
        with pytest.raises(FilterError):
            make_filter(*bad)


def test_panels_by_permission_and_empty_state(scenario):
    from fanzha.casework.auth.enums import Permission
    from fanzha.supervision import dashboard, panels

    clerk = Principal(user_id=None, username="c", roles=frozenset({"clerk"}))
    police = Principal(user_id=None, username="p", roles=frozenset({"police_liaison"}))
    assert panels.visible(clerk) == []
    assert all(p.allows(police) for p in panels.visible(police))
    assert not any(p.permissions == (Permission.KPI_VIEW,) for p in panels.visible(police))
    keys = [p.key for p in panels.visible(SUPERVISOR)]
    assert {"shut_lines", "backlog", "lag", "appeals", "yoy_shop", "yoy_clerk"} <= set(keys)
    old = make_filter(today_cst() - timedelta(days=40), today_cst() - timedelta(days=20))
    with session_scope(scenario.engine) as db:
        shown = {s.panel.key: s for s in dashboard.show(db, actor=SUPERVISOR, flt=old, settings=scenario.settings)}
        assert shown["shut_lines"].data.is_empty and "没有" in shown["shut_lines"].data.empty_reason
        assert shown["shut_lines"].svg is None
        now = {s.panel.key: s for s in dashboard.show(db, actor=SUPERVISOR, flt=make_filter(), settings=scenario.settings)}
    shut = now["shut_lines"]
    assert {f.key: f.value for f in shut.data.figures}["shut_total"] == 2
    assert 'data-total="2"' in shut.svg and shut.svg.count('class="bar"') >= 2
    assert {f.key: f.value for f in now["appeals"].data.figures}["appeals_fp_rate"] == pytest.approx(0.5)


def test_false_positive_rates_say_their_denominators(scenario):
    """误报率 from 2 decided appeals must not pass for a rate over all shutdowns: each figure names what it divides
    by and shows both counts; the share of shut lines found wrong on appeal is a figure of its own."""
    from fanzha.supervision import dashboard

    with session_scope(scenario.engine) as db:
        fig = kpis.appeal_figures(db, make_filter())
        shut = len(kpis.shut_lines(db, make_filter()))
        shown = {s.panel.key: s for s in dashboard.show(db, actor=SUPERVISOR, flt=make_filter(), settings=scenario.settings)}
    assert fig.shut == shut == 2
    assert fig.shut_false_positive_share == pytest.approx(fig.upheld / fig.shut)
    figures = {f.key: f for f in shown["appeals"].data.figures}
    rate = figures["appeals_fp_rate"]
    assert "已决定申诉" in rate.label and rate.text == f"50.0%（{fig.upheld}/{fig.decided}）"
    share = figures["shut_fp_share"]
    assert "处置号码" in share.label and share.value == pytest.approx(0.5) and share.detail == f"{fig.upheld}/{fig.shut}"
    assert "处置号码" in shown["appeals"].data.note


def test_the_case_queue_and_the_dashboard_count_cases_in_work_alike(scenario):
    """"全部在办" on the case queue and 在办案件 on the dashboard are one definition (awaiting a review decision);
    cases already actioned have their own tab and are not counted as in work."""
    from fanzha.casework.cases.present import queue_page
    from fanzha.supervision import dashboard

    with session_scope(scenario.engine) as db:
        tabs = {t.key: t for t in queue_page(db, principal=SUPERVISOR, params={}).tabs}
        shown = {s.panel.key: s for s in dashboard.show(db, actor=SUPERVISOR, flt=make_filter(), settings=scenario.settings)}
    in_work = {f.key: f.value for f in shown["backlog"].data.figures}["cases_open"]
    assert tabs["all"].count == in_work == 1  # D; C was actioned (shut after L3), A's case ended on the appeal
    assert tabs["actioned"].count == 1 and "已处置" in tabs["actioned"].label
