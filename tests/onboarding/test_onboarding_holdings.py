"""三查询 (一证通查): the check says how many lines the person already holds, here (the registry) and at the other
carriers (the cross-carrier adapter), and the caps count exactly those."""

from __future__ import annotations

from datetime import date

from onboarding.onboarding_support import Registry, make_id

FOUR = make_id("421202", date(1983, 3, 3), 45)


def _web_gate(web_app):
    from fanzha.casework.onboarding.crosscarrier import SimulatedCrossCarrier
    from fanzha.casework.onboarding.rules import load_rules
    from fanzha.casework.onboarding.service import Gate

    st = web_app.state
    st.onboarding_gate = Gate(rules=load_rules(), cross_carrier=SimulatedCrossCarrier(derive=False),
                              protector=st.protector, key=st.audit_key)  # fmt: skip
    return st.onboarding_gate


def test_the_check_shows_the_lines_held_here_and_elsewhere(client, web_app, make_user, api_headers, login, csrf_from):
    from fanzha.casework.registry.models import Shop
    from fanzha.db import session_scope

    gate = _web_gate(web_app)
    with session_scope(web_app.state.engine) as db:
        db.add(Shop(shop_id="S001", name="咸安营业厅"))
    Registry(web_app.state.engine, gate).person(FOUR, "周八", [(f"1330717000{i}", "mobile", "active") for i in range(4)]
                                               + [("13307170009", "mobile", "cancelled")])  # fmt: skip
    gate.cross_carrier.set(person_hash=gate.protector.hash(FOUR), lines={"mobile": {"mobile": 1}})
    make_user("hold_clerk", roles=["clerk"], shops=["S001"])
    body = {"id_no": FOUR, "name": "周八", "purpose": "本人使用", "lines": [{"line_type": "mobile", "count": 1}]}
    r = client.post("/api/onboarding/checks", json=body, headers=api_headers("hold_clerk"))
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["decision"] == "pass"  # 4 + 1 here is the cap, 6 in all is under 10
    held = {h["carrier"]: h for h in res["holdings"]["carriers"]}
    assert held["本运营商"]["lines"] == {"mobile": 4} and held["中国移动"]["total"] == 1 and held["中国联通"]["total"] == 0
    assert res["holdings"]["total"] == 5 and "名下在用号码共5个" in res["holdings"]["text"]
    pw = make_user("hold_clerk2", roles=["clerk"], shops=["S001"])
    login(client, "hold_clerk2", pw)
    page = client.get(f"/onboarding/checks/{res['check_id']}")
    assert page.status_code == 200
    assert "名下在用号码共5个" in page.text and "本运营商 4 个" in page.text and "中国移动 1 个" in page.text
    # the same count is what the cap reads: one more line here is refused, naming the 4 held
    two = client.post("/api/onboarding/checks", json={**body, "lines": [{"line_type": "mobile", "count": 2}]},
                      headers=api_headers("hold_clerk")).json()  # fmt: skip
    assert two["decision"] == "refuse" and any("已有4个手机号码" in f["text"] for f in two["reasons"])
