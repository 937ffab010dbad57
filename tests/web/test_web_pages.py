"""Login, navigation by role, logout, session expiry, security headers — through the real pages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select


def test_login_home_logout(client, make_user, login, csrf_from):
    pw = make_user("sup", roles=["supervisor"])
    assert client.get("/").status_code == 303
    r = login(client, "sup", pw, next="/audit")
    assert r.status_code == 303 and r.headers["location"] == "/audit"
    cookie = r.headers["set-cookie"]
    assert "fanzha_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = client.get("/")
    assert home.status_code == 200
    # Navigation by role: a supervisor sees the audit trail and the lookup, not account admin pages.
    assert 'href="/audit"' in home.text and 'href="/lines"' in home.text
    out = client.post("/logout", data={"csrf_token": csrf_from(home.text)})
    assert out.status_code == 303
    assert client.get("/").status_code == 303  # the old cookie is dead server-side too


def test_navigation_differs_by_role(client, make_user, login):
    pw = make_user("reg", roles=["market_regulator"])
    login(client, "reg", pw)
    home = client.get("/").text
    assert 'href="/audit"' not in home and 'href="/lines"' not in home


def test_open_redirect_refused(client, make_user, login):
    pw = make_user("u1", roles=["analyst"])
    r = login(client, "u1", pw, next="//evil.example/x")
    assert r.headers["location"] == "/"


def test_wrong_password_generic_message(client, make_user, login):
    make_user("u2", roles=["analyst"])
    r = login(client, "u2", "wrong-password-123")
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    r2 = login(client, "nobody", "wrong-password-123")
    assert r2.status_code == 401 and r2.text.count("用户名或密码错误") == r.text.count("用户名或密码错误")


def test_session_expires_when_idle(client, web_app, make_user, login):
    from fanzha.casework.auth.models import AuthSession
    from fanzha.db import session_scope

    pw = make_user("u3", roles=["analyst"])
    login(client, "u3", pw)
    assert client.get("/").status_code == 200
    idle = timedelta(minutes=web_app.state.settings.session_idle_minutes + 1)
    with session_scope(web_app.state.engine) as db:
        for row in db.execute(select(AuthSession)).scalars():
            row.last_seen_at = row.last_seen_at - idle
    assert client.get("/").status_code == 303


def test_session_expires_absolutely(client, web_app, make_user, login):
    from fanzha.casework.auth.models import AuthSession
    from fanzha.db import session_scope

    pw = make_user("u4", roles=["analyst"])
    login(client, "u4", pw)
    with session_scope(web_app.state.engine) as db:
        for row in db.execute(select(AuthSession)).scalars():
            row.expires_at = row.created_at
    assert client.get("/").status_code == 303


def test_security_headers_and_no_cdn(client, make_user, login):
    r = client.get("/login")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"
    assert "http://" not in r.text and "https://" not in r.text  # every asset is served by fanzha
    css = client.get("/static/fanzha.css")
    assert css.status_code == 200 and "--brand" in css.text


def test_request_size_limit(web_settings, make_user):
    from fastapi.testclient import TestClient

    from fanzha.web.app import create_app

    small = web_settings.model_copy(update={"max_request_bytes": 2048})
    with TestClient(create_app(small)) as c:
        r = c.post("/login", content=b"x" * 5000, headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413

        def chunks():  # no Content-Length: the streamed body is counted
            for _ in range(10):
                yield b"y" * 1000

        r2 = c.post("/api/lines/search", content=chunks(), headers={"content-type": "application/json"})
        assert r2.status_code == 413


def test_login_rate_limit(web_settings, make_user):
    from fastapi.testclient import TestClient

    from fanzha.web.app import create_app

    app = create_app(web_settings.model_copy(update={"rate_login_per_minute": 3}))
    with TestClient(app, follow_redirects=False) as c:
        token = c.get("/login")
        import re

        csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', token.text).group(1)
        codes = [c.post("/login", data={"username": "x", "password": "y" * 10, "csrf_token": csrf}).status_code
                 for _ in range(5)]  # fmt: skip
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]


def test_query_rate_limit(web_settings, make_user, api_headers):
    from fastapi.testclient import TestClient

    from fanzha.web.app import create_app

    app = create_app(web_settings.model_copy(update={"rate_query_per_minute": 2}))
    make_user("q", roles=["analyst"])
    headers = api_headers("q")
    with TestClient(app) as c:
        codes = [c.post("/api/lines/search", json={"msisdn": "13300000000"}, headers=headers).status_code
                 for _ in range(4)]  # fmt: skip
    assert codes == [200, 200, 429, 429]


def test_lockout_through_the_login_form(client, web_app, make_user, login):
    pw = make_user("locky", roles=["analyst"])
    n = web_app.state.settings.login_max_failures
    for i in range(n):
        assert login(client, "locky", f"wrong-password-{i}").status_code == 401
    assert login(client, "locky", pw).status_code == 401  # right password, account locked
    assert client.get("/").status_code == 303


def test_access_log_lines_are_redacted(caplog):
    import logging

    from fanzha.web.security import install_log_redaction

    install_log_redaction()
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("uvicorn.access").info('%s - "GET /x?n=%s&id=%s" 200', "1.2.3.4", "13307151234",
                                                 "42120219900101123X")  # fmt: skip
    (record,) = caplog.records
    assert "13307151234" not in record.getMessage() and "133****1234" in record.getMessage()
    assert "42120219900101123X" not in record.getMessage() and "4212**********123X" in record.getMessage()


def test_access_log_keeps_uvicorns_argument_tuple(caplog):
    """uvicorn's access formatter unpacks (client, method, path, version, status): masking must keep that shape
    (folding them into the message made every access line a logging error)."""
    import logging

    from uvicorn.logging import AccessFormatter

    from fanzha.web.security import install_log_redaction

    install_log_redaction()
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "1.2.3.4:5", "GET",
                                                 "/x?n=13307151234&id=42120219900101123X", "1.1", 200)  # fmt: skip
    (record,) = caplog.records
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(record)
    assert "GET /x?n=133****1234&id=4212**********123X HTTP/1.1" in line and "200" in line
    assert "13307151234" not in line and "42120219900101123X" not in line


def test_change_own_password(client, make_user, login, csrf_from):
    pw = make_user("self", roles=["analyst"])
    login(client, "self", pw)
    form = client.get("/account/password")
    assert form.status_code == 200
    bad = client.post("/account/password", data={"current": "not-it-at-all", "new": "brand-new-pass-1",
                                                  "confirm": "brand-new-pass-1", "csrf_token": csrf_from(form.text)})  # fmt: skip
    assert bad.status_code == 422 and "当前密码不正确" in bad.text
    ok = client.post("/account/password", data={"current": pw, "new": "brand-new-pass-1",
                                                 "confirm": "brand-new-pass-1", "csrf_token": csrf_from(form.text)})  # fmt: skip
    assert ok.status_code == 200 and "密码已修改" in ok.text
    assert client.get("/").status_code == 303  # signed out everywhere
    assert login(client, "self", pw).status_code == 401
    assert login(client, "self", "brand-new-pass-1").status_code == 303


def test_admin_sees_users_and_unlocks(client, web_app, make_user, login, csrf_from):
    pw_admin = make_user("root1", roles=["admin"])
    make_user("victim", roles=["clerk"], shops=["S001"])
    for i in range(web_app.state.settings.login_max_failures):
        login(client, "victim", f"wrong-password-{i}")
    login(client, "root1", pw_admin)
    page = client.get("/admin/users")
    assert page.status_code == 200 and "victim" in page.text and "解锁" in page.text
    r = client.post("/admin/users/unlock", data={"username": "victim", "csrf_token": csrf_from(page.text)})
    assert r.status_code == 200 and "victim 已解锁" in r.text
    client.cookies.clear()
    assert login(client, "victim", "correct-horse-battery").status_code == 303
