"""Supervision fixtures.

- ``scenario``: a small casework history on the test database (SQLite and PostgreSQL) made through the real
  services: two counties, an auto-suspended line, a line shut down after L1/L2/L3, a case left open, one appeal
  upheld and one rejected, a line shut down last year.
- ``demo``: ONE run of ``fanzha demo --no-serve`` (small province) shared by the whole session, with its
  settings and the demo logins; ``demo_server`` serves it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from supervision_support import Scenario, build_scenario


@pytest.fixture
def scenario(engine, db_url) -> Scenario:
    return build_scenario(engine)


# --- one demo run for the session ----------------------------------------------------------------

@dataclass(frozen=True)
class Demo:
    home: Path
    settings: object
    accounts: dict
    result: dict


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Demo:
    """``run_demo`` once (3,000 lines, 3 days) in its own FANZHA_HOME; restored environment afterwards."""
    from fanzha.config import Settings, reset_settings
    from fanzha.demo import run_demo

    home = tmp_path_factory.mktemp("demo") / "home"
    saved = {k: os.environ.get(k) for k in ("FANZHA_HOME", "FANZHA_ARGON2_TIME_COST", "FANZHA_ARGON2_MEMORY_KIB",
                                            "FANZHA_DATABASE_URL")}  # fmt: skip
    os.environ.update(FANZHA_HOME=str(home), FANZHA_ARGON2_TIME_COST="1", FANZHA_ARGON2_MEMORY_KIB="1024")
    os.environ.pop("FANZHA_DATABASE_URL", None)
    reset_settings()
    try:
        settings = Settings()
        result = run_demo(settings=settings, lines=3000, days=3, seed=3, out=home / "demo")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        reset_settings()
    return Demo(home=home, settings=settings, accounts=result["accounts"], result=result)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def demo_server(demo):
    """The demo's app under uvicorn in a thread (session-wide); yields the base URL."""
    import uvicorn

    from fanzha.web.app import create_app

    settings = demo.settings.model_copy(update={"rate_login_per_minute": 10_000})
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("demo server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
