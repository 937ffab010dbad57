"""The market-regulation desk in a real browser: a citizen's tip without login reaches the officer's queue;
an officer's published consumer warning shows on the public page, which works without JavaScript."""

from __future__ import annotations

import pytest
from helpers import browser_login as _login

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_public_tip_reaches_officer_queue(page, registry, make_user):
    own = registry[0].msisdn
    pw = make_user("scjg", roles=["market_regulator"])

    # a citizen, not signed in, fills in the public form
    page.goto("/tip")
    assert page.locator("h1").inner_text() == "我要举报"
    page.select_option("#tip-category", "health_claims")
    page.fill("#tip-content", "有人打电话给我母亲推销“特效”保健品，说能治糖尿病，已花了2680元。")
    page.fill("#tip-subject", "咸宁康寿健康咨询有限公司")
    page.fill("#tip-numbers", own)
    page.fill("#tip-contact", "13900000007")
    page.click("button[type=submit]")
    receipt = page.locator("#receipt").inner_text().strip()
    assert receipt.startswith("SCJG-W-") and "回执编号" in page.content()

    # the officer finds it in the queue, with its number linked to the operator's line and an alert
    _login(page, "scjg", pw)
    page.goto("/market/tips")
    row = page.locator("#tips tbody tr", has_text=receipt)
    assert row.count() == 1
    text = row.inner_text()
    assert "咸宁康寿健康咨询有限公司" in text and "网上" in text and "新收" in text and own not in text
    row.locator("a").click()
    page.wait_for_url("**/market/tips/*")
    numbers = page.locator("#tip-numbers tbody tr").first.inner_text()
    assert own[:3] + "****" + own[7:] in numbers and "是" in numbers
    # the operator's case is named, not linked: the market regulator may not open cases (it would answer 403)
    assert "案件 #" in numbers and page.locator("#tip-numbers a[href^='/cases/']").count() == 0
    assert "139****0007" in page.content() and "13900000007" not in page.content()  # contact masked

    # triage: assign to self
    page.select_option("#triage-assignee", "scjg")
    page.fill("#triage-note", "已电话回访举报人")
    page.click("#triage-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#tip-status").inner_text() == "已分派"
    assert "已电话回访举报人" in page.locator("#tip-timeline").inner_text()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_published_warning_on_public_page(page, live_server, make_user):
    pw = make_user("scjg", roles=["market_regulator"])
    _login(page, "scjg", pw)
    page.goto("/market/warnings")
    page.fill("#warning-title", "警惕“免费体检”背后的高价保健品")
    page.select_option("#warning-category", "fake_promotion")
    page.fill("#warning-body", "近期有商家以免费体检、健康讲座为名吸引老年人。\n\n不要当场购买，先和子女商量。")
    page.click("#warning-form button[type=submit]")
    page.wait_for_url("**/market/warnings")
    assert "草稿" in page.locator("#warnings").inner_text()

    # a draft is not public
    public = page.context.browser.new_context(base_url=live_server, java_script_enabled=False, locale="zh-CN")
    reader = public.new_page()
    reader.goto("/warnings")
    assert "警惕“免费体检”" not in reader.content()

    page.locator("#warnings tr", has_text="警惕").locator("button").click()
    page.wait_for_url("**/market/warnings")
    assert "已发布" in page.locator("#warnings").inner_text()

    # an elderly reader, no login, no JavaScript: the warning is listed and readable, in large type
    reader.goto("/warnings")
    reader.click("text=警惕“免费体检”背后的高价保健品")
    reader.wait_for_url("**/warnings/*")
    article = reader.locator("#warning")
    assert "不要当场购买，先和子女商量。" in article.inner_text()
    assert article.locator("p").count() == 3  # date line + two paragraphs
    url = reader.url
    public.close()
    # large type and high contrast, measured in the rendered page
    page.goto(url)
    style = page.eval_on_selector("#warning p:last-of-type",
                                  "e => [getComputedStyle(e).fontSize, getComputedStyle(e).color, "
                                  "getComputedStyle(document.body).backgroundColor]")  # fmt: skip
    assert float(style[0].removesuffix("px")) >= 22 and style[1:] == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_gbk_tip_file_imports_from_the_page(page, registry, make_user, tmp_path):
    """What Excel saves as CSV on Chinese Windows (GBK) imports from the page with the Chinese summary."""
    pw = make_user("scjg", roles=["market_regulator"])
    data = ("tip_id,received_at,channel,category,subject_name,phone_numbers,content,reporter_contact\r\n"
            f"G1,2026-11-02 09:30,12315,health_claims,颐和养生馆,{registry[0].msisdn},免费体检后推销保健品,\r\n"
            "G2,2026-11-02 09:40,传真,health_claims,,,渠道不对,\r\n")  # fmt: skip
    path = tmp_path / "线索.csv"
    path.write_bytes(data.encode("gbk"))
    _login(page, "scjg", pw)
    page.goto("/market/tips")
    assert "GBK/GB18030" in page.locator("#tip-import").inner_text()
    page.set_input_files("#tip-import input[type=file]", str(path))
    page.click("#tip-import button[type=submit]")
    page.wait_for_load_state()
    summary = page.locator("#import-summary").inner_text()
    assert "共 2 行，新增 1" in summary and "隔离 1 行" in summary and "来源渠道（channel） 1 行" in summary
    assert page.locator("#tips tbody tr", has_text="颐和养生馆").count() == 1  # the name intact, not mojibake
