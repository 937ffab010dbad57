"""Call-graph features on a graph small enough to check by hand, and the no-own-label property."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from fanzha.analytics.neighbours import (
    NEIGHBOUR_DOCS,
    difference_docs,
    neighbour_differences,
    neighbour_features,
)

# Triangle 0-1-2, tail 2-3-4, node 5 alone. Given one way only (upper triangle), as in the Sichuan file.
EDGES = [(0, 1), (0, 2), (1, 2), (2, 3), (3, 4)]
LABELS = np.array([1, 0, 1, 0, 1, 0])
KNOWN = np.array([True, True, True, False, True, False])


def _adj(edges=EDGES, n=6):
    r, c = zip(*edges, strict=True)
    return sp.csr_matrix((np.ones(len(edges)), (r, c)), shape=(n, n))


@pytest.fixture(scope="module")
def feats():
    return neighbour_features(_adj(), labels=LABELS, known=KNOWN)


def test_counts_and_shares(feats):
    np.testing.assert_array_equal(feats["g_degree"], [2, 2, 3, 2, 1, 0])
    np.testing.assert_array_equal(feats["g_known_neighbours"], [2, 2, 2, 2, 0, 0])  # node 3 is unlabelled
    np.testing.assert_array_equal(feats["g_fraud_neighbours"], [1, 2, 1, 2, 0, 0])
    np.testing.assert_array_equal(feats["g_fraud_neighbour_share"], [0.5, 1.0, 0.5, 1.0, np.nan, np.nan])
    # node 0 reaches {1, 2, 3} in two steps (itself excluded); labelled {1, 2}, fraud {2}
    assert feats["g_reach_2hop"][0] == 3 and feats["g_fraud_share_2hop"][0] == 0.5
    # node 4 reaches only node 2 (fraud) in two steps
    assert feats["g_reach_2hop"][4] == 1 and feats["g_fraud_share_2hop"][4] == 1.0
    # node 2's two-hop paths: to 0 via 1, to 1 via 0, to 4 via 3 — all labelled, fraud at 0 and 4
    assert feats["g_fraud_paths_2hop"][2] == 2 and feats["g_fraud_path_share_2hop"][2] == pytest.approx(2 / 3)


def test_neighbour_share_leaves_the_line_out(feats):
    # node 0 (fraud): neighbour 1 without node 0 has labelled {2} -> 1.0; neighbour 2 without node 0 has
    # labelled {1} -> 0.0. Mean 0.5 (counting node 0's own label would give 0.75).
    assert feats["g_neighbour_fraud_share_mean"][0] == 0.5
    # node 4: neighbour 3 without node 4 has labelled {2} (fraud) -> 1.0
    assert feats["g_neighbour_fraud_share_mean"][4] == 1.0
    assert np.isnan(feats["g_neighbour_fraud_share_mean"][5])


def test_shape_of_the_neighbourhood(feats):
    np.testing.assert_array_equal(feats["g_neighbour_degree_mean"], [2.5, 2.5, 2.0, 2.0, 2.0, np.nan])
    np.testing.assert_array_equal(feats["g_neighbour_degree_max"], [3, 3, 2, 3, 2, np.nan])
    np.testing.assert_array_equal(feats["g_neighbour_degree_min"], [2, 2, 2, 1, 2, np.nan])
    np.testing.assert_array_equal(feats["g_leaf_neighbours"], [0, 0, 0, 1, 0, 0])
    np.testing.assert_array_equal(feats["g_triangles"], [1, 1, 1, 0, 0, 0])
    np.testing.assert_allclose(feats["g_clustering"], [1, 1, 1 / 3, 0, np.nan, np.nan])
    assert set(feats.columns) == set(NEIGHBOUR_DOCS)


def test_own_label_never_feeds_own_features():
    rng = np.random.default_rng(3)
    n = 60
    dense = np.triu(rng.uniform(size=(n, n)) < 0.08, 1)
    adj = sp.csr_matrix(dense.astype(float))
    labels = rng.integers(0, 2, n)
    known = rng.uniform(size=n) < 0.6
    base = neighbour_features(adj, labels=labels, known=known)
    for i in np.flatnonzero(known)[:15]:
        flipped = labels.copy()
        flipped[i] = 1 - flipped[i]
        again = neighbour_features(adj, labels=flipped, known=known)
        pd.testing.assert_series_equal(base.iloc[i], again.iloc[i])  # row i unchanged ...
        assert not base.equals(again) or base["g_degree"][i] == 0  # ... while its neighbours' rows do change


def test_differences_to_neighbours():
    x = pd.DataFrame({"calls": [0.0, np.nan, 20.0, 30.0, 40.0, 5.0]})
    d = neighbour_differences(_adj(), x)
    assert list(d.columns) == ["gd_calls"]
    # node 0: neighbours 1 (no value, skipped) and 2 -> 0 - 20; node 2: neighbours 0, 3 -> 20 - 15;
    # node 3: 30 - mean(20, 40); node 4: 40 - 30; node 1 has no value; node 5 has no neighbours
    np.testing.assert_array_equal(d["gd_calls"], [-20.0, np.nan, 5.0, 0.0, 10.0, np.nan])


def test_difference_docs():
    docs = difference_docs(["calls", "arpu"], {"calls": {"zh": "通话次数", "en": "calls"}})
    assert docs["gd_calls"]["zh"].endswith("通话次数") and docs["gd_calls"]["en"].startswith("calls:")
    assert "arpu" in docs["gd_arpu"]["en"]  # a feature without docs is named as it is
