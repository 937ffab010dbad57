"""Security tests: cheap Argon2 parameters so hashing does not dominate the run (production keeps RFC 9106)."""

import pytest


@pytest.fixture(autouse=True)
def _cheap_argon2(monkeypatch, _isolated_settings):
    from fanzha.config import reset_settings

    monkeypatch.setenv("FANZHA_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("FANZHA_ARGON2_MEMORY_KIB", "1024")
    reset_settings()
