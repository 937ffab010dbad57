"""Gradient-boosted models (LightGBM): training, persistence with a model card, explanations.

A model directory holds::

    booster.txt     the LightGBM model (text format: diffable, no pickle)
    model.json      the model card: features, training data summary, parameters, metrics, threshold
    MODEL_CARD.md   the same, readable

Explanations come from the model's own feature contributions (``pred_contrib``: TreeSHAP values
in log-odds), so a reason shown to an analyst is exactly what moved that line's score.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "deterministic": True,
    "force_row_wise": True,
}
BOOSTER_FILE, CARD_FILE, CARD_MD = "booster.txt", "model.json", "MODEL_CARD.md"


@dataclass
class Contribution:
    feature: str
    value: float
    contribution: float  # log-odds added to this row's score by the feature


@dataclass
class TrainedModel:
    booster: lgb.Booster
    features: list[str]
    threshold: float
    card: dict[str, Any] = field(default_factory=dict)

    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        missing = [f for f in self.features if f not in X.columns]
        if missing:
            raise ValueError(f"model {self.card.get('name')!r} needs features absent from the input: {missing[:5]}")
        return X[self.features].to_numpy(dtype=float)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of the positive class, 0..1, one per row."""
        if len(X) == 0:
            return np.zeros(0)
        return np.clip(self.booster.predict(self._matrix(X), num_threads=threads_for(len(X))), 0.0, 1.0)

    def explain(self, X: pd.DataFrame, *, top: int = 3) -> list[list[Contribution]]:
        """Per row, the ``top`` features that pushed the score up most (largest positive contributions)."""
        if len(X) == 0:
            return []
        m = self._matrix(X)
        contrib = self.booster.predict(m, pred_contrib=True, num_threads=threads_for(len(m)))[:, : len(self.features)]
        out = []
        for i in range(len(m)):
            order = np.argsort(-contrib[i])[:top]
            out.append([
                Contribution(self.features[j], float(m[i, j]), float(contrib[i, j])) for j in order if contrib[i, j] > 0
            ])
        return out

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(path / BOOSTER_FILE))
        card = {**self.card, "features": self.card.get("features") or [{"name": f} for f in self.features]}
        card["threshold"] = self.threshold
        (path / CARD_FILE).write_text(json.dumps(card, ensure_ascii=False, indent=2, default=_json_default) + "\n")
        (path / CARD_MD).write_text(card_markdown(card))
        return path

    @classmethod
    def load(cls, path: Path) -> TrainedModel:
        path = Path(path)
        if not (path / BOOSTER_FILE).is_file():
            raise FileNotFoundError(f"{path} is not a fanzha model directory (no {BOOSTER_FILE})")
        card = json.loads((path / CARD_FILE).read_text())
        booster = lgb.Booster(model_file=str(path / BOOSTER_FILE))
        return cls(booster=booster, features=[f["name"] for f in card["features"]], threshold=card["threshold"], card=card)


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, dt.datetime | pd.Timestamp):
        return o.isoformat()
    raise TypeError(type(o))


def threads_for(rows: int) -> int:
    """One thread below ~100k rows: LightGBM's OpenMP threads spin, and on a busy 2-core host
    two threads on small data were measured 15x slower than one."""
    return 1 if rows < 100_000 else max(1, min(os.cpu_count() or 1, 4))


def pick_threshold(y: np.ndarray, p: np.ndarray, *, min_precision: float | None = None) -> float:
    """The score threshold to alert at, chosen on held-out data.

    Without ``min_precision``: the best F1. With it: the most recall among thresholds whose
    precision reaches it (else the best F1). Thresholds that do equally well on the held-out data
    form a range; the middle of it is returned, leaving a margin on both sides for new data.
    """
    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=float)
    if len(y) == 0 or y.min() == y.max():
        return 0.5
    cands = np.unique(np.round(p, 6))
    stats = []
    for t in cands:
        pred = p >= t
        tp = int((pred & (y == 1)).sum())
        prec = tp / max(int(pred.sum()), 1)
        rec = tp / max(int(y.sum()), 1)
        f = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        stats.append((float(t), prec, rec, f, tp))
    ok = [s for s in stats if min_precision is not None and s[1] >= min_precision and s[4] > 0]
    if ok:
        best_rec = max(s[2] for s in ok)
        tied = [s for s in ok if s[2] == best_rec and s[1] >= min_precision]
    else:
        best_f = max(s[3] for s in stats)
        tied = [s for s in stats if s[3] == best_f]
    lo, hi = min(s[0] for s in tied), max(s[0] for s in tied)
    # The range's lower end is an observed score; the next lower score is where alerts would change.
    below = cands[cands < lo]
    lower_edge = float(below.max()) if len(below) else lo
    return float((lower_edge + hi) / 2) if hi > lower_edge else float(lo)


def binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    y = np.asarray(y).astype(int)
    pred = (np.asarray(p) >= threshold).astype(int)
    both = y.min() != y.max() if len(y) else False
    return {
        "rows": int(len(y)),
        "positives": int(y.sum()),
        "auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "macro_f1": float(f1_score(y, pred, average="macro", zero_division=0)),
        "threshold": float(threshold),
    }


def train_classifier(
    X: pd.DataFrame,
    y: Sequence[int] | np.ndarray,
    *,
    name: str,
    valid: tuple[pd.DataFrame, Sequence[int]] | None = None,
    valid_fraction: float = 0.25,
    params: Mapping[str, Any] | None = None,
    rounds: int = 600,
    min_precision: float | None = None,
    refit_all: bool = True,
    seed: int = 0,
    feature_docs: Mapping[str, Mapping[str, str]] | None = None,
    data_summary: Mapping[str, Any] | None = None,
    intended_use: str = "",
) -> TrainedModel:
    """Train a binary LightGBM model, pick the alert threshold on validation data, fill a model card.

    Validation data is ``valid`` if given, else a stratified ``valid_fraction`` of ``X``. Early
    stopping uses it; with ``refit_all`` the final booster is refit on train + validation for the
    chosen number of rounds (the metrics stay those measured on validation before the refit).
    """
    y = np.asarray(y).astype(int)
    features = list(X.columns)
    prm = {**DEFAULT_PARAMS, "num_threads": threads_for(len(X)), **(params or {}), "seed": seed}
    if valid is None:
        rng = np.random.default_rng(seed)
        idx_valid = []
        for cls in (0, 1):
            idx = np.flatnonzero(y == cls)
            rng.shuffle(idx)
            idx_valid.extend(idx[: int(round(len(idx) * valid_fraction))])
        mask = np.zeros(len(y), dtype=bool)
        mask[idx_valid] = True
        Xt, yt, Xv, yv = X[~mask], y[~mask], X[mask], y[mask]
    else:
        Xt, yt = X, y
        Xv, yv = valid[0][features], np.asarray(valid[1]).astype(int)
    if len(np.unique(yt)) < 2:
        raise ValueError(f"model {name!r}: training data needs both classes (got {np.bincount(yt, minlength=2).tolist()})")
    dtrain = lgb.Dataset(Xt.to_numpy(dtype=float), yt, feature_name=features, free_raw_data=False)
    dvalid = lgb.Dataset(Xv.to_numpy(dtype=float), yv, reference=dtrain)
    booster = lgb.train(prm, dtrain, num_boost_round=rounds, valid_sets=[dvalid],
                        callbacks=[lgb.early_stopping(50, verbose=False)])
    best = booster.best_iteration or rounds
    pv = booster.predict(Xv.to_numpy(dtype=float), num_iteration=best)
    threshold = pick_threshold(yv, pv, min_precision=min_precision)
    metrics = {"validation": binary_metrics(yv, pv, threshold)}
    if refit_all:
        Xa = pd.concat([Xt, Xv])
        ya = np.concatenate([yt, yv])
        booster = lgb.train(prm, lgb.Dataset(Xa.to_numpy(dtype=float), ya, feature_name=features), num_boost_round=best)
    else:
        booster = booster if booster.best_iteration in (0, None) else _truncate(booster, best)
    docs = feature_docs or {}
    importance = dict(zip(features, booster.feature_importance("gain").tolist(), strict=True))
    card = {
        "name": name,
        "kind": "lightgbm-binary",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "lightgbm_version": lgb.__version__,
        "intended_use": intended_use,
        "params": prm,
        "rounds": int(best),
        "refit_on_train_and_validation": refit_all,
        "features": [
            {"name": f, "zh": docs.get(f, {}).get("zh", ""), "en": docs.get(f, {}).get("en", ""),
             "gain": round(importance[f], 3)}
            for f in features
        ],
        "training_data": {
            "rows": int(len(y) + (0 if valid is None else len(yv))),
            "train_rows": int(len(yt)),
            "validation_rows": int(len(yv)),
            "positives": int(yt.sum() + yv.sum()),
            **(dict(data_summary) if data_summary else {}),
        },
        "metrics": metrics,
    }
    return TrainedModel(booster=booster, features=features, threshold=threshold, card=card)


def _truncate(booster: lgb.Booster, rounds: int) -> lgb.Booster:
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=rounds))


def card_markdown(card: Mapping[str, Any]) -> str:
    """The model card as Markdown for people (the JSON next to it is for programs)."""
    lines = [f"# 模型卡 Model card: {card.get('name', '')}", ""]
    if card.get("intended_use"):
        lines += [f"**用途 Intended use.** {card['intended_use']}", ""]
    lines += [
        f"- kind: {card.get('kind', '')}, LightGBM {card.get('lightgbm_version', '')}, {card.get('rounds', '')} rounds",
        f"- created: {card.get('created', '')}",
        f"- alert threshold: {card.get('threshold', '')}",
        "",
        "## 训练数据 Training data",
        "",
    ]
    for k, v in card.get("training_data", {}).items():
        lines.append(f"- {k}: {v}")
    lines += ["", "## 指标 Metrics", ""]
    for split, m in card.get("metrics", {}).items():
        lines.append(f"### {split}")
        lines.append("")
        lines.append("| metric | value |")
        lines.append("|---|---|")
        for k, v in m.items():
            lines.append(f"| {k} | {v:.4f} |" if isinstance(v, float) else f"| {k} | {v} |")
        lines.append("")
    lines += ["## 特征 Features (by gain)", "", "| feature | 含义 | meaning | gain |", "|---|---|---|---|"]
    for f in sorted(card.get("features", []), key=lambda f: -f.get("gain", 0)):
        lines.append(f"| {f['name']} | {f.get('zh', '')} | {f.get('en', '')} | {f.get('gain', '')} |")
    lines.append("")
    return "\n".join(lines)
