"""Public desk over HTTP: 12321 intake API (alert for an own line, dedup, 422 naming the field), the queue's SLA
marking, the public tip form (no login, CSRF, rate limit, receipt), officer triage and stats exports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from public_desk_support import OTHER


def _report(report_id, number, *, hours_ago=0.0, reporter="13900000001", content="自称公安局，要求转账到安全账户"):
    at = datetime.now(UTC) - timedelta(hours=hours_ago)
    return {"report_id": report_id, "received_at": at.isoformat(), "channel": "web", "reported_number": number,
            "reporter_number": reporter, "category": "冒充公检法", "content": content}  # fmt: skip


def test_report_api_alerts_own_line_and_queue_shows_sla(client, make_user, api_headers, login, registry):
    make_user("ana", roles=["reviewer_l1"])
    h = api_headers("ana")
    own = registry[0].msisdn
    r = client.post("/api/reports", json=_report("A1", own, hours_ago=2), headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["outcome"] == "added" and body["own_line"] and body["alert_id"] and body["case_id"]
    assert body["reported_number"] == own[:3] + "****" + own[7:] and body["overdue"] is True
    assert body["fraud_type"] == "police_impersonation"
    assert client.post("/api/reports", json=_report("A1", own, hours_ago=2), headers=h).json()["outcome"] == "known"
    assert client.post("/api/reports", json=_report("A2", own, hours_ago=1.5), headers=h).json()["outcome"] == "repeat"
    other = client.post("/api/reports", json=_report("A3", OTHER, reporter=""), headers=h).json()
    assert other["own_line"] is False and other["alert_id"] is None and other["overdue"] is False
    bad = client.post("/api/reports", json=_report("A4", "1330715"), headers=h)
    assert bad.status_code == 422 and "reported_number" in bad.json()["detail"]

    alerts = [a for a in client.get("/api/alerts", headers=h).json() if a["source"] == "report"]
    assert len(alerts) == 1 and alerts[0]["hits"] == 1  # the repeat raised nothing
    queue = client.get("/api/reports", headers=h).json()
    assert [q["report_id"] for q in queue] == ["A1", "A3"]  # most urgent first; the repeat is not queued
    assert queue[0]["repeats"] == 2

    login(client, "ana", "correct-horse-battery")
    page = client.get("/reports")
    assert page.status_code == 200 and "已超时 1 件" in page.text
    rows = page.text.split("<tbody>")[1].split("</tr>")
    assert 'class="overdue"' in rows[0] and "A1" in rows[0] and "已超时" in rows[0]
    assert 'class="overdue"' not in rows[1] and "A3" in rows[1]
    assert own not in page.text  # masked
    assert "举报：冒充公检法及政府机关" in client.get("/alerts", params={"source": "report"}).text
    report_page = client.get(f"/reports/{body['id']}").text
    assert "本网号码</strong>（登记状态 正常）" in report_page  # the line's status in words

    checked = client.post(f"/api/reports/{body['id']}/check", json={"status": "confirmed", "note": "已核实"}, headers=h)
    assert checked.status_code == 200 and checked.json()["status"] == "confirmed" and checked.json()["overdue"]
    assert client.post(f"/api/reports/{body['id']}/check", json={"status": "unfounded"}, headers=h).status_code == 409


def test_report_import_page_quarantines(client, make_user, login, csrf_from, registry, tmp_path):
    make_user("rev", roles=["reviewer_l1"])
    login(client, "rev", "correct-horse-battery")
    csrf = csrf_from(client.get("/reports").text)
    data = ("report_id,received_at,channel,reported_number,reporter_number,category,content\n"
            f"B1,2026-11-02T10:00:00+08:00,sms,{registry[1].msisdn},13900000001,刷单返利,刷单返利垫付\n"
            "B2,2026-11-02T10:00:00+08:00,sms,12,,,x\n")  # fmt: skip
    r = client.post("/reports/import", data={"csrf_token": csrf},
                    files={"file": ("reports.csv", data.encode(), "text/csv")})  # fmt: skip
    assert r.status_code == 200 and "新增 1" in r.text and "隔离 1 行" in r.text and "被举报号码（reported_number） 1 行" in r.text
    r = client.post("/reports/import", data={"csrf_token": csrf}, files={"file": ("r.txt", b"x", "text/plain")})
    assert r.status_code == 422


def test_public_tip_without_login_rate_limited(web_settings, make_user, registry):
    from fastapi.testclient import TestClient

    from fanzha.web.app import create_app

    web_settings.rate_public_form_per_minute = 3
    app = create_app(web_settings)
    with TestClient(app, follow_redirects=False) as anon:
        form = anon.get("/tip")
        assert form.status_code == 200 and "我要举报" in form.text and "/static/public.css" in form.text
        import re

        csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text).group(1)
        fields = {"csrf_token": csrf, "category": "health_claims", "content": "推销保健品说能治糖尿病",
                  "phone_numbers": f"{registry[0].msisdn} {OTHER}", "reporter_contact": "13900000007"}  # fmt: skip
        assert anon.post("/tip", data={**fields, "csrf_token": "0" * 64}).status_code == 403
        done = anon.post("/tip", data=fields)
        assert done.status_code == 200 and "回执编号" in done.text
        receipt = re.search(r'id="receipt">([^<]+)<', done.text).group(1)
        assert receipt.startswith("SCJG-W-")
        bad = anon.post("/tip", data={**fields, "phone_numbers": "12"})
        assert bad.status_code == 422 and "对方电话填写有误" in bad.text
        assert anon.post("/tip", data=fields).status_code == 200
        limited = anon.post("/tip", data=fields)
        assert limited.status_code == 429 and limited.headers["retry-after"]


def test_officer_queue_triage_and_exports(client, make_user, login, api_headers, csrf_from, registry):
    make_user("scjg", roles=["market_regulator"])
    h = api_headers("scjg")
    r = client.post("/api/market/tips", headers=h, json={
        "channel": "12315", "category": "fake_promotion", "subject_name": "颐和养生馆", "content": "免费体检卖理疗仪",
        "phone_numbers": registry[2].msisdn, "received_at": "2026-11-02T09:00:00+08:00"})  # fmt: skip
    assert r.status_code == 200, r.text
    tip = r.json()
    assert tip["created"] and tip["numbers"][0]["own_line"] and tip["numbers"][0]["alerts"] == 1
    assert client.post("/api/market/tips", headers=h, json={"channel": "fax", "category": "x", "content": "y"}
                       ).status_code == 422  # fmt: skip

    login(client, "scjg", "correct-horse-battery")
    page = client.get(f"/market/tips/{tip['id']}")
    csrf = csrf_from(page.text)
    r = client.post(f"/market/tips/{tip['id']}/triage", data={"csrf_token": csrf, "assignee": "scjg", "note": "电话回访"})
    assert r.status_code == 303
    page = client.get(f"/market/tips/{tip['id']}").text
    assert "已分派" in page and "电话回访" in page
    assert client.post(f"/market/tips/{tip['id']}/triage", data={"csrf_token": csrf, "status": "new"}).status_code == 409

    stats = client.get("/market/stats?since=2026-11-01&until=2026-11-30")
    assert stats.status_code == 200 and stats.text.count("<svg") == 3
    assert stats.text.count('data-total="1"') == 3  # category, channel and month charts each count the one tip
    csv_body = client.get("/market/stats.csv?since=2026-11-01").content.decode("utf-8-sig")
    assert "会议营销、讲座、免费体检虚假宣传,1" in csv_body
    xlsx = client.get("/market/stats.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/api/market/stats", headers=h).json()["by_channel"]["12315"] == 1
    assert client.get("/api/market/stats?until=9999-12-31", headers=h).status_code == 422  # no overflow (500)
