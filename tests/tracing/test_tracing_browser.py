"""One browser walk of 溯源分析: trace a seed, see the graph drawn, pick lines in it, open a case, get the report."""

from __future__ import annotations

import pytest


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_trace_graph_case_and_report(page, live_server, make_user, province):
    password = make_user("analyst_b", roles=["analyst"])
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/login?next=/trace")
    page.fill("input[name=username]", "analyst_b")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/trace")
    page.fill("#seeds", province.seed)
    page.click("#trace-submit")
    page.wait_for_url("**/trace/runs/*")

    # The graph is drawn by /static/trace.js from the server's layout: circles for nodes, lines for edges.
    page.wait_for_selector("#trace-graph svg circle.node")
    n_nodes = page.locator("#trace-graph circle.node").count()
    assert n_nodes > 3 and page.locator("#trace-graph circle.node.seed").count() == 1
    assert page.locator("#trace-graph line.edge").count() >= n_nodes - 1
    # Filtering an edge type in the legend hides its edges.
    cell_edges = page.locator("#trace-graph line.et-cell").count()
    if cell_edges:
        page.locator('#graph-legend input[value="cell"]').uncheck()
        assert page.locator("#trace-graph line.et-cell.hidden").count() == cell_edges

    # Clicking the first ranked line's node in the graph ticks it in the list; the second is ticked in the list.
    first = page.locator("#rank-1").get_attribute("data-node")
    page.locator(f'#trace-graph circle[data-id="{first}"]').click()
    assert page.locator("#rank-1 input[type=checkbox]").is_checked()
    assert "selected" in page.locator(f'#trace-graph circle[data-id="{first}"]').get_attribute("class")
    page.locator("#rank-2 input[type=checkbox]").check()
    assert page.locator("#traffic svg.traffic").count() >= 2

    page.click("#open-case")
    page.wait_for_url("**/trace/runs/*")
    assert page.locator("#case-link").is_visible()
    # Progress is polled until the report is done; then its links appear.
    # The report job's progress bar (static/jobs.js) runs until done, then the report's links show.
    page.wait_for_selector("li.report a.pdf", state="visible", timeout=90_000)
    page.click("#case-link")
    page.wait_for_url("**/cases/*")
    assert page.locator("#lines tbody tr").count() >= 2
    assert page.locator('#trace-reports a[href$="report.pdf"]').count() == 1
    assert not errors, errors
