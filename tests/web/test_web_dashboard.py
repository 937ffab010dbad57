"""督导看板 through the app: dashboard by role, filters, CSV/XLSX exports, the report job with its progress."""

from __future__ import annotations

import csv
import io
import time

import pytest
from supervision_support import build_scenario


@pytest.fixture
def history(web_app):
    return build_scenario(web_app.state.engine)


def _figure(html: str, key: str) -> str:
    import re

    m = re.search(rf'data-kpi="{key}" data-value="([^"]*)"', html)
    assert m, f"figure {key} not on the page"
    return m.group(1)


def _norm(value):
    """CSV cells are text, XLSX cells typed: compare numbers as numbers."""
    if value is None or value == "":
        return ""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def test_supervisor_home_is_the_dashboard_with_filters(client, make_user, login, history):
    login(client, "sup", make_user("sup", roles=["supervisor"]))
    home = client.get("/")
    assert home.status_code == 200 and "督导看板" in home.text and 'href="/audit"' in home.text
    assert _figure(home.text, "shut_total") == "2" and _figure(home.text, "appeals_upheld") == "1"
    assert 'class="chart"' in home.text and "生成督导报表" in home.text
    xian_an = client.get("/dashboard", params={"county": "421202"})
    assert xian_an.status_code == 200 and _figure(xian_an.text, "shut_total") == "1"
    assert "咸安区" in xian_an.text
    empty = client.get("/dashboard", params={"start": "2020-01-01", "end": "2020-01-31"})
    assert 'data-panel="shut_lines" data-empty="true"' in empty.text and "暂无数据" in empty.text
    bad = client.get("/dashboard", params={"start": "2026-13-01"})
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text


def test_roles_see_what_their_permissions_allow(client, make_user, login, history):
    login(client, "clerk", make_user("clerk", roles=["clerk"], shops=["S001"]))
    assert "督导看板" not in client.get("/").text  # tiles, not a dashboard
    assert client.get("/dashboard").status_code == 403
    client.cookies.clear()
    login(client, "ana", make_user("ana", roles=["analyst"]))
    page = client.get("/dashboard")
    assert page.status_code == 200 and "/dashboard/export/" not in page.text  # analysts hold no export permission
    assert client.get("/dashboard/export/backlog.csv").status_code == 403


def test_every_panel_exports_csv_and_xlsx_matching_the_table(client, make_user, login, history):
    from openpyxl import load_workbook

    from fanzha.casework.auth.principal import Principal
    from fanzha.supervision import panels

    login(client, "sup2", make_user("sup2", roles=["supervisor"]))
    sup = Principal(user_id=None, username="sup2", roles=frozenset({"supervisor"}))
    for panel in panels.visible(sup):
        r = client.get(f"/dashboard/export/{panel.key}.csv")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert "filename*=UTF-8''" in r.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        x = client.get(f"/dashboard/export/{panel.key}.xlsx")
        assert x.status_code == 200
        ws = load_workbook(io.BytesIO(x.content)).active
        values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
        assert values[0][0] == panel.title
        if len(rows) > 1:  # the XLSX holds the same header and rows as the CSV
            start = next(i for i, v in enumerate(values) if list(v[:len(rows[0])]) == rows[0])
            body = [[_norm(c) for c in v[:len(rows[0])]] for v in values[start + 1:start + len(rows)]]
            assert body == [[_norm(c) for c in row] for row in rows[1:]], panel.key
    shut = list(csv.reader(io.StringIO(client.get("/dashboard/export/shut_lines.csv").content.decode("utf-8-sig"))))
    assert shut[0] == ["日期", "检测器", "检测器名称", "处置号码数"]
    assert sorted((r[1], r[3]) for r in shut[1:]) == [("fraud_caller", "1"), ("simbox", "1")]


def test_report_job_shows_progress_and_delivers_a_workbook(client, make_user, login, csrf_from, history):
    from openpyxl import load_workbook

    login(client, "sup3", make_user("sup3", roles=["supervisor"]))
    page = client.get("/dashboard")
    r = client.post("/dashboard/report", data={"csrf_token": csrf_from(page.text), "start": "", "end": "",
                                               "county": "421281"})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    job_url = r.headers["location"]
    shown = client.get(job_url)
    assert shown.status_code == 200 and "<progress" in shown.text and "/static/jobs.js" in shown.text
    deadline = time.monotonic() + 60
    while True:  # the page polls the same URL
        status = client.get(f"{job_url}/progress").json()
        if status["finished"] or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status["state"] == "done", status
    assert status["percent"] == 100 and status["done"] == status["total"] >= 7
    wb = load_workbook(io.BytesIO(client.get(status["result_url"]).content))
    assert "处置号码（按检测器、按日）" in wb.sheetnames and "赤壁市" in wb.worksheets[0]["A2"].value
    # Someone else cannot see or download the job.
    client.cookies.clear()
    login(client, "sup4", make_user("sup4", roles=["supervisor"]))
    assert client.get(f"{job_url}/progress").status_code == 404
    assert client.get(status["result_url"]).status_code == 404


def test_api_kpis_with_bearer_token(client, make_user, api_headers, history):
    make_user("apisup", roles=["supervisor"])
    body = client.get("/api/kpis", headers=api_headers("apisup"), params={"county": "421281"}).json()
    got = {p["key"]: p for p in body["panels"]}
    assert got["shut_lines"]["figures"]["shut_total"] == 1 and body["filter"]["county"] == "421281"
    assert client.get("/api/kpis", params={"start": "bad"}, headers=api_headers("apisup")).status_code == 422
