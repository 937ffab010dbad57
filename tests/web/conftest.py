"""Fixtures for web tests, reusable by later issues' page and API tests.

- ``web_app``: the app on the test database (``db_url``: SQLite and PostgreSQL), rate limits raised;
- ``client``: a TestClient; ``make_user`` / ``login`` / ``api_headers`` to act as a role;
- ``registry``: a few shops, persons and lines in the registry tables (clear values returned);
- ``live_server`` + ``page``: the app under uvicorn on a free port and a Playwright page driving
  Debian's chromium (marker ``browser``; skipped when /usr/bin/chromium is missing).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def _csrf_from(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "page has no CSRF field"
    return m.group(1)


@pytest.fixture
def csrf_from():
    """csrf_from(html) -> the CSRF token of the page's first form."""
    return _csrf_from


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch, _isolated_settings):
    """Cheap Argon2 parameters so hashing does not dominate web tests (production keeps RFC 9106)."""
    from fanzha.config import reset_settings

    monkeypatch.setenv("FANZHA_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("FANZHA_ARGON2_MEMORY_KIB", "1024")
    reset_settings()


@pytest.fixture
def web_settings(db_url):
    from fanzha.config import Settings

    # Generous limits: tests that exercise the limits build their own app with small ones.
    return Settings(rate_login_per_minute=100_000, rate_query_per_minute=100_000, rate_public_form_per_minute=100_000)


@pytest.fixture
def web_app(web_settings):
    from fanzha.web.app import create_app

    return create_app(web_settings)


@pytest.fixture
def client(web_app):
    from fastapi.testclient import TestClient

    with TestClient(web_app, follow_redirects=False) as c:
        yield c


@pytest.fixture
def make_user(web_app):
    """make_user("name", roles=[...], shops=[...]) -> password; the user is committed."""
    from fanzha.casework.auth import flows
    from fanzha.casework.auth.principal import Principal
    from fanzha.db import session_scope

    def _make(username: str, *, roles=(), shops=(), password: str = "correct-horse-battery") -> str:
        with session_scope(web_app.state.engine) as db:
            flows.add_user(db, key=web_app.state.audit_key, actor=Principal.system("test"), username=username,
                           password=password, roles=roles, shops=shops)  # fmt: skip
        return password

    return _make


def _login(client, username: str, password: str, *, next: str = "/"):
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password, "next": next,
                                       "csrf_token": _csrf_from(page.text)})  # fmt: skip


@pytest.fixture
def login():
    """login(client, username, password) signs in through the form (CSRF included); returns the POST response."""
    return _login


@pytest.fixture
def api_headers(web_app):
    """api_headers("username") -> {"Authorization": "Bearer fz_…"} for an existing user."""
    from fanzha.casework.auth import service
    from fanzha.db import session_scope

    def _headers(username: str) -> dict[str, str]:
        with session_scope(web_app.state.engine) as db:
            user = service.get_user(db, username=username)
            token = service.issue_token(db, user=user, name="test", days=1)
        return {"Authorization": f"Bearer {token}"}

    return _headers


@dataclass(frozen=True)
class RegistryLine:
    msisdn: str
    shop_id: str
    id_no: str
    name: str


@pytest.fixture
def registry(web_app) -> list[RegistryLine]:
    """Two shops, three persons, four lines, stored the way the registry stores them (hash + encrypted)."""
    from fanzha.casework.registry.models import Line, Person, Shop
    from fanzha.db import session_scope
    from fanzha.ids import check_char
    from fanzha.privacy import mask_id, mask_name

    protector = web_app.state.protector
    people = [("张三丰", "42120219800101001"), ("李四", "42122119900202002"), ("欧阳娜娜", "42128119950303004")]
    rows = [("13307150001", "S001", 0), ("18907150002", "S001", 0), ("15307150003", "S002", 1),
            ("17707150004", "S002", 2)]  # fmt: skip
    out = []
    with session_scope(web_app.state.engine) as db:
        db.add_all([Shop(shop_id="S001", name="咸安营业厅", region_code="421202"),
                    Shop(shop_id="S002", name="赤壁营业厅", region_code="421281")])  # fmt: skip
        persons = []
        for name, first17 in people:
            id_no = first17 + check_char(first17)
            p = Person(id_hash=protector.hash(id_no), id_enc=protector.encrypt(id_no), id_masked=mask_id(id_no),
                       name_enc=protector.encrypt(name), name_masked=mask_name(name), division_code=id_no[:6])  # fmt: skip
            db.add(p)
            persons.append((p, id_no, name))
        db.flush()
        for msisdn, shop, k in rows:
            p, id_no, name = persons[k]
            db.add(Line(msisdn=msisdn, line_type="mobile", person_id=p.id, shop_id=shop, status="active",
                        open_time=datetime(2026, 5, 1, tzinfo=UTC), carrier="telecom"))  # fmt: skip
            out.append(RegistryLine(msisdn, shop, id_no, name))
    return out


# --- live server and browser ---------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_server(web_app):
    """The app served by uvicorn in a thread; yields the base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(web_app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(live_server):
    """A Playwright page in Debian's chromium (headless, no network beyond the live server)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (scripts/system-packages.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server, locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(30_000)
        try:
            yield pg
        finally:
            context.close()
            browser.close()
