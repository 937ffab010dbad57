"""The whole path in a real browser, as the different users: alert → case → L1 → L2 → suspend → appeal →
re-verification → restore. Each page is checked for what that user must (and must not) see."""

from __future__ import annotations

import pytest
from helpers import browser_login as _login

pytestmark = pytest.mark.browser

TRAFFIC = [[f"2026-05-03T{h:02d}:00:00+08:00", c, o] for h, c, o in [(18, 3, 1), (19, 40, 38), (20, 152, 150),
                                                                       (21, 120, 118)]]  # fmt: skip


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_alert_to_restore_walk(page, live_server, registry, make_user, api_headers):
    import httpx

    line = registry[1]  # 18907150002, owner 张三丰, shop S001
    masked = line.msisdn[:3] + "****" + line.msisdn[7:]
    users = {name: make_user(name, roles=[role], shops=shops) for name, role, shops in [
        ("ana", "analyst", []), ("rev1", "reviewer_l1", []), ("rev2", "reviewer_l2", []),
        ("rev3", "reviewer_l3", []), ("clerk", "clerk", ["S001"])]}  # fmt: skip

    # 1. the monitoring service raises an alert through the API
    r = httpx.post(f"{live_server}/api/alerts", headers=api_headers("ana"), json={
        "source": "monitor", "subject_type": "msisdn", "subject": line.msisdn, "detector": "fraud_caller",
        "score": 0.88, "reasons": "1小时内外呼152次，平均通话6秒", "evidence": {"traffic": TRAFFIC, "calls_1h": 152},
        "event_time": "2026-05-03T21:15:02+08:00"})  # fmt: skip
    assert r.status_code == 200, r.text
    case_id = r.json()["case_id"]
    assert r.json()["subject"] == masked

    # 2. the analyst sees it in the inbox, masked, linked to its case
    _login(page, "ana", users["ana"])
    page.goto("/alerts")
    inbox = page.locator("#alerts").inner_text()
    assert masked in inbox and "诈骗呼叫" in inbox and "实时监测" in inbox and "1小时内外呼152次" in inbox
    assert "fraud_caller" not in inbox and "monitor" not in inbox and line.msisdn not in page.content()
    page.click(f"a[href='/cases/{case_id}']")
    page.wait_for_url(f"**/cases/{case_id}")
    assert page.locator("#actions").count() == 0  # an analyst reviews nothing

    # 3. L1: the case is in their queue; only L1 buttons; the evidence has the traffic chart and reasons
    _login(page, "rev1", users["rev1"])
    page.goto("/cases")
    assert "我的待办：待一级稽核" in page.content() and f"/cases/{case_id}" in page.content()
    page.goto(f"/cases/{case_id}")
    assert page.locator("#case-state").inner_text() == "待一级稽核"
    assert page.locator("#traffic svg.traffic rect.calls").count() == len(TRAFFIC)
    assert "1小时内外呼152次" in page.locator("#evidence").inner_text()
    assert page.locator("button[data-action=l2_approve]").count() == 0
    assert {b.get_attribute("data-action") for b in page.locator("#actions button").all()} == {"l1_verify", "l1_dismiss"}
    page.fill("form.action-verify input[name=note]", "通话记录与举报一致")
    page.click("button[data-action=l1_verify]")
    page.wait_for_url(f"**/cases/{case_id}")
    assert page.locator("#case-state").inner_text() == "待二级审批"
    assert page.locator("#actions").count() == 0  # rev1 cannot also approve

    # 4. L2 approves a suspension; the order goes out and the line is suspended
    _login(page, "rev2", users["rev2"])
    page.goto(f"/cases/{case_id}")
    assert "通话记录与举报一致" in page.locator("#timeline").inner_text()
    page.select_option("#measure-select", "suspend")
    page.click("button[data-action=l2_approve]")
    page.wait_for_url(f"**/cases/{case_id}")
    assert page.locator("#case-state").inner_text() == "已处置"
    assert "已执行" in page.locator("#orders").inner_text()
    assert "停机" in page.locator("#lines").inner_text()
    timeline = page.locator("#timeline").inner_text()
    assert "待一级稽核 → 待二级审批" in timeline and "待二级审批 → 已处置" in timeline

    # 5. the owner appeals at the counter; the clerk sees no case pages, only the appeal
    _login(page, "clerk", users["clerk"])
    page.goto(f"/cases/{case_id}")
    assert "无此权限" in page.content()
    page.goto("/appeals")
    page.fill("#appeal-msisdn", line.msisdn)
    page.fill("#appeal-statement", "本人做生意，通话多属正常")
    page.click("#file-appeal button[type=submit]")
    page.wait_for_url("**/appeals/*")
    assert page.locator("#appeal-status").inner_text() == "待核验"
    assert page.locator("#decision").count() == 0 and line.msisdn not in page.content()

    # 6. re-verification: the owner present with their ID
    page.fill("#rv-id", line.id_no)
    page.check("#rv-present")
    page.fill("#rv-purpose", "个人经营联系客户")
    page.click("#reverify button[type=submit]")
    page.wait_for_url("**/appeals/*")
    assert page.locator("#appeal-status").inner_text() == "核验通过，待决定"
    checks = page.locator("#reverifications").inner_text()
    assert "一致" in checks and line.id_no not in page.content() and line.id_no[:4] + "*" in checks
    appeal_url = page.url

    # 7. a reviewer upholds the appeal: the line is restored at once
    _login(page, "rev3", users["rev3"])
    page.goto(appeal_url)
    page.fill("#decision-note", "核验属实，误报")
    page.click("#uphold")
    page.wait_for_url(appeal_url)
    assert page.locator("#appeal-status").inner_text() == "申诉成立，已恢复"
    page.goto(f"/cases/{case_id}")
    assert "正常" in page.locator("#lines .line-status").first.inner_text()
    orders = page.locator("#orders").inner_text()
    assert "恢复" in orders and orders.count("已执行") == 2
    assert "申诉成立" in page.locator("#timeline").inner_text()
    assert page.evaluate("document.scripts.length") == 0
