"""Walk EVERY route of the app: a route without a declared permission cannot land.

For each route: anonymous is refused (pages: redirect to /login; API: 401), and a signed-in user whose
roles lack the route's permission gets 403. Public routes must be in PUBLIC_ROUTES below — adding one
is a deliberate, reviewed act. Page forms must refuse requests without a valid CSRF token.
"""

from __future__ import annotations

import re

import pytest

from fanzha.casework.auth.enums import Permission, Role, roles_with

PUBLIC_ROUTES = {("GET", "/login"), ("POST", "/login"), ("GET", "/healthz"),
                 # market-regulation desk: the public tip form and the consumer warnings (docs/public-desk.md)
                 ("GET", "/tip"), ("POST", "/tip"), ("GET", "/warnings"), ("GET", "/warnings/{warning_id}"),
                 # the monitor's Prometheus scrape and health probe: counts and times only, no personal data
                 ("GET", "/metrics"), ("GET", "/api/monitor/health")}


def _routes(app):
    from fanzha.web.deps import iter_api_routes, policy_of

    for route in iter_api_routes(app):
        (policy,) = policy_of(route)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            yield method, route.path, policy


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _call(client, method, path, *, csrf=None, headers=None):
    data = {"csrf_token": csrf} if csrf and method != "GET" else None
    if path.startswith("/api/") and method != "GET":
        return client.request(method, _concrete(path), json={}, headers=headers)
    return client.request(method, _concrete(path), data=data, headers=headers)


STATIC_CHECK = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # no database work: one backend


@STATIC_CHECK
def test_every_route_declares_one_policy(web_app):
    from fanzha.web.deps import PUBLIC

    routes = list(_routes(web_app))
    assert len(routes) >= 15
    public = {(m, p) for m, p, policy in routes if policy == PUBLIC}
    assert public == PUBLIC_ROUTES
    assert all(policy == PUBLIC or isinstance(policy, Permission) for _, _, policy in routes)


@STATIC_CHECK
def test_undeclared_route_refused_at_build(web_settings, monkeypatch):
    from fastapi import APIRouter

    import fanzha.web.app as appmod

    stray = APIRouter()

    @stray.get("/api/stray")
    def _stray():
        return {}

    real = appmod._routers
    monkeypatch.setattr(appmod, "_routers", lambda: [*real(), stray])
    with pytest.raises(RuntimeError, match="must declare one policy"):
        appmod.create_app(web_settings)


def test_anonymous_refused_everywhere(web_app, client, csrf_from):
    from fanzha.web.deps import PUBLIC

    csrf = csrf_from(client.get("/login").text)
    checked = 0
    for method, path, policy in _routes(web_app):
        if policy == PUBLIC:
            continue
        r = _call(client, method, path, csrf=csrf)
        if path.startswith("/api/"):
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.headers.get("www-authenticate") == "Bearer"
        else:
            assert r.status_code == 303 and r.headers["location"].startswith("/login"), (method, path, r.status_code)
        checked += 1
    assert checked >= 12


def test_missing_permission_is_403_everywhere(web_app, client, make_user, login, api_headers, csrf_from):
    from fanzha.web.deps import PUBLIC

    # One account per permission: it holds every role that does NOT grant the permission.
    accounts: dict[Permission, tuple[dict, str]] = {}
    permissions = sorted({p for _, _, p in _routes(web_app) if p != PUBLIC})
    for i, perm in enumerate(permissions):
        roles = [r for r in Role if r not in roles_with(perm)]
        name = f"lacks{i}"
        pw = make_user(name, roles=roles)
        accounts[perm] = (api_headers(name), pw, name)
    checked = 0
    for method, path, perm in _routes(web_app):
        if perm == PUBLIC:
            continue
        headers, pw, name = accounts[perm]
        if path.startswith("/api/"):
            r = _call(client, method, path, headers=headers)
        else:
            client.cookies.clear()
            assert login(client, name, pw).status_code == 303
            csrf = csrf_from(client.get("/login").text)
            r = _call(client, method, path, csrf=csrf)
        assert r.status_code == 403, (method, path, perm, r.status_code)
        assert perm.value in r.text and "CSRF" not in r.text  # refused for the permission, not something else
        checked += 1
    assert checked >= 12


def test_every_page_form_refuses_missing_or_forged_csrf(web_app, client, make_user, login):
    pw = make_user("all", roles=list(Role))
    assert login(client, "all", pw).status_code == 303
    posts = [(m, p) for m, p, _ in _routes(web_app) if m != "GET" and not p.startswith("/api/")]
    assert ("POST", "/logout") in posts and ("POST", "/lines/unmask") in posts
    for method, path in posts:
        for data in ({}, {"csrf_token": "0" * 64}):
            r = client.request(method, _concrete(path), data=data)
            assert r.status_code == 403, (method, path, data, r.status_code)
            assert "CSRF" in r.text
    assert client.get("/").status_code == 200  # still signed in: the refusals changed nothing


def test_api_ignores_session_cookie(client, make_user, login):
    """The API takes bearer tokens only: a browser cookie (which a cross-site page could ride) is not enough."""
    pw = make_user("cookieonly", roles=["supervisor"])
    login(client, "cookieonly", pw)
    assert client.get("/").status_code == 200
    assert client.get("/api/me").status_code == 401
