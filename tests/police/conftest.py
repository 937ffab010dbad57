"""Fixtures shared by the police desk tests: settings on the test database and the seeded world."""

from __future__ import annotations

import pytest

from police_seed import seed


@pytest.fixture
def settings(db_url):
    from fanzha.config import Settings

    return Settings()


@pytest.fixture
def world(engine, settings, tmp_path):
    return seed(engine, settings, tmp_path)
