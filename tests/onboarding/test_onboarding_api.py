"""The counter-gate and blacklist API with real accounts and tokens (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
from datetime import date

from onboarding.onboarding_support import make_id, years_ago
from onboarding.test_onboarding_flows import signature_png


def test_api_check_review_sign_and_scope(client, make_user, api_headers, web_app):
    from fanzha.casework.registry.models import Shop
    from fanzha.db import session_scope

    with session_scope(web_app.state.engine) as db:
        db.add_all([Shop(shop_id="S001"), Shop(shop_id="S002")])
    make_user("api_clerk", roles=["clerk"], shops=["S001"])
    make_user("api_clerk2", roles=["clerk"], shops=["S002"])
    make_user("api_rev", roles=["reviewer_l2"])
    clerk, other, rev = api_headers("api_clerk"), api_headers("api_clerk2"), api_headers("api_rev")

    body = {"id_no": make_id("421202", date(1986, 4, 4), 91), "name": "吴七", "purpose": "本人使用",
            "lines": [{"line_type": "mobile", "count": 1}]}  # fmt: skip
    r = client.post("/api/onboarding/checks", json=body, headers=clerk)
    assert r.status_code == 200, r.text
    ok = r.json()
    assert ok["decision"] == "pass" and ok["shop_id"] == "S001" and body["id_no"] not in r.text
    assert client.get(f"/api/onboarding/checks/{ok['check_id']}", headers=other).status_code == 404
    assert client.post("/api/onboarding/checks", json={**body, "shop_id": "S002"}, headers=clerk).status_code == 403
    bad = client.post("/api/onboarding/checks", json={**body, "lines": []}, headers=clerk)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "lines"]
    assert body["id_no"] not in bad.text  # the submitted values are never echoed
    assert client.post("/api/onboarding/checks", content=b"{not json", headers=clerk).status_code == 422

    student = {**body, "id_no": make_id("421202", years_ago(18), 93), "lines": [{"line_type": "mobile", "count": 3}]}
    esc = client.post("/api/onboarding/checks", json=student, headers=clerk).json()
    assert esc["decision"] == "escalate"
    assert client.get("/api/onboarding/review-queue", headers=clerk).status_code == 403
    queue = client.get("/api/onboarding/review-queue", headers=rev).json()
    assert [q["check_id"] for q in queue] == [esc["check_id"]]
    decided = client.post(f"/api/onboarding/checks/{esc['check_id']}/review", json={"approve": False, "note": "疑似代办"},
                          headers=rev).json()  # fmt: skip
    assert decided["status"] == "rejected" and decided["reviewer"] == "api_rev"

    cid = ok["check_id"]
    r = client.post(f"/api/onboarding/checks/{cid}/steps", json={"step": "ask"}, headers=clerk)
    assert r.status_code == 409 and "一观察" in r.json()["detail"]
    for step in ("observe", "ask", "query", "remind", "confirm", "report"):
        assert client.post(f"/api/onboarding/checks/{cid}/steps", json={"step": step}, headers=clerk).status_code == 200
    assert client.get(f"/api/onboarding/checks/{cid}/notice.pdf", headers=clerk).status_code == 404
    sig = "data:image/png;base64," + base64.b64encode(signature_png()).decode()
    done = client.post(f"/api/onboarding/checks/{cid}/sign", json={"signature_png": sig}, headers=clerk).json()
    assert done["status"] == "completed" and done["notice_signed"]
    pdf = client.get(f"/api/onboarding/checks/{cid}/notice.pdf", headers=clerk)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"


def test_api_blacklist_manual_entry_and_accountability_permissions(client, make_user, api_headers):
    make_user("api_police", roles=["police_liaison"])
    make_user("api_rev2", roles=["reviewer_l2"])
    make_user("api_sup", roles=["supervisor"])
    make_user("api_clerk3", roles=["clerk"], shops=["S001"])
    police, rev, sup = api_headers("api_police"), api_headers("api_rev2"), api_headers("api_sup")
    body = {"id_no": make_id("421222", date(1979, 9, 9), 15), "name": "郑八", "case_no": "通公2026-5",
            "decided_on": "2026-01-10", "ban_years": 5, "reason": "断卡行动认定"}  # fmt: skip
    r = client.post("/api/blacklist/entries", json=body, headers=police)
    assert r.status_code == 200 and r.json()["status"] == "pending" and body["id_no"] not in r.text
    eid = r.json()["id"]
    assert client.post(f"/api/blacklist/entries/{eid}/decision", json={"approve": True}, headers=police).status_code == 403
    assert client.post(f"/api/blacklist/entries/{eid}/decision", json={"approve": True}, headers=rev).json()["status"] == "active"
    assert client.post("/api/blacklist/entries", json={**body, "id_no": "123"}, headers=police).status_code == 422
    assert client.get("/api/accountability?by=clerk", headers=sup).json() == {"by": "clerk", "years": [], "rows": []}
    assert client.get("/api/accountability", headers=api_headers("api_clerk3")).status_code == 403


def test_counter_page_lists_recent_checks_in_words(client, make_user, api_headers, login, web_app):
    from fanzha.casework.registry.models import Shop
    from fanzha.db import session_scope

    with session_scope(web_app.state.engine) as db:
        db.add(Shop(shop_id="S001"))
    pw = make_user("page_clerk", roles=["clerk"], shops=["S001"])
    body = {"id_no": make_id("421202", date(1986, 4, 4), 95), "name": "吴七", "purpose": "本人使用",
            "lines": [{"line_type": "mobile", "count": 1}]}  # fmt: skip
    assert client.post("/api/onboarding/checks", json=body, headers=api_headers("page_clerk")).json()["decision"] == "pass"
    login(client, "page_clerk", pw)
    page = client.get("/onboarding").text
    recent = page[page.index('id="recent"'):]
    assert "<td>通过</td><td>已通过</td>" in recent and ">pass<" not in recent and ">passed<" not in recent
