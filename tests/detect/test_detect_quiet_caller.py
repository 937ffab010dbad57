"""fraud_caller's quiet-caller rule on hand-made frames: a slow careful caller on a young line and a bought
old line whose shares broke alert; the look-alikes (a courier, an old sales line) and a line that is
simply not yet judged do not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fanzha.analytics.detectors.fraud_caller import ALERT_AT, QUIET_SCORE, quiet_hits, quiet_reasons, score_frame

SLOW = {"calls_out_24h": 25, "out_share_24h": 0.95, "new_peer_share_24h": 1.0, "callback_share_24h": 0.0,
        "calls_per_peer_24h": 1.0, "own_new_peers_24h": 12, "line_age_days": 20, "base_blocks_24h": 0,
        "out_share_break_24h": np.nan, "short_call_share_24h": 0.1, "peers_out_24h": 25, "lines_per_id": 1}


def _frame(**rows):
    return pd.DataFrame.from_dict({k: {**SLOW, **v} for k, v in rows.items()}, orient="index")


def test_slow_callers_alert_on_signs_that_need_no_volume():
    f = _frame(young={}, bought={"line_age_days": 3000, "base_blocks_24h": 20, "out_share_break_24h": 0.45},
               courier={"line_age_days": 900, "base_blocks_24h": 20, "out_share_break_24h": 0.02},
               old_unjudged={"line_age_days": 900, "base_blocks_24h": 1, "out_share_break_24h": 0.5},
               called_back={"callback_share_24h": 0.3}, few={"calls_out_24h": 12},
               inbound={"out_share_24h": 0.6}, no_own={"own_new_peers_24h": 3})
    hit = dict(zip(f.index, quiet_hits(f), strict=True))
    assert hit == {"young": True, "bought": True, "courier": False, "old_unjudged": False, "called_back": False,
                   "few": False, "inbound": False, "no_own": False}
    score = dict(zip(f.index, score_frame(f, None), strict=True))  # rules without a model: below 40 calls, capped
    assert score["young"] == QUIET_SCORE >= ALERT_AT and score["courier"] < ALERT_AT


def test_quiet_reasons_are_readable_chinese():
    bought = pd.Series({**SLOW, "line_age_days": 3000, "base_blocks_24h": 20, "out_share_break_24h": 0.45})
    zh = "；".join(r.zh for r in quiet_reasons(bought))
    assert "慢速外呼" in zh and "主叫占比较自身基线突增" in zh and "首次联系本网用户" in zh
