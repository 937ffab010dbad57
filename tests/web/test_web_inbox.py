"""The alert inbox and the case queue as pages: filters, counts, paging, Chinese labels, masked numbers, bad input."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

T0 = datetime(2026, 5, 3, 12, 0, tzinfo=UTC)
CODES = ("fraud_caller", "simbox", "report_police_impersonation", "report_normal", "detector", "report", "monitor",
         "msisdn", "imei", "critical", "high", "medium")  # fmt: skip


class _Table(HTMLParser):
    """Text of each body cell of the table with the given id (what a person reads, no attributes)."""

    def __init__(self, table_id: str):
        super().__init__()
        self.table_id, self.inside, self.in_body, self.rows, self.cell = table_id, False, False, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag == "td":
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.rows[-1].append(" ".join(self.cell.split()))
            self.cell = None
        elif tag == "table":
            self.inside = self.in_body = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def rows_of(html: str, table_id: str = "alerts") -> list[list[str]]:
    parser = _Table(table_id)
    parser.feed(html)
    return [r for r in parser.rows if len(r) > 1]  # the "none" row has one cell


def summary_count(html: str) -> int:
    return int(re.search(r'id="inbox-count">[^<]*<strong>(\d+)</strong>', html).group(1))


@pytest.fixture
def inbox(web_app):
    """60 detector alerts (every third critical), 5 public-report alerts, 1 police alert without a case."""
    from fanzha.casework.alerts.service import raise_alert
    from fanzha.casework.auth.principal import Principal
    from fanzha.db import session_scope

    system = Principal.system("test")
    numbers = {}
    with session_scope(web_app.state.engine) as db:
        for i in range(60):
            m = f"1770715{i:04d}"
            raise_alert(db, source="detector", subject_type="msisdn", subject=m, detector="fraud_caller",
                        score=0.92 if i % 3 == 0 else 0.8, reasons=f"外呼异常 第{i}号", actor=system,
                        event_time=T0 + timedelta(minutes=i))  # fmt: skip
            numbers[i] = m
        for i in range(5):
            raise_alert(db, source="report", subject_type="msisdn", subject=f"1890715{i:04d}", score=0.7,
                        detector="report_police_impersonation", reasons="12321举报", actor=system,
                        event_time=T0 - timedelta(hours=i + 1))  # fmt: skip
        police = raise_alert(db, source="police", subject_type="imei", subject="862436209203861", score=0.6,
                             detector="simbox", reasons="公安通报", actor=system, event_time=T0 - timedelta(days=1))
        police.alert.case_id = None
    return numbers


@pytest.fixture
def analyst(client, make_user, login):
    make_user("ana", roles=["analyst"])
    assert login(client, "ana", "correct-horse-battery").status_code == 303
    return client


def test_filter_by_source_and_severity_counts_and_shows_only_matches(analyst, inbox):
    page = analyst.get("/alerts", params={"source": "report"})
    assert page.status_code == 200 and summary_count(page.text) == 5
    rows = rows_of(page.text)
    assert len(rows) == 5 and {r[0] for r in rows} == {"公众举报"} and {r[2] for r in rows} == {"举报：冒充公检法及政府机关"}

    page = analyst.get("/alerts", params={"source": "detector", "severity": "critical"})
    rows = rows_of(page.text)
    assert summary_count(page.text) == 20 and len(rows) == 20
    assert {r[0] for r in rows} == {"检测模型"} and {r[4] for r in rows} == {"严重"}
    assert 'value="critical" selected' in page.text  # the form shows the filter in force

    page = analyst.get("/alerts", params={"case": "without"})
    rows = rows_of(page.text)
    assert summary_count(page.text) == 1 and rows[0][1] == "862436209203861 设备" and rows[0][-1] == "未立案"
    page = analyst.get("/alerts", params={"detector": "report_loan_credit"})  # a known code, none in the inbox
    assert summary_count(page.text) == 0 and "没有符合条件的告警" in page.text
    day = analyst.get("/alerts", params={"start": "2026-05-02", "end": "2026-05-02"})  # CST: only the police alert
    assert summary_count(day.text) == 1 and rows_of(day.text)[0][0] == "公安通报"


def test_paging_shows_the_next_rows_and_the_page_count(analyst, inbox):
    first = analyst.get("/alerts")
    assert summary_count(first.text) == 66 and "第 1 页 / 共 2 页" in first.text
    rows1 = rows_of(first.text)
    assert len(rows1) == 50 and rows1[0][1] == "177****0059"  # newest first
    nxt = re.search(r'<a href="([^"]+)" rel="next">下一页</a>', first.text).group(1)
    assert nxt == "?page=2" and 'rel="prev"' not in first.text
    second = analyst.get("/alerts" + nxt)
    rows2 = rows_of(second.text)
    assert "第 2 页 / 共 2 页" in second.text and len(rows2) == 16 and 'rel="next"' not in second.text
    assert rows2[0][1] == "177****0009" and not {r[1] for r in rows1} & {r[1] for r in rows2}
    # the filter is kept by the paging links
    det = analyst.get("/alerts", params={"source": "detector", "page": "1"})
    assert summary_count(det.text) == 60 and '<a href="?source=detector&amp;page=2" rel="next">' in det.text
    assert len(rows_of(analyst.get("/alerts?source=detector&page=2").text)) == 10


def test_chinese_labels_in_cells_no_raw_codes_numbers_masked(analyst, inbox):
    page = analyst.get("/alerts", params={"page": "2"})
    cells = [c for r in rows_of(page.text) for c in r]
    text = " ".join(cells)
    assert "诈骗呼叫" in text and "举报：冒充公检法及政府机关" in text and "猫池/GOIP" in text and "高" in cells
    for code in CODES:
        assert not any(re.search(rf"\b{code}\b", c) for c in cells), code
    assert "fraud_caller" in page.text  # kept as a hint in a title attribute
    assert all(m not in page.text for m in inbox.values()) and "177****0009" in text


def test_bad_filter_values_never_500(analyst, inbox):
    for params in ({"source": "<script>alert(1)</script>"}, {"severity": "HIGH"}, {"case": "maybe"},
                   {"detector": "' OR 1=1 --"}, {"detector": "x" * 5000}, {"start": "2026-02-30"},
                   {"start": "2026-05-03", "end": "2026-05-01"}, {"end": "99999-01-01"}, {"page": "-1"},
                   {"page": "abc"}, {"page": "9" * 40}, {"page": "7"}):  # fmt: skip
        page = analyst.get("/alerts", params=params)
        assert page.status_code == 200, params
        assert 'class="error" role="alert"' in page.text, params
        assert "<script>alert(1)</script>" not in page.text
        assert summary_count(page.text) == 66 and len(rows_of(page.text)) in (50, 16), params  # filter dropped


def test_case_queue_pages_titles_in_chinese(client, make_user, login, inbox):
    make_user("rev1", roles=["reviewer_l1"])
    assert login(client, "rev1", "correct-horse-battery").status_code == 303
    page = client.get("/cases")
    assert page.status_code == 200 and "我的待办：待一级稽核" in page.text and "第 1 页 / 共 2 页" in page.text
    rows = rows_of(page.text, "queue-table")
    assert len(rows) == 50
    titles = {r[1] for r in rows}
    assert any(re.fullmatch(r"诈骗呼叫 · 177\*\*\*\*\d{4}", t) for t in titles), titles
    assert not any("fraud_caller" in c or "report_" in c for r in rows for c in r)
    assert {r[3] for r in rows} <= {"中", "高", "严重"}
    second = client.get("/cases", params={"page": "2"})
    rows2 = rows_of(second.text, "queue-table")
    assert len(rows2) == 16 and not {r[0] for r in rows} & {r[0] for r in rows2}  # 66 cases, none twice
    assert "猫池/GOIP · 862436209203861" in {r[1] for r in rows2}  # its alert was detached: title parsed
    assert client.get("/cases", params={"queue": "nope", "page": "x"}).status_code == 200
    everything = client.get("/cases", params={"queue": "all"})
    assert "全部在办案件" in everything.text and 'aria-current="page">全部在办案件' in everything.text
    # the case page: title, level and evidence in words
    case_id = re.search(r'href="/cases/(\d+)"', page.text).group(1)
    case = client.get(f"/cases/{case_id}").text
    assert re.search(r"<small>(诈骗呼叫|举报：冒充公检法及政府机关) · \d{3}\*\*\*\*\d{4}</small>", case)
    evidence = rows_of(case, "alert-evidence")
    assert evidence and evidence[0][0] in ("检测模型", "公众举报") and "fraud_caller" not in evidence[0][1]
