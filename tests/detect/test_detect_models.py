"""LightGBM training, model directory round trip, explanations from the model's own contributions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from fanzha.analytics.models import TrainedModel, pick_threshold, train_classifier


def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"calls_out": rng.poisson(20, n).astype(float), "short_share": rng.uniform(0, 1, n),
                      "noise": rng.normal(0, 1, n)})
    logit = 0.15 * (X.calls_out - 20) + 5 * (X.short_share - 0.6)
    y = (rng.uniform(0, 1, n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_train_save_load_explain(tmp_path):
    X, y = _data()
    model = train_classifier(X, y, name="fraud_caller", rounds=200, feature_docs={"calls_out": {"zh": "主叫次数", "en": "calls out"}},
                             data_summary={"source": "synthetic"}, intended_use="test")
    val = model.card["metrics"]["validation"]
    assert val["auc"] > 0.75  # the signal is real; noise alone would give ~0.5
    assert 0 < model.threshold < 1
    path = model.save(tmp_path / "m")
    card = json.loads((path / "model.json").read_text())
    assert [f["name"] for f in card["features"]] == ["calls_out", "short_share", "noise"]
    assert card["training_data"]["source"] == "synthetic" and card["training_data"]["positives"] == int(y.sum())
    assert "主叫次数" in (path / "MODEL_CARD.md").read_text()
    back = TrainedModel.load(path)
    Xt, _ = _data(50, seed=1)
    np.testing.assert_allclose(back.predict(Xt), model.predict(Xt))
    # contributions + bias add up to the raw score; the top ones are the informative features
    raw = back.booster.predict(Xt.to_numpy(), raw_score=True)
    contrib = back.booster.predict(Xt.to_numpy(), pred_contrib=True)
    np.testing.assert_allclose(contrib.sum(axis=1), raw, rtol=1e-6, atol=1e-6)
    expl = back.explain(Xt, top=2)
    assert len(expl) == 50
    tops = [c.feature for row in expl for c in row[:1]]
    assert tops.count("noise") < len(tops) / 3
    assert all(c.contribution > 0 for row in expl for c in row)


def test_pick_threshold_precision_target():
    y = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    t = pick_threshold(y, p, min_precision=1.0)
    assert 0.5 < t <= 0.6  # alerts exactly the positives above the last negative, with a margin
    assert 0.3 < pick_threshold(y, p) <= 0.4  # best F1 alerts 0.4 and up
    assert pick_threshold(np.zeros(3), np.zeros(3)) == 0.5


def test_predict_empty_and_missing_feature():
    X, y = _data(200)
    model = train_classifier(X, y, name="m", rounds=20)
    assert model.predict(X.iloc[:0]).shape == (0,)
    try:
        model.predict(X.drop(columns=["noise"]))
    except ValueError as e:
        assert "noise" in str(e)
    else:
        raise AssertionError("missing feature accepted")
