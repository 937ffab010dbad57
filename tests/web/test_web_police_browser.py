"""The police desk in a real browser: an approved query (result within the granted scope, masked), a refused one
(nothing shown, the reason is), and a clue batch whose downloaded files match the manifest's SHA-256."""

from __future__ import annotations

import pytest

from police_seed import FRAUD, seed

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def _login(page, user, pw):
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("#username", user)
    page.fill("#password", pw)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def _ask(page, *, scopes, purpose):
    page.goto("/police")
    page.select_option("#subject_type", "msisdn")
    page.fill("#subject", FRAUD)
    page.fill("#case_no", "A4212022611000123")
    page.fill("#legal_basis", "《中华人民共和国刑事诉讼法》第五十四条")
    page.fill("#purpose", purpose)
    for s in scopes:
        page.check(f"#new-query input[name=scopes][value={s}]")
    page.click("#new-query button[type=submit]")
    page.wait_for_url("**/police/queries/*")
    assert page.locator("#status").inner_text() == "待审批"
    return int(page.url.split("/police/queries/")[1].split("?")[0])


@pytest.fixture
def desk(web_app, make_user, tmp_path):
    world = seed(web_app.state.engine, web_app.state.settings, tmp_path)
    users = {"jingguan": make_user("jingguan", roles=["police_liaison"]), "dudao": make_user("dudao", roles=["supervisor"])}
    return world, users


def test_approved_query_shows_granted_scope_masked(page, desk, web_app):
    from sqlalchemy import select

    from fanzha.casework.audit.models import AuditEvent
    from fanzha.db import session_scope

    world, users = desk
    _login(page, "jingguan", users["jingguan"])
    qid = _ask(page, scopes=["owner", "lines", "calls"], purpose="侦办冒充客服诈骗案，核查主叫号码机主与通话")

    _login(page, "dudao", users["dudao"])
    page.goto("/police/review")
    card = page.locator(f"#query-{qid}")
    assert "A4212022611000123" in card.inner_text() and "133****0001" in card.inner_text()
    card.locator("input[name=scopes][value=lines]").uncheck()  # grant less than asked
    card.locator("input[name=note]").fill("立案文书齐全，同意查询机主与通话摘要")
    card.locator("button[value=approve]").click()
    page.wait_for_url("**/police/review")
    assert "立案文书齐全" in page.locator("#decided").inner_text()

    _login(page, "jingguan", users["jingguan"])
    page.goto(f"/police/queries/{qid}")
    assert page.locator("#status").inner_text() == "已批准"
    assert page.locator("#scope-owner").count() == 1 and page.locator("#scope-calls").count() == 1
    assert page.locator("#scope-lines").count() == 0  # asked for, not granted: not shown
    owner = page.locator("#scope-owner").inner_text()
    assert "张**" in owner and world.owner_id[:4] + "**********" + world.owner_id[-4:] in owner
    calls = page.locator("#scope-calls tbody tr").first.inner_text()
    assert "133****0001" in calls and "\t13\t12\t1\t9\t5\t" in calls
    html = page.content()
    assert FRAUD not in html and world.owner_id not in html and "张三丰" not in html
    with session_scope(web_app.state.engine) as db:
        views = db.execute(select(AuditEvent).where(AuditEvent.action == "police.query.view")).scalars().all()
        assert [v.actor for v in views] == ["jingguan"]


def test_refused_query_shows_reason_and_no_data(page, desk, web_app):
    world, users = desk
    _login(page, "jingguan", users["jingguan"])
    qid = _ask(page, scopes=["owner", "devices"], purpose="排查可疑号码")

    _login(page, "dudao", users["dudao"])
    page.goto("/police/review")
    card = page.locator(f"#query-{qid}")
    card.locator("input[name=note]").fill("未提供立案决定书，不予查询")
    card.locator("button[value=refuse]").click()
    page.wait_for_url("**/police/review")
    assert page.locator(f"#query-{qid}").count() == 0

    _login(page, "jingguan", users["jingguan"])
    page.goto(f"/police/queries/{qid}")
    assert page.locator("#status").inner_text() == "已拒绝"
    assert "未提供立案决定书" in page.locator("#refused").inner_text()
    assert page.locator("#result").count() == 0 and "张**" not in page.content()
    # the supervisor cannot open the officer's result page either
    _login(page, "dudao", users["dudao"])
    assert page.goto(f"/police/queries/{qid}").status == 404


def test_clue_batch_export_downloads_match_manifest(page, desk, tmp_path):
    import hashlib
    import json

    from fanzha.casework.police.exports import verify_manifest

    world, users = desk
    _login(page, "dudao", users["dudao"])
    page.goto("/police/batches")
    page.fill("#title", "11月冒充客服诈骗线索")
    page.fill("#recipient", "咸宁市公安局反诈中心")
    page.check(f"#new-batch input[name=case_ids][value='{world.case_id}']")
    page.check(f"#new-batch input[name=simbank_alert_ids][value='{world.simbank_alert_id}']")
    page.click("#new-batch button[type=submit]")
    page.wait_for_url("**/police/batches/*")
    batch_no = page.locator("#batch-no").inner_text()
    assert batch_no.startswith("XS-") and page.locator("#batch-status").inner_text() == "草稿"
    assert page.locator("#lines tbody tr").count() == 5 and FRAUD not in page.content()  # masked on the page
    page.click("#export button")
    page.wait_for_selector("#files")
    assert page.locator("#batch-status").inner_text() == "已导出移交"

    got = {}
    for link in page.locator("#files a").all():
        with page.expect_download() as dl:
            link.click()
        path = tmp_path / dl.value.suggested_filename
        dl.value.save_as(path)
        got[path.name] = path
    assert set(got) == {"lines.csv", "evidence.csv", "clues.xlsx", "summary.pdf", "manifest.json", f"{batch_no}.zip"}
    manifest = json.loads(got["manifest.json"].read_text(encoding="utf-8"))
    assert manifest["batch_no"] == batch_no and manifest["line_count"] == 5
    for entry in manifest["files"]:  # re-hash every downloaded file against the manifest
        assert hashlib.sha256(got[entry["name"]].read_bytes()).hexdigest() == entry["sha256"], entry["name"]
    assert len(manifest["files"]) == 4
    shown = page.locator("#manifest-sha").inner_text()
    assert hashlib.sha256(got["manifest.json"].read_bytes()).hexdigest() == shown
    assert verify_manifest(got[f"{batch_no}.zip"]).ok  # the one-zip download verifies too
    assert FRAUD in got["lines.csv"].read_text(encoding="utf-8-sig")  # the package carries the clear numbers

    _login(page, "jingguan", users["jingguan"])
    page.goto("/police/batches")
    page.click(f"text={batch_no}")
    form = page.locator("#feedback-form")
    form.locator("input[name=arrests]").fill("2")
    form.locator("input[name=devices_seized]").fill("1")
    form.locator("input[name=cards_seized]").fill("3")
    form.locator("input[name=note]").fill("捣毁猫池窝点一处")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#notice")
    assert [page.locator(f"#total-{k}").inner_text() for k in ("arrests", "devices", "cards")] == ["2", "1", "3"]
    assert "捣毁猫池窝点一处" in page.locator("#feedback").inner_text()
    assert page.locator("#new-batch").count() == 0 and page.locator("#export").count() == 0  # officer: no export
