"""SQL injection and script injection strings tried on every text input of every form and API body.

Each test is one form (or API body); it tries every payload in every text field. A request must never
cause a 500, never return a payload unescaped, never widen a query (no lines found by an injected
string), and afterwards the tables and the audit chain must be intact.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

SQL = ["' OR '1'='1' --", "1; DROP TABLE users; --", "13307150001' UNION SELECT id_enc FROM persons --",
       "%' OR 1=1 OR '%'='", "\\'; SELECT pg_sleep(5); --", "a\x00b' --"]  # fmt: skip
SCRIPT = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "javascript:alert(1)",
          "{{7*7}}{% raw %}", "\u202e<svg/onload=alert(1)>"]  # fmt: skip
EDGE = ["9999-12-31", "0001-01-01", "-1", "１３３０７１５０００１"]  # date overflow, negative, full-width digits
PAYLOADS = SQL + SCRIPT + EDGE
DANGEROUS = ["<script>alert", "<img src=x", "<svg/onload"]

FORMS = {
    "login": ("POST", "/login", ["username", "password", "next"]),
    "password": ("POST", "/account/password", ["current", "new", "confirm"]),
    "unlock": ("POST", "/admin/users/unlock", ["username"]),
    "lookup": ("POST", "/lines", ["msisdn", "id_no"]),
    "unmask": ("POST", "/lines/unmask", ["ref", "purpose"]),
    "audit": ("POST", "/audit", ["actor", "action", "subject_type", "subject_id", "since", "until"]),
    "api_lookup": ("POST", "/api/lines/search", ["msisdn", "id_no"]),
    "api_unmask": ("POST", "/api/lines/unmask", ["ref", "purpose"]),
    "api_audit": ("POST", "/api/audit/search", ["actor", "action", "subject_type", "subject_id"]),
    "onboarding": ("POST", "/onboarding", ["id_no", "name", "purpose", "shop_id"]),
    "onboarding_step": ("POST", "/onboarding/checks/{check_id}/steps", ["step", "note"]),
    "onboarding_sign": ("POST", "/onboarding/checks/{check_id}/sign", ["signature_png"]),
    "onboarding_review": ("POST", "/review/onboarding/{check_id}", ["decision", "note"]),
    "api_onboarding": ("POST", "/api/onboarding/checks", ["id_no", "name", "purpose"]),
    "api_onboarding_step": ("POST", "/api/onboarding/checks/{check_id}/steps", ["step", "note"]),
    "api_onboarding_sign": ("POST", "/api/onboarding/checks/{check_id}/sign", ["signature_png"]),
    "api_onboarding_review": ("POST", "/api/onboarding/checks/{check_id}/review", ["note"]),
    "blacklist_manual": ("POST", "/blacklist/manual", ["id_no", "name", "case_no", "decided_on", "keep_msisdn", "reason"]),
    "blacklist_review": ("POST", "/review/blacklist/{entry_id}", ["decision", "note"]),
    "api_blacklist": ("POST", "/api/blacklist/entries", ["id_no", "name", "case_no", "decided_on", "reason"]),
    "api_blacklist_decide": ("POST", "/api/blacklist/entries/{entry_id}/decision", ["note"]),
    "case_action": ("POST", "/cases/{case_id}/action", ["action", "note", "measure"]),
    "appeal_file": ("POST", "/appeals", ["msisdn", "statement"]),
    "appeal_reverify": ("POST", "/appeals/{appeal_id}/reverify", ["id_no", "purpose", "present"]),
    "appeal_decide": ("POST", "/appeals/{appeal_id}/decide", ["decision", "note"]),
    "api_alerts": ("POST", "/api/alerts", ["alert_id", "subject", "detector", "reasons"]),
    "api_appeals": ("POST", "/api/appeals", ["msisdn", "statement"]),
    "police_query": ("POST", "/police/queries", ["subject_type", "subject", "case_no", "legal_basis", "purpose",
                                                 "scopes", "clear"]),
    "police_review": ("POST", "/police/review/{query_id}", ["decision", "note", "clear", "scopes"]),
    "api_police_query": ("POST", "/api/police/queries", ["subject", "case_no", "legal_basis", "purpose", "scopes"]),
    "api_police_decide": ("POST", "/api/police/queries/{query_id}/decision", ["note", "scopes"]),
    "police_batch": ("POST", "/police/batches", ["title", "recipient", "note", "msisdns"]),
    "police_feedback": ("POST", "/police/batches/{batch_id}/feedback", ["note"]),
    "api_police_batch": ("POST", "/api/police/batches", ["title", "recipient", "note", "msisdns"]),
    "api_police_feedback": ("POST", "/api/police/batches/{batch_id}/feedback", ["note"]),
    "trace": ("POST", "/trace", ["seeds", "since", "until"]),
    "dashboard_report": ("POST", "/dashboard/report", ["start", "end", "county"]),
    "report_check": ("POST", "/reports/{report_id}/check", ["status", "note"]),
    "api_reports": ("POST", "/api/reports", ["report_id", "reported_number", "reporter_number", "category", "content"]),
    "api_report_check": ("POST", "/api/reports/{report_id}/check", ["note"]),
    "tip_entry": ("POST", "/market/tips", ["channel", "category", "content", "subject_name", "phone_numbers",
                                           "reporter_contact", "received_at"]),
    "tip_triage": ("POST", "/market/tips/{tip_id}/triage", ["status", "assignee", "note"]),
    "api_tips": ("POST", "/api/market/tips", ["tip_id", "subject_name", "phone_numbers", "content", "reporter_contact"]),
    "api_tip_triage": ("POST", "/api/market/tips/{tip_id}/triage", ["assignee", "note"]),
    "warning_save": ("POST", "/market/warnings", ["title", "body", "category", "publish"]),
    "warning_publish": ("POST", "/market/warnings/{warning_id}/publish", ["action"]),
    "public_tip": ("POST", "/tip", ["category", "subject_name", "phone_numbers", "content", "reporter_contact"]),
    "api_monitor_optout": ("POST", "/api/monitor/optouts", ["msisdn", "via"]),
}
VALID = {"purpose": "合法事由 test", "ref": "x", "msisdn": "13307150001", "name": "张三", "case_no": "K-1",
         "decided_on": "2026-01-01", "reason": "事由 test", "step": "observe", "subject": "13307150001",
         "subject_type": "msisdn", "legal_basis": "刑诉法第五十四条", "scopes": ["owner"],
         "report_id": "R-1", "reported_number": "13307150001", "content": "推销保健品", "channel": "12315",
         "category": "health_claims", "title": "警示", "body": "正文", "action": "publish"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # inspects the app only
def test_every_text_input_is_listed(web_app):
    """A form field added later must be added to FORMS above: compare with the app's own forms and schemas."""
    from fanzha.web.deps import iter_api_routes

    declared = {(path, f) for _, path, fields in FORMS.values() for f in fields}
    found = set()
    for route in iter_api_routes(web_app):
        if "POST" not in route.methods:
            continue
        for param in route.dependant.body_params:
            ann = param.field_info.annotation
            if hasattr(ann, "model_fields"):
                found |= {(route.path, name) for name, f in ann.model_fields.items() if f.annotation in (str, str | None)}
            elif param.field_info.annotation is str:
                found.add((route.path, param.alias))
    found.discard(("/logout", "csrf_token"))
    assert found and found <= declared, found - declared


@pytest.mark.parametrize("form", sorted(FORMS))
def test_injection_strings_are_inert(form, web_app, client, registry, make_user, login, api_headers, csrf_from):
    from fanzha.casework.audit.service import verify
    from fanzha.casework.auth.models import User
    from fanzha.casework.registry.models import Line
    from fanzha.db import session_scope

    method, path, fields = FORMS[form]
    pw = make_user("all", roles=["supervisor", "reviewer_l2", "admin", "clerk", "police_liaison", "market_regulator",
                                "ingest_service"])
    headers = api_headers("all") if path.startswith("/api/") else None
    if form != "login":
        login(client, "all", pw)
    csrf = None if headers else csrf_from(client.get("/login" if form == "login" else "/").text)
    for field in fields:
        for payload in PAYLOADS:
            body = {f: VALID.get(f, "") for f in fields} | {field: payload}
            if headers:
                r = client.request(method, re.sub(r"\{[^}]+\}", "1", path), json=body, headers=headers)
            else:
                body["csrf_token"] = csrf
                r = client.request(method, re.sub(r"\{[^}]+\}", "1", path), data=body)
            assert r.status_code < 500, (form, field, payload, r.status_code)
            for bad in DANGEROUS:
                assert bad not in r.text, (form, field, payload)
            for ln in registry:
                assert ln.id_no not in r.text and ln.name not in r.text, (form, field, payload)
            if form == "api_lookup" and r.status_code == 200 and field == "id_no":
                assert r.json() == [], (field, payload)  # an injected string matches nothing
            if form == "api_lookup" and r.status_code == 200 and field == "msisdn":
                assert r.json() == [], (field, payload)
    with session_scope(web_app.state.engine) as db:
        assert db.execute(select(func.count()).select_from(User)).scalar_one() == 1
        assert db.execute(select(func.count()).select_from(Line)).scalar_one() == len(registry)
        assert verify(db, key=web_app.state.audit_key).ok
