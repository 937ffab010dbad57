"""Helpers importable by any test module (`from helpers import external`)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
EXTERNAL = SHARED / "external-data"
# Every SIM-bank tactic and crowds switched on (a scenario file for `fanzha sim --config`).
BANK_TACTICS_TOML = """
[tactics]
bank_moving = 0.01
bank_handsets = 0.01
bank_imei_rotation = 0.01
bank_inbound = 0.01
bank_shifts = 0.01
bank_two_sites = 0.01
crowd = 0.1
bank_moving_hours = [3, 8]
bank_imei_rotation_days = [0.5, 1.0]
"""


def external(*parts: str) -> Path:
    """Path under ../shared/external-data; skips (with the reason) when the data is not beside the repo."""
    path = EXTERNAL.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"external data not found at {path}")
    return path


def browser_login(page, user: str, password: str) -> None:
    """Sign in through the login form in a Playwright page (fresh cookies), wait until redirected."""
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
