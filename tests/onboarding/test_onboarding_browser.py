"""The counter in a real browser: pass, escalate (student, three lines), refuse (blacklisted); the L2 reviewer
decides the escalation; the customer signs on the canvas and the notice PDF downloads with selectable Chinese."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta

import pytest

from onboarding.onboarding_support import make_id, years_ago

pytestmark = pytest.mark.browser


def _login(page, username, password):
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def _check(page, id_no, name, mobile=1, purpose="本人日常使用"):
    page.goto("/onboarding")
    page.fill("#id_no", id_no)
    page.fill("#name", name)
    page.fill("#count_mobile", str(mobile))
    page.fill("#purpose", purpose)
    page.click("#check-submit")
    page.wait_for_url("**/onboarding/checks/*")
    return page.get_attribute("#verdict", "data-decision"), page.inner_text("#reasons")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_counter_end_to_end(page, make_user, web_app, tmp_path):
    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.blacklist import flows as blacklist_flows
    from fanzha.casework.registry.models import Shop
    from fanzha.db import session_scope

    banned = make_id("421202", date(1992, 7, 7), 35)
    csv_path = tmp_path / "police.csv"
    csv_path.write_text("id_no,name,case_no,decided_on,ban_years,keep_msisdn\n"
                        f"{banned},黄九,咸公(刑)2026-088,{date.today() - timedelta(days=20)},5,\n", encoding="utf-8")  # fmt: skip
    with session_scope(web_app.state.engine) as db:
        db.add(Shop(shop_id="S001", name="咸安营业厅"))
        blacklist_flows.import_csv(db, key=web_app.state.audit_key, protector=web_app.state.protector,
                                   actor=Principal.system("test"), path=csv_path)  # fmt: skip
    clerk_pw = make_user("counter_clerk", roles=["clerk"], shops=["S001"])
    rev_pw = make_user("l2_reviewer", roles=["reviewer_l2"])

    _login(page, "counter_clerk", clerk_pw)
    normal_id = make_id("421202", date(1984, 10, 1), 77)
    decision, _ = _check(page, normal_id, "林十")
    assert decision == "pass"
    assert normal_id not in page.content() and "林十" not in page.content()
    # 三查询: the lines already held, here and at the other carriers, on the card and beside the step
    assert "一证通查：名下在用号码共" in page.inner_text("#holdings") and "本运营商 0 个" in page.inner_text("#holdings")
    assert "名下在用号码" in page.inner_text("#steps")
    normal_url = page.url

    # the six steps, in order, each stamped with a time
    for _ in range(6):
        page.locator("button.step-done").first.click()
        page.wait_for_load_state()
    assert page.locator("#steps .done").count() == 6
    # the customer signs on the canvas (pointer events), then the notice is stored
    page.locator("#signature-submit").scroll_into_view_if_needed()  # mouse coordinates are the viewport's
    box = page.locator("#signature-pad").bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 110)
    page.mouse.down()
    for i in range(1, 30):
        page.mouse.move(box["x"] + 30 + i * 12, box["y"] + 110 + (35 if i % 4 < 2 else -35), steps=2)
    page.mouse.up()
    page.click("#signature-submit")
    page.wait_for_selector("#notice-link")
    with page.expect_download() as dl:
        page.click("#notice-link")
    pdf_path = tmp_path / "notice.pdf"
    dl.value.save_as(pdf_path)
    assert pdf_path.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
        assert "防范电信网络诈骗承诺书" in text and "林十" in text and "一观察" in text

    decision, reasons = _check(page, make_id("421202", years_ago(19), 57), "何同学", mobile=3, purpose="学校用")
    assert decision == "escalate" and "学生" in reasons
    student_url = page.url

    decision, reasons = _check(page, banned, "黄九")
    assert decision == "refuse" and "惩戒名单" in reasons and "咸公(刑)2026-088" in reasons

    page.click("button.link")  # 退出
    page.wait_for_url("**/login**")
    _login(page, "l2_reviewer", rev_pw)
    page.goto("/review/onboarding")
    row = page.locator("#queue tr[data-check]")
    assert row.count() == 1 and "学生" in row.inner_text()
    row.locator("input[name=note]").fill("本人到场，家长电话确认")
    row.locator("button.approve").click()
    page.wait_for_url("**/review/onboarding")
    assert page.locator("#queue tr[data-check]").count() == 0

    page.click("button.link")
    page.wait_for_url("**/login**")
    _login(page, "counter_clerk", clerk_pw)
    page.goto(student_url)
    assert page.inner_text("#status") == "稽核同意" and page.locator("button.step-done").count() == 1
    page.goto(normal_url)
    assert page.inner_text("#status") == "已签署完成"
