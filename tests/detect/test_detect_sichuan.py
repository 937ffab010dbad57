"""Sichuan 2020 graph data (external): the adapter, leakage-free graph features, a small training run."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import external

from fanzha.analytics.models import binary_metrics, train_classifier
from fanzha.analytics.neighbours import neighbour_features
from fanzha.analytics.sichuan_graph import load

pytestmark = pytest.mark.external


@pytest.fixture(scope="module")
def data():
    return load(external("sichuan-graph-gatcobo"))


def test_adapter_split(data):
    n = len(data.labels)
    assert data.features.shape == (n, 55)
    assert data.adjacency.shape == (n, n)
    assert data.train.sum() == int(0.6 * n) and data.test.sum() == n - int(0.8 * n)
    assert not (data.train & data.valid).any() and not (data.valid & data.test).any()
    assert set(np.unique(data.labels)) == {0, 1}


def test_graph_features_never_see_unknown_labels(data):
    feats = neighbour_features(data.adjacency, labels=data.labels, known=data.train)
    flipped = data.labels.copy()
    flipped[~data.train] = 1 - flipped[~data.train]
    again = neighbour_features(data.adjacency, labels=flipped, known=data.train)
    assert feats.equals(again)
    assert feats["g_degree"].max() > 100  # a real call graph, not an empty one


def test_small_training_run(data):
    X = data.features
    model = train_classifier(X[data.train], data.labels[data.train], name="fraud_caller", rounds=60,
                             valid=(X[data.valid], data.labels[data.valid]), refit_all=False)
    m = binary_metrics(data.labels[data.test], model.predict(X[data.test]), model.threshold)
    assert m["auc"] > 0.9 and m["f1"] > 0.75
