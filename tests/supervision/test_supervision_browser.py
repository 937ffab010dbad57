"""After the demo: each role logs in, its dashboard is screenshotted, charts have data and the numbers shown
agree with the database (queried here independently of the KPI module)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("demo")]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
ROLES = ["supervisor", "analyst", "admin", "market_regulator", "police_liaison", "reviewer_l1", "reviewer_l2",
         "reviewer_l3", "clerk"]


@pytest.fixture(scope="module")
def browser(demo_server):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (scripts/system-packages.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _db_truth(demo) -> dict:
    """The headline numbers straight from the tables (today's 30-day window covers the demo's decisions)."""
    from fanzha.casework.appeals.models import Appeal
    from fanzha.casework.cases.models import Case
    from fanzha.casework.measures.models import MeasureOrder
    from fanzha.db import engine_for, session_scope

    with session_scope(engine_for(demo.settings.db_url)) as db:
        return {
            "shut_total": db.scalar(select(func.count(func.distinct(MeasureOrder.msisdn))).where(
                MeasureOrder.status == "done", MeasureOrder.measure != "restore")),
            "cases_open": db.scalar(select(func.count()).select_from(Case).where(
                Case.state.in_(["open", "l1_verified", "awaiting_l3"]))),
            "appeals_filed": db.scalar(select(func.count()).select_from(Appeal)),
            "appeals_upheld": db.scalar(select(func.count()).select_from(Appeal).where(Appeal.status == "upheld")),
        }  # fmt: skip


def _visible_panels(demo, role: str) -> list[str]:
    from fanzha.casework.auth.principal import Principal
    from fanzha.supervision import panels

    return [p.key for p in panels.visible(Principal(user_id=None, username="x", roles=frozenset({role})))]


@pytest.mark.parametrize("role", ROLES)
def test_dashboard_by_role_after_demo(role, demo, demo_server, browser, tmp_path_factory):
    context = browser.new_context(base_url=demo_server, locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto("/login")
        page.fill("input[name=username]", f"demo_{role}")
        page.fill("input[name=password]", demo.accounts[f"demo_{role}"])
        page.click("button[type=submit]")
        page.wait_for_load_state()
        shot = tmp_path_factory.mktemp("shots") / f"dashboard-{role}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        expected = _visible_panels(demo, role)
        shown = page.eval_on_selector_all("section.panel", "els => els.map(e => e.dataset.panel)")
        assert shown == expected
        if not expected:  # no panel for this role yet: the home page shows its tiles, not an empty dashboard
            assert "工作台" in page.content()
            return
        # Every panel with data draws its chart with bars whose values add up to the chart's total.
        for key in expected:
            panel = page.locator(f"section.panel[data-panel={key}]")
            if panel.get_attribute("data-empty") == "true":
                assert "暂无数据" in panel.inner_text()
                continue
            svg = panel.locator("svg.chart")
            if svg.count():
                values = [float(v.replace(",", "")) for v in svg.locator("rect.bar").evaluate_all(
                    "els => els.map(e => e.dataset.value)")]  # fmt: skip
                assert sum(values) > 0, key
                assert sum(values) == pytest.approx(float(svg.get_attribute("data-total").replace(",", ""))), key
        if "shut_lines" in expected:
            truth = _db_truth(demo)
            for key, value in truth.items():
                figure = page.locator(f'[data-kpi="{key}"]')
                assert figure.get_attribute("data-value") == str(value), key
                assert f"{value:,}" in figure.inner_text()
            assert truth["shut_total"] > 0 and truth["appeals_upheld"] == 1 and truth["cases_open"] > 0
        if "clues" in expected and page.locator("section.panel[data-panel=clues]").get_attribute("data-empty") == "false":
            from fanzha.casework.police.models import ClueBatch
            from fanzha.db import engine_for, session_scope

            with session_scope(engine_for(demo.settings.db_url)) as db:
                batches = db.scalar(select(func.count()).select_from(ClueBatch).where(ClueBatch.exported_at.is_not(None)))
            assert page.locator('[data-kpi="clue_batches"]').get_attribute("data-value") == str(batches) != "0"
    finally:
        context.close()
