"""The inbox in a real browser: the filter form, paging links, and columns that stay readable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers import browser_login as _login

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_inbox_filter_form_and_paging(page, web_app, make_user):
    from fanzha.casework.alerts.service import raise_alert
    from fanzha.casework.auth.principal import Principal
    from fanzha.db import session_scope

    t0 = datetime(2026, 5, 3, 12, 0, tzinfo=UTC)
    long_reason = "；".join(f"24小时内主叫对端号码数={40 + k} (distinct peers called (24h) = {40 + k})" for k in range(8))
    with session_scope(web_app.state.engine) as db:
        for i in range(55):
            raise_alert(db, source="detector", subject_type="msisdn", subject=f"1770715{i:04d}",
                        detector="fraud_caller", score=0.92 if i % 2 else 0.6, reasons=long_reason,
                        actor=Principal.system("test"), event_time=t0 + timedelta(minutes=i))  # fmt: skip
        raise_alert(db, source="report", subject_type="msisdn", subject="18907150001", detector="report_loan_credit",
                    score=0.8, reasons="12321举报", actor=Principal.system("test"), event_time=t0)  # fmt: skip
    _login(page, "ana", make_user("ana", roles=["analyst"]))
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/alerts")
    assert page.locator("#inbox-count strong").inner_text() == "56"
    assert page.locator("#alerts tbody tr").count() == 50
    assert page.locator(".pager .page-of").inner_text() == "第 1 页 / 共 2 页"
    # the short columns keep to one line next to a long reason (the 来源 column used to wrap a character a line)
    lines_of = "e => { const r = document.createRange(); r.selectNodeContents(e); " \
               "return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"
    first = page.locator("#alerts tbody tr").first
    for i, text in [(0, "检测模型"), (1, "177****0054"), (2, "诈骗呼叫"), (6, "2026-05-03 20:54:00")]:
        cell = first.locator("td").nth(i)
        assert cell.inner_text() == text and cell.evaluate(lines_of) == 1, text
    clamp = first.locator("td.detail .clamp")
    line = float(clamp.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert clamp.bounding_box()["height"] < 3.5 * line  # a long reason is cut at three lines

    page.select_option("#inbox-filters select[name=severity]", "critical")
    page.click("#inbox-filters button[type=submit]")
    page.wait_for_url("**/alerts?*severity=critical*")
    assert page.locator("#inbox-count strong").inner_text() == "27"
    assert set(page.locator("#alerts tbody tr td:nth-child(5)").all_inner_texts()) == {"严重"}
    assert page.locator(".pager").count() == 0  # one page

    page.select_option("#inbox-filters select[name=severity]", "")
    page.select_option("#inbox-filters select[name=source]", "detector")
    page.click("#inbox-filters button[type=submit]")
    page.wait_for_url("**/alerts?*source=detector*")
    page.click(".pager a[rel=next]")
    page.wait_for_url("**page=2*")
    assert page.locator(".pager .page-of").inner_text() == "第 2 页 / 共 2 页"
    assert page.locator("#alerts tbody tr").count() == 5
    assert page.locator("#alerts tbody tr td:nth-child(2)").first.inner_text() == "177****0004"
    assert page.locator("#inbox-filters select[name=source]").input_value() == "detector"
