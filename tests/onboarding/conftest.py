"""Fixtures for the counter gate: a Gate on the test database, people and lines in the registry."""

from __future__ import annotations

import pytest

from onboarding.onboarding_support import Registry

# The web fixtures (app on the test database, users, live server, browser page) are shared from tests/web.
from web.conftest import (  # noqa: F401
    _cheap_argon2, api_headers, client, csrf_from, live_server, login, make_user, page, web_app, web_settings,
)


@pytest.fixture
def gate(engine):
    from fanzha.casework.audit.service import chain_key
    from fanzha.casework.onboarding.crosscarrier import SimulatedCrossCarrier
    from fanzha.casework.onboarding.rules import default_rules
    from fanzha.casework.onboarding.service import Gate
    from fanzha.config import get_settings
    from fanzha.privacy import Protector

    settings = get_settings()
    # No one holds lines at other carriers unless a test says so: results must not depend on the hash.
    return Gate(rules=default_rules(), cross_carrier=SimulatedCrossCarrier(derive=False), protector=Protector.from_settings(settings),
                key=chain_key(settings))  # fmt: skip


@pytest.fixture
def registry(engine, gate) -> Registry:
    reg = Registry(engine, gate)
    reg.shops("S001", "S002", "S003")
    return reg
