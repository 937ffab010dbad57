"""The group rule on ordinary counter traffic (fanzha.sim.counter, no gang in it): at most 5 % of ordinary
customers escalated, at a small and at a large shop at a busy day's rates (benchmarks/onboarding_group.py
prints the same measurement for every shop size and more days)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from onboarding_group import TARGET, Rate, measure  # noqa: E402


def test_ordinary_customers_are_seldom_escalated(engine, gate):
    rates = measure(engine, gate, days=1, seed=11, sizes=(2, 6))
    total = Rate()
    for r in rates.values():
        total.add(r)
    assert total.customers > 150  # a busy day: the 6-clerk shop alone serves over a hundred
    assert total.share <= TARGET, (total.share, total.codes)
