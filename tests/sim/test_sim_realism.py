"""Realism of the synthetic province, measured from the written files (fanzha.sim.realism).

Each assertion is a documented direction: ordinary people have heavy-tailed degrees, reciprocal and
repeated contacts, quiet nights, minute-long calls, small daily ranges; each scenario departs from
ordinary behaviour the way the domain says it does. Run with `-s` to see the table."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fanzha.sim import simulate
from fanzha.sim.realism import format_table, measure


def _measure_new(out: Path) -> dict:
    simulate(lines=10000, days=7, seed=11, out=out)
    stats = measure(out)
    shutil.rmtree(out, ignore_errors=True)  # the statistics are all the tests need
    return stats


@pytest.fixture(scope="module")
def stats(build_once) -> dict:
    _, s = build_once("realism-10000x7", _measure_new)
    print("\n" + format_table(s))
    return s


def group(stats: dict, name: str) -> dict:
    return next(g for g in stats["groups"] if g["group"] == name)


def test_ordinary_calling_looks_like_people(stats):
    # Heavy-tailed degrees: far above a Poisson graph of the same mean.
    assert stats["degree_p99"] >= 2.5 * stats["degree_median"]
    assert stats["degree_max"] >= 8 * stats["degree_median"]
    assert stats["degree_cv"] >= 0.4
    assert 0.3 <= stats["reciprocity"] <= 0.85
    assert stats["repeat_call_share"] >= 0.4
    # Rhythms: quiet nights, busy mornings/evenings, quieter weekends.
    assert 0.003 <= stats["night_share"] <= 0.06
    assert 8 <= stats["busiest_hour"] <= 21
    assert 0.7 <= stats["weekend_to_weekday_volume"] <= 0.98
    # Durations: about a minute, with a long tail; some calls go unanswered.
    assert 30 <= stats["duration_median_s"] <= 120
    assert stats["duration_p90_s"] >= 2.5 * stats["duration_median_s"]
    assert 0.08 <= stats["unanswered_share"] <= 0.35
    # Mobility: a few km a day, occasional trips to other cities.
    assert 0.3 <= stats["gyration_median_km"] <= 10
    assert stats["gyration_p90_km"] >= 3 * stats["gyration_median_km"]
    assert 0.005 <= stats["share_travelling_over_50km"] <= 0.2
    assert 3 <= stats["cdr_per_line_day"] <= 12


@pytest.mark.parametrize("name", ["fraud_caller:fraud_caller", "fraud_caller:bulk_opening", "simbox"])
def test_fraud_lines_call_many_strangers_outbound(stats, name):
    ordinary, g = group(stats, "ordinary"), group(stats, name)
    assert g["out_per_day"] >= 5 * ordinary["out_per_day"]
    assert g["out_share"] >= max(0.8, ordinary["out_share"] + 0.25)
    assert g["distinct_peer_ratio"] >= 0.9 > ordinary["distinct_peer_ratio"]
    assert g["unanswered_share"] > ordinary["unanswered_share"]
    assert g["duration_median_s"] < ordinary["duration_median_s"]


def test_sim_banks_sit_still_on_shared_gateways(stats):
    g = group(stats, "simbox")
    assert g["lines_per_imei"] >= 4 and group(stats, "ordinary")["lines_per_imei"] <= 2
    assert g["cells"] <= 1 < group(stats, "ordinary")["cells"]
    assert stats["simbox_inbound_share"] < 0.05


def test_resold_bulk_and_mule_signatures(stats):
    assert stats["resold_move_km_median"] > 500
    assert stats["resold_new_imei_share"] >= 0.9
    assert stats["bulk_lines_per_visit_median"] >= 5 > stats["ordinary_lines_per_visit_max"]
    assert stats["mule_ring_contact_share"] >= 0.5
    assert stats["mule_ring_contact_share"] >= 5 * stats["ordinary_ring_contact_share"]
    assert stats["reports"] > 0 and stats["reports_naming_fraud_lines_share"] >= 0.8
    assert stats["fraud_out_before_since_share"] < 0.1


def test_hard_negatives_are_busy_but_not_fraud_shaped(stats):
    ordinary, fraud = group(stats, "ordinary"), group(stats, "fraud_caller:fraud_caller")
    for name in ("hard_negative:courier", "hard_negative:customer_service", "hard_negative:taxi_dispatch"):
        g = group(stats, name)
        assert g["calls_per_day"] >= 5 * ordinary["calls_per_day"]  # as busy as a fraud line …
        # … but they answer and are answered: inbound traffic, few unanswered calls.
        assert g["out_share"] < 0.8 and g["unanswered_share"] < fraud["unanswered_share"]
    sales = group(stats, "hard_negative:sales")
    assert sales["out_per_day"] >= 5 * ordinary["out_per_day"]
    assert sales["duration_median_s"] > fraud["duration_median_s"]


def test_camouflage_knob_softens_fraud(tmp_path):
    from fanzha.sim import SimConfig

    rows = {}
    for cam in (0.0, 1.0):
        out = tmp_path / f"cam{cam}"
        simulate(lines=4000, days=2, seed=5, out=out, config=SimConfig.load(**{"fraud.camouflage": cam}))
        rows[cam] = group(measure(out), "fraud_caller:fraud_caller")
    assert rows[1.0]["out_per_day"] < 0.7 * rows[0.0]["out_per_day"]
    assert rows[1.0]["out_share"] < rows[0.0]["out_share"]
    assert rows[1.0]["duration_median_s"] > 1.5 * rows[0.0]["duration_median_s"]
