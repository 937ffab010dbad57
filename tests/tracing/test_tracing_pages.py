"""The 溯源分析 pages through HTTP: permissions, masking, audit, one-click case, report progress and files."""

from __future__ import annotations

import json
import re
import time

import pytest

# Not inside a hex run (the CSRF token can hold 11 decimal digits in a row by chance).
MOBILE = re.compile(r"(?<![0-9a-fA-F#])1\d{10}(?![0-9a-fA-F])")


def _signed_in(client, make_user, login, name="ana", roles=("analyst",)):
    login(client, name, make_user(name, roles=list(roles)))
    return client


def _run(client, csrf_from, seeds, **form):
    page = client.get("/trace")
    data = {"seeds": seeds, "edge_type": form.pop("edge_type", ["same_id", "device", "counter", "contact", "cell"]),
            "csrf_token": csrf_from(page.text), "top": 15, "hops": 4, **form}
    return client.post("/trace", data=data)


def test_trace_page_runs_and_shows_masked_results(client, make_user, login, csrf_from, province, web_app):
    from sqlalchemy import select

    from fanzha.casework.audit.models import AuditEvent
    from fanzha.db import session_scope

    _signed_in(client, make_user, login)
    page = client.get("/trace")
    assert page.status_code == 200 and "溯源分析" in page.text and 'id="graph-info"' in page.text
    assert "北京时间" in page.text
    res = _run(client, csrf_from, province.seed, since="2026-01-01T08:00")
    assert res.status_code == 303, res.text
    run = client.get(res.headers["location"])
    assert run.status_code == 200
    html = run.text
    assert "时间窗：2026-01-01 08:00:00 至 不限" in html  # typed in Beijing time, shown back in Beijing time
    assert not MOBILE.search(html), MOBILE.search(html).group(0)  # no clear number anywhere on the page
    data = json.loads(re.search(r'<script type="application/json" id="trace-data">(.*?)</script>', html, re.S).group(1))
    assert len(data["nodes"]) > 3 and data["edges"] and [t for t, _ in data["edge_types"]][0] == "same_id"
    assert html.count('name="rank"') == 15 and html.count('class="traffic"') >= 10
    assert '<script src="/static/trace.js"></script>' in html
    with session_scope(web_app.state.engine) as db:
        actions = [e.action for e in db.execute(select(AuditEvent)).scalars()]
    assert "trace.run" in actions and "trace.view" in actions


def test_bad_input_is_a_clear_error_without_echoing_seeds(client, make_user, login, csrf_from, province):
    _signed_in(client, make_user, login)
    res = _run(client, csrf_from, "13999999999")
    assert res.status_code == 422 and "no seed is in the graph" in res.text and "13999999999" not in res.text
    res = _run(client, csrf_from, province.seed, edge_type=[])
    assert res.status_code == 422 and "至少选择一种关联类型" in res.text
    res = _run(client, csrf_from, province.seed, since="2026-12-01T00:00", until="2026-01-01T00:00")
    assert res.status_code == 422 and "since is after until" in res.text
    res = _run(client, csrf_from, province.seed, since="yesterday")
    assert res.status_code == 422 and "invalid time" in res.text


def test_permissions(client, make_user, login, csrf_from, province):
    _signed_in(client, make_user, login, "clerk1", ("clerk",))
    assert client.get("/trace").status_code == 403
    client.cookies.clear()
    assert client.get("/trace").status_code == 303  # to the login page
    # Without CSRF the form is refused.
    _signed_in(client, make_user, login, "ana2")
    assert client.post("/trace", data={"seeds": province.seed, "edge_type": ["same_id"]}).status_code == 403


def test_one_click_case_and_report_listed_with_the_case(client, make_user, login, csrf_from, province, web_app):
    _signed_in(client, make_user, login)
    run_url = _run(client, csrf_from, province.seed).headers["location"]
    run_id = int(run_url.rsplit("/", 1)[1])
    page = client.get(run_url)
    assert 'id="include-seeds"' in page.text
    res = client.post(f"{run_url}/case", data={"rank": ["1", "3"], "include_seeds": "true",
                                               "csrf_token": csrf_from(page.text)})
    assert res.status_code == 303
    page = client.get(run_url)
    case_id = int(re.search(r'href="/cases/(\d+)" id="case-link"', page.text).group(1))
    rep_id = int(re.search(r'data-report="(\d+)"', page.text).group(1))
    # The report is a page job: its progress URL (polled by static/jobs.js) reports it done.
    from fanzha.casework.tracing.models import TraceReport, TraceRun
    from fanzha.db import session_scope

    with session_scope(web_app.state.engine) as db:
        progress_url = f"/jobs/{db.get(TraceReport, rep_id).job_id}/progress"
    deadline = time.monotonic() + 120
    while not (status := client.get(progress_url).json())["finished"]:
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert status["state"] == "done" and status["percent"] == 100, status
    pdf = client.get(f"/trace/reports/{rep_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-" and "attachment" in pdf.headers["content-disposition"]
    html = client.get(f"/trace/reports/{rep_id}/report.html")
    assert "溯源报告" in html.text and f"溯源 #{run_id}" in html.text and "sandbox" in html.headers["content-security-policy"]
    case = client.get(f"/cases/{case_id}")
    assert f"/trace/reports/{rep_id}/report.pdf" in case.text
    from fanzha.casework.cases import service as cases

    with session_scope(web_app.state.engine) as db:
        subjects = set(cases.subject_msisdns(db, case_id=case_id))
        run = json.loads(db.get(TraceRun, run_id).result)
    assert subjects == {province.seed, run["ranked"][0]["msisdn"], run["ranked"][2]["msisdn"]}
    assert case.text.count('class="masked"') >= 2
    assert client.get("/trace/reports/99999/report.pdf").status_code == 404
    assert client.get(f"/trace/reports/{rep_id}/report.exe").status_code == 404
    # No line chosen: a clear refusal.
    res = client.post(f"{run_url}/case", data={"csrf_token": csrf_from(page.text)})
    assert res.status_code == 422


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_page_explains_a_missing_graph(client, make_user, login, web_app, tmp_path):
    web_app.state.settings = web_app.state.settings.model_copy(update={"graph_dir": tmp_path / "none"})
    _signed_in(client, make_user, login)
    page = client.get("/trace")
    assert page.status_code == 200 and "fanzha graph build" in page.text and 'id="graph-missing"' in page.text


def test_seed_by_id_number(client, make_user, login, csrf_from, province, web_app):
    from sqlalchemy import select

    from fanzha.casework.tracing.models import TraceRun
    from fanzha.db import session_scope
    from fanzha.privacy import mask_id

    _signed_in(client, make_user, login)
    res = _run(client, csrf_from, province.seed_owner.lower(), edge_type=["same_id"])
    assert res.status_code == 303, res.text
    html = client.get(res.headers["location"]).text
    assert mask_id(province.seed_owner) in html and province.seed_owner not in html
    with session_scope(web_app.state.engine) as db:
        run = db.execute(select(TraceRun)).scalar_one()
        ranked = {r["msisdn"] for r in json.loads(run.result)["ranked"]}
    # From the ID: every line registered to it, the seed line included.
    assert ranked == province.owner_lines | {province.seed}
    assert province.seed_owner not in run.result and province.seed_owner not in run.seeds_masked
