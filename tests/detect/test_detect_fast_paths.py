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


def test_resold_screen_skips_only_lines_where_nothing_can_fire(ctx, monkeypatch):
    rules = resold_card.ResoldRules()
    frame = resold_card.blocks(ctx, rules)
    centre = tuple(ctx.df("SELECT MEDIAN(CAST(lat AS DOUBLE)) AS a, MEDIAN(CAST(lon AS DOUBLE)) AS b FROM cells").iloc[0])
    quiet = resold_card.quiet_lines(frame, centre, rules)
    assert 0 < len(quiet) < frame["msisdn"].nunique()  # the screen does skip lines, and not all of them
    fast = resold_card.score_blocks(frame, ctx.subscribers(), centre, rules)
    monkeypatch.setattr(resold_card, "quiet_lines", lambda *a: pd.Index([]))
    slow = resold_card.score_blocks(frame, ctx.subscribers(), centre, rules)
    assert (slow["score"] > 0).any()  # some signs fire in this province
    pd.testing.assert_frame_equal(fast, slow)
    assert not slow[slow["msisdn"].isin(quiet)]["fired"].map(bool).any()
