"""`fanzha serve` starts uvicorn on the given port; cookies are Secure and __Host- prefixed when configured."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_fanzha_serve(db_url, tmp_path):
    port = _free_port()
    env = {**os.environ, "FANZHA_DATABASE_URL": db_url, "FANZHA_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-c", "from fanzha.cli import main; main()", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90  # generous: CI machines may be busy
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read().decode()
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        assert r.status_code == 200 and r.json() == {"ok": True}
        assert "server" not in r.headers  # no version banner
        assert httpx.get(f"http://127.0.0.1:{port}/lines").status_code == 303
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_secure_cookies(web_settings, make_user):
    from fastapi.testclient import TestClient

    from fanzha.web.app import create_app

    app = create_app(web_settings.model_copy(update={"cookie_secure": True}))
    pw = make_user("sec", roles=["analyst"])
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        page = c.get("/login")
        assert "__Host-fanzha_csrf=" in page.headers["set-cookie"] and "Secure" in page.headers["set-cookie"]
        import re

        csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
        r = c.post("/login", data={"username": "sec", "password": pw, "csrf_token": csrf})
        assert r.status_code == 303
        session_cookie = [v for k, v in r.headers.multi_items() if k == "set-cookie" and "session" in v][0]
        assert session_cookie.startswith("__Host-fanzha_session=") and "Secure" in session_cookie
        assert "HttpOnly" in session_cookie
        assert r.headers["strict-transport-security"].startswith("max-age=")
        assert c.get("/").status_code == 200
