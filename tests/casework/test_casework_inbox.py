"""The inbox's filters, count and paging in the service; display labels of alert codes; case titles in Chinese."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fanzha.db import session_scope

T0 = datetime(2026, 5, 3, 12, 0, tzinfo=UTC)  # 20:00 CST


def _raise(db, settings, actor, subject, **kw):
    from fanzha.casework.alerts.service import raise_alert

    args = dict(source="detector", subject_type="msisdn", detector="fraud_caller", score=0.6, reasons="r",
                event_time=T0)  # fmt: skip
    args.update(kw)
    return raise_alert(db, actor=actor, settings=settings, subject=subject, **args).alert


def test_every_produced_detector_code_has_a_chinese_label():
    from fanzha.analytics.reports_text.labels import CLASSES
    from fanzha.casework.alerts import labels
    from fanzha.casework.market.enums import CATEGORIES

    produced = ["fraud_caller", "simbox", "cell_anomaly", "resold_card", "trace",
                *(f"report_{c}" for c in CLASSES), *(f"tip_{c}" for c in CATEGORIES)]  # fmt: skip
    for code in produced:
        label = labels.detector_label(code)
        assert label != code and not re.search(r"[A-Za-z_]{3,}", label.replace("GOIP", "")), (code, label)
    assert labels.detector_label("report_police_impersonation") == "举报：冒充公检法及政府机关"
    assert labels.detector_label("report_normal") == "举报：未识别诈骗类型"  # not "正常": someone reported the line
    assert labels.detector_label("some_new_model") == "some_new_model"  # unknown codes shown as they are
    assert set(produced) <= set(labels.known_detectors())
    assert [labels.subject_type_label(t) for t in ("msisdn", "imei", "cell", "id_no")] == ["号码", "设备", "基站小区", "证件"]
    assert [labels.severity_label(s) for s in ("low", "medium", "high", "critical")] == ["低", "中", "高", "严重"]
    assert labels.order_source_label("blacklist:12") == "黑名单 #12" and labels.detector_label("onboarding") == "入网关口"


def test_labels_have_one_owner():
    """The supervision KPIs and the case pages read the labels from casework.alerts.labels, not their own copies."""
    from fanzha.casework.alerts import labels
    from fanzha.casework.cases import present
    from fanzha.supervision import kpis, providers

    assert not hasattr(kpis, "DETECTOR_LABELS") and not hasattr(present, "SEVERITY_LABELS")
    assert providers.detector_label is labels.detector_label


def test_filters_count_and_pages(engine, settings, owners, actors):
    from fanzha.casework.alerts.filters import InboxFilter
    from fanzha.casework.alerts.models import Alert
    from fanzha.casework.alerts.service import count_inbox, inbox_detectors, search_inbox

    with session_scope(engine) as db:
        for i in range(7):  # newest is i = 6
            _raise(db, settings, actors["system"], f"1770000{i:04d}", score=0.95 if i % 2 else 0.6,
                   event_time=T0 + timedelta(minutes=i))  # fmt: skip
        for i in range(3):
            _raise(db, settings, actors["system"], f"1880000{i:04d}", source="report", score=0.8,
                   detector="report_loan_credit", event_time=T0 - timedelta(days=1, minutes=i))  # fmt: skip
        _raise(db, settings, actors["system"], "17700000001", event_time=T0 + timedelta(minutes=30))  # merged
        loose = _raise(db, settings, actors["system"], "19900000001", source="police", detector="涉诈通报",
                       score=0.7, event_time=T0 - timedelta(days=2))  # fmt: skip
        loose.case_id = None
    with session_scope(engine) as db:
        assert count_inbox(db, flt=InboxFilter()) == 11  # the merged sighting counts in its primary's hits
        critical = search_inbox(db, flt=InboxFilter(severity="critical"), limit=50)
        assert [a.subject for a in critical] == ["17700000001", "17700000005", "17700000003"]  # 01: merged, seen last
        assert count_inbox(db, flt=InboxFilter(severity="critical")) == 3
        reports = InboxFilter(source="report", detector="report_loan_credit")
        assert count_inbox(db, flt=reports) == 3
        assert {a.source for a in search_inbox(db, flt=reports)} == {"report"}
        assert [a.subject for a in search_inbox(db, flt=InboxFilter(case="without"))] == ["19900000001"]
        assert count_inbox(db, flt=InboxFilter(case="with")) == 10
        assert inbox_detectors(db) == {"fraud_caller": 7, "report_loan_credit": 3, "涉诈通报": 1}
        # pages: newest first, no row twice, none lost
        first = search_inbox(db, flt=InboxFilter(), limit=4, offset=0)
        rest = search_inbox(db, flt=InboxFilter(), limit=4, offset=4) + search_inbox(db, flt=InboxFilter(), limit=4,
                                                                                       offset=8)  # fmt: skip
        assert len(first) == 4 and len(rest) == 7
        assert first[0].subject == "17700000001"  # last seen at T0+30 min (the merged sighting)
        assert len({a.id for a in first + rest}) == 11
        assert all(a.merged_into_id is None for a in first + rest)
        assert db.query(Alert).count() == 12


def test_date_range_is_cst_days_of_last_sighting(engine, settings, owners, actors):
    from fanzha.casework.alerts.filters import InboxFilter
    from fanzha.casework.alerts.service import count_inbox, search_inbox

    with session_scope(engine) as db:
        # 2026-05-03 23:30 CST and 2026-05-04 00:30 CST: one hour apart, different China days
        _raise(db, settings, actors["system"], "17700000001", event_time=datetime(2026, 5, 3, 15, 30, tzinfo=UTC))
        _raise(db, settings, actors["system"], "17700000002", event_time=datetime(2026, 5, 3, 16, 30, tzinfo=UTC))
    day = datetime(2026, 5, 3).date()
    with session_scope(engine) as db:
        assert [a.subject for a in search_inbox(db, flt=InboxFilter(start=day, end=day))] == ["17700000001"]
        assert [a.subject for a in search_inbox(db, flt=InboxFilter(start=day + timedelta(days=1)))] == ["17700000002"]
        assert count_inbox(db, flt=InboxFilter(end=day - timedelta(days=1))) == 0


def test_parse_filter_drops_bad_values_with_a_message():
    from fanzha.casework.alerts.filters import InboxFilter, parse_inbox_filter

    flt, errors = parse_inbox_filter({"source": "report", "severity": "high", "case": "without", "start": "2026-05-01",
                                      "end": "2026-05-03", "detector": "fraud_caller"}, detectors={"fraud_caller"})
    assert flt == InboxFilter(source="report", detector="fraud_caller", severity="high", case="without",
                              start=datetime(2026, 5, 1).date(), end=datetime(2026, 5, 3).date()) and errors == []
    assert flt.query()["start"] == "2026-05-01" and flt.since == datetime(2026, 4, 30, 16, tzinfo=UTC)
    flt, errors = parse_inbox_filter({"source": "<b>x</b>", "severity": "HIGH", "case": "maybe", "start": "2026-02-30",
                                      "end": "yesterday", "detector": "' OR 1=1 --"}, detectors={"fraud_caller"})
    assert flt == InboxFilter() and not flt.active and len(errors) == 6
    flt, errors = parse_inbox_filter({"start": "2026-05-03", "end": "2026-05-01"}, detectors=set())
    assert flt == InboxFilter() and "开始日期晚于结束日期" in errors[0]


def test_paging_clamps_bad_page_numbers():
    from fanzha.casework.paging import paging

    pg = paging("2", total=120, size=50, params={"source": "report"})
    assert (pg.number, pg.pages, pg.offset, pg.first_row, pg.last_row) == (2, 3, 50, 51, 100)
    assert pg.prev_url == "?source=report" and pg.next_url == "?source=report&page=3"
    errors: list[str] = []
    assert paging("99", total=120, size=50, errors=errors).number == 3 and "最后一页" in errors[0]
    for bad in ("abc", "-1", "0", "1e3", "9" * 30):
        errors = []
        assert paging(bad, total=120, size=50, errors=errors).number == 1 and errors, bad
    empty = paging(None, total=0)
    assert (empty.number, empty.pages, empty.first_row, empty.next_url) == (1, 1, 0, None)


def test_case_titles_are_rendered_in_chinese_without_rewriting_them(engine, settings, owners, actors):
    from fanzha.casework.cases import present, service
    from fanzha.casework.cases.models import Case
    from fanzha.casework.measures.service import propose_measure

    with session_scope(engine) as db:
        a = _raise(db, settings, actors["system"], owners[1].msisdns[0], detector="report_police_impersonation",
                   source="report")  # fmt: skip
        cell = _raise(db, settings, actors["system"], "460-11-263157-2", subject_type="cell", detector="cell_anomaly")
        proposal = propose_measure(db, msisdns=[owners[2].msisdns[0]], measure="suspend", reason="黑名单人员名下多余号码",
                                   source="onboarding", actor=actors["system"], settings=settings)  # fmt: skip
        ids = [a.case_id, cell.case_id, proposal.case_id]
    with session_scope(engine) as db:
        cases = [db.get(Case, i) for i in ids]
        assert cases[0].title == "report_police_impersonation · 189****0004"  # stored as made
        firsts = service.first_alerts(db, case_ids=ids)
        titles = [present.case_title(c, firsts.get(c.id)) for c in cases]
        assert titles == ["举报：冒充公检法及政府机关 · 189****0004", "基站话务异常 · 基站小区 460-11-263157-2",
                          "入网关口：黑名单人员名下多余号码"]  # fmt: skip
        file = present.case_file(db, case=cases[0], principal=actors["l1"], settings=settings)
        assert file.title == titles[0]
        notes = [e["note"] for e in file.timeline]  # stored with codes, shown in words
        assert notes[0] == "举报：冒充公检法及政府机关 · 189****0004"
        assert notes[1].startswith("公众举报·举报：冒充公检法及政府机关 告警 189****0004 分值 0.60")
        assert not any("report_" in n for n in notes)


def test_inbox_pages_walk_an_index_not_a_sort(engine):
    """The inbox's page query reads the partial index of primary alerts newest first (no sort of the table)."""
    import sqlalchemy as sa

    from fanzha.casework.alerts.models import Alert
    from fanzha.casework.alerts.service import InboxFilter, _inbox_where

    indexes = {ix["name"] for ix in sa.inspect(engine).get_indexes("alerts")}
    assert {"ix_alerts_inbox", "ix_alerts_inbox_detector", "ix_alerts_merged_into_id"} <= indexes
    stmt = (sa.select(Alert).where(*_inbox_where(InboxFilter())).order_by(Alert.last_seen.desc(), Alert.id.desc())
            .limit(50))  # fmt: skip
    sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in c.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        else:  # an empty table: take the planner's cheapest path that is not a sequential scan
            c.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(r[0] for r in c.exec_driver_sql(f"EXPLAIN {sql}"))
    assert "ix_alerts_inbox" in plan and "TEMP B-TREE" not in plan and "Sort" not in plan, plan
