"""Tracing fixtures: a small synthetic province and its published graph (built once per session), a ring seed."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

# The web fixtures (app on the test database, users, live server, browser page) are shared from tests/web;
# `web_settings` is this area's own (the app reads the province's graph).
from web.conftest import (  # noqa: F401
    _cheap_argon2, client, csrf_from, live_server, login, make_user, page, web_app,
)


# The graph is built once per session; the app under test uses the same keys, so ID seeds resolve.
HASH_KEY, DATA_KEY = "trace-test-hash-key-0123456789abcdef", "dHJhY2UtdGVzdC1kYXRhLWtleS0wMTIzNDU2Nzg5YWI="


@pytest.fixture(autouse=True)
def _graph_keys(monkeypatch, _isolated_settings):
    from fanzha.config import reset_settings

    monkeypatch.setenv("FANZHA_HASH_KEY", HASH_KEY)
    monkeypatch.setenv("FANZHA_DATA_KEY", DATA_KEY)
    reset_settings()


@dataclass(frozen=True)
class Province:
    data: Path          # the simulator's files
    graph: Path         # the published graph folder
    seed: str           # a ring member (clear number)
    ring: frozenset     # the ring's other own lines
    seed_owner: str     # the seed line's registered ID number
    owner_lines: frozenset  # the owner's other lines


@pytest.fixture(scope="session")
def province(tmp_path_factory) -> Province:
    from fanzha.analytics.graph.build import build_graph
    from fanzha.privacy import Protector
    from fanzha.sim import simulate

    root = tmp_path_factory.mktemp("trace-province")
    data = root / "sim"
    simulate(lines=1500, days=2, seed=1, out=data)
    protector = Protector(HASH_KEY.encode(), DATA_KEY.encode())
    build_graph(subscribers=data / "subscribers.csv", cdr=data / "cdr", protector=protector, out=root / "graph")
    rings = defaultdict(list)
    with open(data / "labels.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["ring_id"]:
                rings[row["ring_id"]].append(row["msisdn"])
    members = max(rings.values(), key=len)
    with open(data / "subscribers.csv", encoding="utf-8") as fh:
        subs = list(csv.DictReader(fh))
    owner = next(r["id_no"] for r in subs if r["msisdn"] == members[0])
    owned = frozenset(r["msisdn"] for r in subs if r["id_no"] == owner) - {members[0]}
    return Province(data=data, graph=root / "graph", seed=members[0], ring=frozenset(members[1:]), seed_owner=owner,
                    owner_lines=owned)


@pytest.fixture
def web_settings(db_url, province):
    """Settings on the test database that read the province's graph (as FANZHA_GRAPH_DIR would)."""
    from fanzha.config import Settings

    return Settings(graph_dir=province.graph, rate_login_per_minute=100_000, rate_query_per_minute=100_000)
