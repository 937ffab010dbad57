"""号码查询: masked by default on pages and API; unmasking needs the role and a purpose and is audited;
a clerk sees only their shop's lines."""

from __future__ import annotations

import json

from sqlalchemy import select


def _events(web_app, action):
    from fanzha.casework.audit.models import AuditEvent
    from fanzha.db import session_scope

    with session_scope(web_app.state.engine) as db:
        return [(e.actor, e.subject_type, e.subject_id, e.purpose, json.loads(e.detail))
                for e in db.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars()]  # fmt: skip


def _no_clear_values(text: str, lines) -> None:
    for ln in lines:
        assert ln.msisdn not in text and ln.id_no not in text and ln.name not in text


def test_page_lookup_is_masked_and_audited(client, web_app, registry, make_user, login, csrf_from):
    pw = make_user("ana", roles=["analyst"])
    login(client, "ana", pw)
    form = client.get("/lines")
    owner = registry[0]
    r = client.post("/lines", data={"id_no": owner.id_no, "csrf_token": csrf_from(form.text)})
    assert r.status_code == 200
    assert "133****0001" in r.text and "189****0002" in r.text  # both lines of the owner
    assert "<td>手机号码</td><td>正常</td>" in r.text  # registry codes in words
    assert "张**" in r.text and owner.id_no[:4] + "*" * 10 + owner.id_no[-4:] in r.text
    _no_clear_values(r.text, registry)
    assert "/lines/unmask" not in r.text  # an analyst has no unmask right: no button either
    (event,) = _events(web_app, "line.lookup")
    assert event[0] == "ana" and event[4]["by"] == "id_no" and event[4]["results"] == 2
    assert owner.id_no not in json.dumps(event, ensure_ascii=False)  # the trail holds masked forms only


def test_unmask_needs_purpose_and_is_audited(client, web_app, registry, make_user, login, csrf_from):
    pw = make_user("rev2", roles=["reviewer_l2"])
    login(client, "rev2", pw)
    r = client.post("/lines", data={"msisdn": registry[2].msisdn, "csrf_token": csrf_from(client.get("/lines").text)})
    _no_clear_values(r.text, registry)
    assert "/lines/unmask" in r.text
    ref = r.text.split('name="ref" value="')[1].split('"')[0]
    csrf = csrf_from(r.text)
    refused = client.post("/lines/unmask", data={"ref": ref, "purpose": "", "csrf_token": csrf})
    assert refused.status_code == 422
    _no_clear_values(refused.text, registry)
    assert _events(web_app, "personal.unmask") == []
    ok = client.post("/lines/unmask", data={"ref": ref, "purpose": "二级稽核 工单 A-17", "csrf_token": csrf})
    assert ok.status_code == 200
    assert registry[2].msisdn in ok.text and registry[2].id_no in ok.text and registry[2].name in ok.text
    (event,) = _events(web_app, "personal.unmask")
    assert event[:4] == ("rev2", "line", registry[2].msisdn, "二级稽核 工单 A-17")


def test_api_masked_then_unmask(client, web_app, registry, make_user, api_headers):
    make_user("cop", roles=["reviewer_l3"])
    make_user("ana2", roles=["analyst"])
    cop, ana = api_headers("cop"), api_headers("ana2")
    r = client.post("/api/lines/search", json={"id_no": registry[3].id_no}, headers=cop)
    assert r.status_code == 200
    (row,) = r.json()
    assert row["msisdn"] == "177****0004" and row["owner_name"] == "欧***"
    _no_clear_values(r.text, registry)
    body = {"ref": row["ref"], "purpose": "协查函 2026-0042"}
    assert client.post("/api/lines/unmask", json=body, headers=ana).status_code == 403
    assert client.post("/api/lines/unmask", json={"ref": row["ref"], "purpose": "x"}, headers=cop).status_code == 422
    blank = {"ref": row["ref"], "purpose": "  x   "}  # long enough for the schema, too short once stripped
    assert client.post("/api/lines/unmask", json=blank, headers=cop).status_code == 422
    clear = client.post("/api/lines/unmask", json=body, headers=cop)
    assert clear.status_code == 200
    assert clear.json()["owner_id"] == registry[3].id_no and clear.json()["msisdn"] == registry[3].msisdn
    assert [e[0] for e in _events(web_app, "personal.unmask")] == ["cop"]
    forged = client.post("/api/lines/unmask", json={"ref": "gAAAA" + "x" * 80, "purpose": "试探 试探"}, headers=cop)
    assert forged.status_code == 404


def test_clerk_sees_only_own_shop(client, registry, make_user, api_headers):
    make_user("clerk1", roles=["clerk"], shops=["S001"])
    h = api_headers("clerk1")
    own = client.post("/api/lines/search", json={"msisdn": "13307150001"}, headers=h).json()
    other = client.post("/api/lines/search", json={"msisdn": "15307150003"}, headers=h).json()
    assert len(own) == 1 and other == []
    # By ID: the owner of lines in both shops shows only the S001 line to this clerk.
    by_id = client.post("/api/lines/search", json={"id_no": registry[0].id_no}, headers=h).json()
    assert {r["shop_id"] for r in by_id} == {"S001"}
    make_user("clerk0", roles=["clerk"])  # a clerk without a shop sees nothing, not everything
    assert client.post("/api/lines/search", json={"msisdn": "13307150001"}, headers=api_headers("clerk0")).json() == []


def test_audit_page_masks_subjects(client, web_app, registry, make_user, login, api_headers):
    make_user("cop2", roles=["reviewer_l2"])
    h = api_headers("cop2")
    (row,) = client.post("/api/lines/search", json={"msisdn": registry[1].msisdn}, headers=h).json()
    client.post("/api/lines/unmask", json={"ref": row["ref"], "purpose": f"核查 {registry[1].id_no}"}, headers=h)
    pw = make_user("boss", roles=["supervisor"])
    login(client, "boss", pw)
    page = client.get("/audit")
    assert page.status_code == 200 and "personal.unmask" in page.text
    assert "查看明文个人信息" in page.text and "号码 189****0002" in page.text  # the codes in words too
    _no_clear_values(page.text, registry)  # subject and the ID typed into the purpose are masked
    api = client.post("/api/audit/search", json={"action": "personal.unmask"}, headers=api_headers("boss"))
    (ev,) = api.json()
    assert ev["subject_id"] == "189****0002" and registry[1].id_no not in ev["purpose"]


def test_audit_api_refuses_out_of_range_dates(client, make_user, api_headers):
    """Found by schemathesis: year-1 dates overflowed when shifted to UTC (500). Now a 422."""
    make_user("sup9", roles=["supervisor"])
    h = api_headers("sup9")
    for since in ("0001-01-01T00:00:00", "9999-12-31T23:59:59+14:00"):
        assert client.post("/api/audit/search", json={"since": since}, headers=h).status_code == 422
    assert client.post("/api/audit/search", json={"since": "2026-01-01T00:00:00"}, headers=h).status_code == 200


def test_police_liaison_gets_clear_data_only_through_an_approved_police_query(client, web_app, registry, make_user,
                                                                              login, csrf_from, api_headers):  # fmt: skip
    """/lines stays masked for the liaison (no unmask button, 403 on the unmask routes): clear names and IDs
    for the police go through a 协查 request a second person approved (/police)."""
    from fanzha.casework.auth.enums import Permission, roles_with

    assert "police_liaison" not in roles_with(Permission.PERSONAL_UNMASK)
    pw = make_user("jing", roles=["police_liaison"])
    login(client, "jing", pw)
    r = client.post("/lines", data={"id_no": registry[3].id_no, "csrf_token": csrf_from(client.get("/lines").text)})
    assert r.status_code == 200 and "177****0004" in r.text and "/lines/unmask" not in r.text
    _no_clear_values(r.text, registry)
    make_user("rev9", roles=["reviewer_l2"])
    (row,) = client.post("/api/lines/search", json={"id_no": registry[3].id_no}, headers=api_headers("rev9")).json()
    body = {"ref": row["ref"], "purpose": "协查函 2026-0042"}
    assert client.post("/api/lines/unmask", json=body, headers=api_headers("jing")).status_code == 403
    page = client.post("/lines/unmask", data={**body, "csrf_token": csrf_from(r.text)})
    assert page.status_code == 403 and registry[3].id_no not in page.text
    assert _events(web_app, "personal.unmask") == []


def test_an_unmask_reference_is_bound_to_the_user_it_was_issued_to(client, web_app, registry, make_user, api_headers):
    make_user("revA", roles=["reviewer_l2"])
    make_user("revB", roles=["reviewer_l2"])
    (row,) = client.post("/api/lines/search", json={"msisdn": registry[1].msisdn}, headers=api_headers("revA")).json()
    body = {"ref": row["ref"], "purpose": "二级稽核 工单 B-3"}
    assert client.post("/api/lines/unmask", json=body, headers=api_headers("revB")).status_code == 404
    assert _events(web_app, "personal.unmask") == []
    mine = client.post("/api/lines/unmask", json=body, headers=api_headers("revA"))
    assert mine.status_code == 200 and mine.json()["msisdn"] == registry[1].msisdn


def test_a_reference_from_another_feature_is_not_an_unmask_reference(web_app, registry):
    """A reference names a line for unmasking only: a bare encrypted number (as other pages carry) is refused."""
    from fanzha.casework.auth.principal import Principal
    from fanzha.casework.lookup import service
    from fanzha.db import session_scope

    who = Principal(user_id=1, username="revC", roles=frozenset({"reviewer_l2"}))
    with session_scope(web_app.state.engine) as db:
        bare = web_app.state.protector.encrypt(registry[1].msisdn)
        assert service.unmask_line(db, key=web_app.state.audit_key, principal=who, protector=web_app.state.protector,
                                   ref=bare, purpose="二级稽核 工单 B-4") is None  # fmt: skip


def test_alert_subjects_and_audit_details_are_masked_for_every_reader(client, web_app, registry, make_user,
                                                                      api_headers, login):  # fmt: skip
    """/api/alerts masks the subject whatever its type (a number, an ID number); the audit trail's details are
    masked for the supervisor and the admin as its subjects and purposes are."""
    from fanzha.casework.audit import service as audit
    from fanzha.casework.auth.principal import Principal
    from fanzha.db import session_scope

    make_user("ana7", roles=["analyst"])
    for subject_type, subject in (("msisdn", registry[1].msisdn), ("id_no", registry[2].id_no)):
        r = client.post("/api/alerts", headers=api_headers("ana7"), json={
            "source": "report", "subject_type": subject_type, "subject": subject, "detector": "冒充客服", "score": 0.5,
            "reasons": "12321举报"})  # fmt: skip
        assert r.status_code == 200, r.text
        assert subject not in r.text
    inbox = client.get("/api/alerts", headers=api_headers("ana7"))
    assert inbox.status_code == 200 and len(inbox.json()) == 2
    _no_clear_values(inbox.text, registry)
    with session_scope(web_app.state.engine) as db:  # an event whose detail carries numbers (older code did)
        audit.record(db, key=web_app.state.audit_key, actor=Principal.system("test"), action="trace.run",
                     subject_type="trace_run", subject_id=1,
                     detail={"seeds": [registry[0].msisdn], "owner": {"id": registry[0].id_no}})  # fmt: skip
    for who, role in (("sup7", "supervisor"), ("adm7", "admin")):
        pw = make_user(who, roles=[role])
        api = client.post("/api/audit/search", json={"action": "trace.run"}, headers=api_headers(who))
        assert api.status_code == 200 and api.json()
        _no_clear_values(api.text, registry)
        client.cookies.clear()
        login(client, who, pw)
        page = client.get("/audit")
        assert page.status_code == 200 and "溯源分析" in page.text
        _no_clear_values(page.text, registry)
