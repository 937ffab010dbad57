"""The fast paths taken for speed give exactly what the straightforward computation gives."""

from __future__ import annotations

import pandas as pd
import pytest

from fanzha.analytics.detectors import resold_card
from fanzha.analytics.detectors.context import open_context

MIX = """
[fraud]
resold = 0.03
fraud_caller = 0.02
"""


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    from fanzha.sim import simulate

    prov = tmp_path_factory.mktemp("prov")
    config = prov / "mix.toml"
    config.write_text(MIX)
    simulate(lines=400, days=3, seed=13, out=prov, config=config)
    ctx, _ = open_context(workdir=tmp_path_factory.mktemp("work"), cdr=prov / "cdr", sms=prov / "sms",
                          subscribers=prov / "subscribers.csv", cells=prov / "cells.csv")
    yield ctx
    ctx.engine.close()


def test_resold_prefilter_skips_only_lines_that_cannot_alert(ctx, monkeypatch):
    """The SQL prefilter (contacts turnover or the far-away rule) is a necessary condition: replaying every
    line gives the same alerts and first-alert times as replaying the candidates only."""
    rules = resold_card.ResoldRules()
    fast = resold_card.ResoldCardDetector(rules).detect(ctx)
    cand = ctx.df(resold_card.candidates_sql(rules, "SELECT msisdn FROM line_block_attr"))
    lines = ctx.df("SELECT COUNT(DISTINCT msisdn) AS n FROM line_block_attr")["n"].iloc[0]
    assert 0 < len(cand) < lines  # the prefilter does skip lines, and not all of them
    ctx._cache.clear()
    monkeypatch.setattr(resold_card, "candidates_sql", lambda *a, **k: "SELECT DISTINCT msisdn FROM line_block_attr")
    slow = resold_card.ResoldCardDetector(rules).detect(ctx)
    assert fast and {(a.subject, a.evidence["first_alert_time"]) for a in fast} == \
        {(a.subject, a.evidence["first_alert_time"]) for a in slow}
    assert {a.subject for a in slow} <= set(cand["msisdn"])
