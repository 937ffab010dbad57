"""A real browser (Debian's chromium via Playwright): sign in, look a line up, see it masked."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


# One backend is enough here: the database paths are covered by the other web tests on both.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_login_and_masked_lookup(page, registry, make_user):
    pw = make_user("browser_clerk", roles=["clerk"], shops=["S001"])
    page.goto("/lines")
    assert page.url.endswith("/login?next=/lines")
    page.fill("#username", "browser_clerk")
    page.fill("#password", pw)
    page.click("button[type=submit]")
    page.wait_for_url("**/lines")
    assert "号码查询" in page.title()
    owner = registry[0]
    page.fill("#id_no", owner.id_no)
    page.click("form.search button[type=submit]")
    table = page.locator("#results")
    table.wait_for()
    text = table.inner_text()
    assert "133****0001" in text and "张**" in text
    assert owner.id_no not in page.content() and owner.msisdn not in page.content() and owner.name not in page.content()
    assert page.locator("form[action='/lines/unmask']").count() == 0  # clerks cannot unmask
    # The CSP leaves no room for inline script; the page works without any.
    assert page.evaluate("document.scripts.length") == 0
    page.click("button.link")  # 退出
    page.wait_for_url("**/login**")
    page.goto("/lines")
    assert "/login" in page.url
