"""Casework pages and API through the app: queues with overdue marks, role-bound buttons, failed orders visible."""

from __future__ import annotations

from datetime import timedelta

import pytest


@pytest.fixture
def people(make_user):
    return {name: make_user(name, roles=[role], shops=shops) for name, role, shops in [
        ("ana", "analyst", []), ("rev1", "reviewer_l1", []), ("rev2", "reviewer_l2", []), ("clerk", "clerk", ["S001"])]}


def _alert(client, headers, msisdn, score=0.8, **kw):
    r = client.post("/api/alerts", headers=headers, json={
        "source": "report", "subject_type": "msisdn", "subject": msisdn, "detector": "冒充客服", "score": score,
        "reasons": "12321举报", **kw})  # fmt: skip
    assert r.status_code == 200, r.text
    return r.json()


def _as(client, login, name, pw):
    client.cookies.clear()
    assert login(client, name, pw).status_code == 303


def _act(client, csrf_from, case_id, action, **data):
    page = client.get(f"/cases/{case_id}")
    return client.post(f"/cases/{case_id}/action", data={"action": action, "csrf_token": csrf_from(page.text), **data})


def test_queue_overdue_and_buttons_by_role(web_app, client, registry, people, login, api_headers, csrf_from):
    from fanzha.casework.cases.models import Case
    from fanzha.casework.context import utcnow
    from fanzha.db import session_scope

    out = _alert(client, api_headers("ana"), registry[2].msisdn)
    case_id = out["case_id"]
    assert out["subject"] == "153****0003" and not out["merged_into"]
    again = _alert(client, api_headers("ana"), registry[2].msisdn, score=0.9)
    assert again["merged_into"] == out["id"] and again["case_id"] == case_id
    with session_scope(web_app.state.engine) as db:
        db.get(Case, case_id).due_at = utcnow() - timedelta(minutes=5)
    _as(client, login, "rev1", people["rev1"])
    page = client.get("/cases")
    assert page.status_code == 200 and "我的待办：待一级稽核" in page.text and "已超时" in page.text
    assert 'class="overdue"' in page.text
    case = client.get(f"/cases/{case_id}").text
    assert 'data-action="l1_verify"' in case and 'data-action="l2_approve"' not in case
    assert registry[2].msisdn not in case and "153****0003" in case
    # L2 sees no buttons on an open case, and a forged L2 approval is refused without a state change
    _as(client, login, "rev2", people["rev2"])
    case = client.get(f"/cases/{case_id}").text
    assert 'id="actions"' not in case
    r = _act(client, csrf_from, case_id, "l2_approve", measure="suspend")
    assert r.status_code == 409 and "待一级稽核" in r.text
    r = _act(client, csrf_from, case_id, "l1_verify")
    assert r.status_code == 403
    api = client.get(f"/api/cases/{case_id}", headers=api_headers("rev2")).json()
    assert api["state"] == "open" and api["overdue"] is True and api["lines"][0]["msisdn"] == "153****0003"


def test_failed_bss_call_is_visible_and_retryable(web_settings, registry, make_user, login, csrf_from):
    from fastapi.testclient import TestClient

    from fanzha.web.app import create_app

    # a webhook BSS that is not listening: every call fails
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(web_settings.model_copy(update={"bss_adapter": "webhook", "bss_webhook_timeout": 1.0,
                                                     "bss_webhook_url": f"http://127.0.0.1:{port}/x"}))  # fmt: skip
    pws = {n: make_user(n, roles=[r]) for n, r in [("a1", "analyst"), ("r1", "reviewer_l1"), ("r2", "reviewer_l2")]}
    with TestClient(app, follow_redirects=False) as client:
        from fanzha.casework.auth import service
        from fanzha.db import session_scope

        with session_scope(app.state.engine) as db:
            token = service.issue_token(db, user=service.get_user(db, username="a1"), name="t", days=1)
        case_id = _alert(client, {"Authorization": f"Bearer {token}"}, registry[3].msisdn)["case_id"]
        _as(client, login, "r1", pws["r1"])
        assert _act(client, csrf_from, case_id, "l1_verify").status_code == 303
        _as(client, login, "r2", pws["r2"])
        assert _act(client, csrf_from, case_id, "l2_approve", measure="restrict_outgoing").status_code == 303
        page = client.get(f"/cases/{case_id}").text
        assert "重试中" in page and "ConnectError" in page and "/orders/" in page  # retry button present
        import re

        action = re.search(r'action="(/cases/\d+/orders/\d+/retry)"', page).group(1)
        r = client.post(action, data={"csrf_token": csrf_from(page)})
        assert r.status_code == 303
        page = client.get(f"/cases/{case_id}").text
        assert re.search(r"<td>2</td>", page)  # second attempt recorded
        assert "限制呼出" in page and "已执行" not in page


def test_appeal_api_and_scoping(client, registry, people, api_headers, login):
    r = client.post("/api/appeals", headers=api_headers("clerk"), json={"msisdn": registry[0].msisdn,
                                                                       "statement": "我要申诉"})  # fmt: skip
    assert r.status_code == 409 and "未被限制" in r.json()["detail"]
    assert client.post("/api/appeals", headers=api_headers("rev2"), json={"msisdn": registry[0].msisdn,
                       "statement": "x1"}).status_code == 403  # fmt: skip
    _as(client, login, "clerk", people["clerk"])
    page = client.get("/appeals")
    assert page.status_code == 200 and 'id="file-appeal"' in page.text
    assert client.get("/cases").status_code == 403
    assert client.get("/appeals/999").status_code == 404


def test_appeal_page_links_the_case_only_for_who_may_open_it(web_app, client, registry, people, login, api_headers):
    """A clerk at the counter sees which case the appeal is about but gets no link that answers 403."""
    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.measures.service import propose_measure
    from fanzha.casework.registry.models import Line
    from fanzha.db import session_scope

    msisdn = registry[0].msisdn
    with session_scope(web_app.state.engine) as db:
        case_id = propose_measure(db, msisdns=[msisdn], measure="suspend", reason="12321举报", source="analyst",
                                  actor=Principal.system("ana"), settings=web_app.state.settings).case_id  # fmt: skip
        db.get(Line, msisdn).status = "suspended"
    r = client.post("/api/appeals", headers=api_headers("clerk"), json={"msisdn": msisdn, "statement": "本人使用"})
    assert r.status_code == 200, r.text
    appeal_id = r.json()["id"]
    _as(client, login, "clerk", people["clerk"])
    page = client.get(f"/appeals/{appeal_id}")
    assert page.status_code == 200 and f"案件 #{case_id}" in page.text and f'href="/cases/{case_id}"' not in page.text
    assert client.get(f"/cases/{case_id}").status_code == 403  # what the link would have led to
    _as(client, login, "rev2", people["rev2"])
    assert f'href="/cases/{case_id}"' in client.get(f"/appeals/{appeal_id}").text
