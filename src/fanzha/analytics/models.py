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


def pick_threshold(
    y: np.ndarray, p: np.ndarray, *, min_precision: float | None = None, labelled_share: float = 1.0,
    verified_negative: np.ndarray | None = None, alert_budget: float | None = None, line_days: float | None = None,
) -> float:
    """The score threshold to alert at, chosen on held-out data.

    Without ``min_precision``: the best F1. With it: the most recall among thresholds whose
    precision reaches it (else the best F1). Thresholds that do equally well on the held-out data
    form a range; the middle of it is returned, leaving a margin on both sides for new data.

    Positive-unlabelled labels (``labelled_share`` c < 1, from ``labelled_share_in_top`` or
    ``estimate_labelled_share``): precision
    is the *estimated* one of ``threshold_stats``, which does not count the expected hidden positives
    above a threshold as false alerts; ``verified_negative`` rows (upheld appeals) are never hidden
    positives. ``alert_budget`` (alerts per 10,000 lines per day, ``line_days`` = lines x days of the
    held-out data) caps the alerts: the stricter of it and the precision rule wins.
    With the defaults this is the plain rule above.
    """
    return choose_threshold(y, p, min_precision=min_precision, labelled_share=labelled_share,
                            verified_negative=verified_negative, alert_budget=alert_budget, line_days=line_days)[0]


def choose_threshold(
    y: np.ndarray, p: np.ndarray, *, min_precision: float | None = None, labelled_share: float = 1.0,
    verified_negative: np.ndarray | None = None, alert_budget: float | None = None, line_days: float | None = None,
) -> tuple[float, str]:
    """``pick_threshold`` and which rule decided it: ``precision`` (the most recall at the precision
    target), ``best_f1`` (no threshold reached the target, or none was asked), ``alert_budget`` (the
    budget was stricter), or ``one_class``."""
    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=float)
    if len(y) == 0 or y.min() == y.max():
        return 0.5, "one_class"
    st = threshold_stats(y, p, labelled_share=labelled_share, verified_negative=verified_negative, line_days=line_days)
    cands = st["threshold"].to_numpy()
    within = np.ones(len(st), dtype=bool)
    if alert_budget is not None and line_days:
        within = st["alerts_per_10k_day"].to_numpy() <= alert_budget
        if not within.any():
            within = cands == cands.max()
    prec, rec, f1 = st["precision"].to_numpy(), st["recall"].to_numpy(), st["f1"].to_numpy()
    ok = within & (st["tp"].to_numpy() > 0)
    if min_precision is not None:
        ok &= prec >= min_precision
    if min_precision is not None and ok.any():
        tied, rule = ok & (rec == rec[ok].max()), "precision"
        unbounded = (prec >= min_precision) & (st["tp"].to_numpy() > 0)
        if rec[unbounded].max() > rec[ok].max():
            rule = "alert_budget"
    else:
        tied, rule = within & (f1 == f1[within].max()), "best_f1"
        if not within.all() and f1.max() > f1[within].max():
            rule = "alert_budget"
    lo, hi = cands[tied].min(), cands[tied].max()
    # The range's lower end is an observed score; the next lower score is where alerts would change.
    below = cands[cands < lo]
    lower_edge = float(below.max()) if len(below) else lo
    return (float((lower_edge + hi) / 2) if hi > lower_edge else float(lo)), rule


def threshold_stats(
    y: np.ndarray, p: np.ndarray, *, labelled_share: float = 1.0, verified_negative: np.ndarray | None = None,
    line_days: float | None = None,
) -> pd.DataFrame:
    """Per candidate threshold (each distinct score): alerts, labelled positives alerted (``tp``), the
    expected hidden positives among the other alerts, and the estimated precision, recall and F1.

    Under positive-unlabelled labels with a labelled share c (labelled completely at random among
    the positives), held-out hidden positives score like held-out labelled ones, so above any
    threshold there are about tp x (1 - c) / c of them among the "normal" alerts; they are not false
    alerts. Recall of the labelled positives estimates the recall of all of them.
    """
    y = np.asarray(y).astype(int)
    p = np.asarray(p, dtype=float)
    c = float(min(max(labelled_share, 1e-3), 1.0))
    verified = np.zeros(len(y), dtype=bool) if verified_negative is None else np.asarray(verified_negative, dtype=bool)
    # Candidates are the distinct scores to 6 decimals; a row alerts at t when its own score is >= t.
    cands = np.unique(np.round(p, 6))
    order = np.argsort(p, kind="stable")
    ps = p[order]
    before = np.searchsorted(ps, cands, side="left")  # rows scoring below each candidate

    def above(flags: np.ndarray) -> np.ndarray:
        cum = np.r_[0, np.cumsum(flags[order])]
        return cum[-1] - cum[before]

    alerts = len(p) - before
    tp = above(y == 1)
    open_normal = alerts - tp - above(verified & (y == 0))  # "normal" alerts that may be hidden positives
    hidden = np.minimum(open_normal, tp * (1 - c) / c)
    est_tp = tp + hidden
    prec = est_tp / np.maximum(alerts, 1)
    rec = tp / max(int(y.sum()), 1)
    f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-12), 0.0)
    st = pd.DataFrame({"threshold": cands, "alerts": alerts, "tp": tp, "hidden": hidden,
                       "false_alerts": alerts - est_tp, "precision": prec, "naive_precision": tp / np.maximum(alerts, 1),
                       "recall": rec, "f1": f1})
    if line_days:
        st["alerts_per_10k_day"] = st["alerts"] * 10_000 / line_days
        st["false_alerts_per_10k_day"] = st["false_alerts"] * 10_000 / line_days
    return st  # ascending thresholds


def estimate_labelled_share(s: np.ndarray, g: np.ndarray, *, statistic: str = "median") -> float:
    """c = P(labelled | positive) from held-out scores ``g`` of a classifier trained to tell labelled
    positives (``s`` = 1) from everything else (Elkan & Noto 2008, estimator e1: the held-out labelled
    positives' mean score, since g(x) = c wherever x is surely positive).

    ``statistic="median"`` (default) is robust to the positives the model finds ambiguous
    (P(fraud | x) < 1, e.g. a fraud line's first quiet day), which pull the mean below c.
    """
    s = np.asarray(s).astype(int)
    g = np.asarray(g, dtype=float)
    pos = g[s == 1]
    if len(pos) == 0:
        raise ValueError("estimating the labelled share needs held-out labelled positives")
    value = np.median(pos) if statistic == "median" else pos.mean()
    return float(np.clip(value, 1e-3, 1.0))


def labelled_share_in_top(
    s: np.ndarray, g: np.ndarray, *, verified_negative: np.ndarray | None = None, top_share: float = 0.9,
) -> float:
    """c from the labelled share among held-out units (lines) scoring at least as high as the upper
    ``top_share`` of the labelled positives. Labelled completely at random, hidden positives score like
    labelled ones, so above any level labelled / (labelled + hidden) = c; high enough, no negative is
    there (one that is makes c lower, i.e. precision optimistic), and the share is read off the data
    itself rather than from the model's calibration. ``verified_negative`` units (upheld appeals) are
    left out: they are not hidden positives.
    """
    s = np.asarray(s).astype(int)
    g = np.asarray(g, dtype=float)
    verified = np.zeros(len(s), dtype=bool) if verified_negative is None else np.asarray(verified_negative, dtype=bool)
    keep = ~(verified & (s == 0))
    pos = g[(s == 1) & keep]
    if len(pos) == 0:
        raise ValueError("estimating the labelled share needs held-out labelled positives")
    level = np.quantile(pos, 1 - top_share)
    top = keep & (g >= level)
    return float(np.clip(s[top].sum() / max(int(top.sum()), 1), 1e-3, 1.0))


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
    if card.get("pu"):
        lines += pu_markdown(card["pu"])
    lines += ["## 特征 Features (by gain)", "", "| feature | 含义 | meaning | gain |", "|---|---|---|---|"]
    for f in sorted(card.get("features", []), key=lambda f: -f.get("gain", 0)):
        lines.append(f"| {f['name']} | {f.get('zh', '')} | {f.get('en', '')} | {f.get('gain', '')} |")
    lines.append("")
    return "\n".join(lines)


RULE_ZH = {
    "precision": "估计精确率达到目标时召回最高",
    "alert_budget": "告警预算更严：每万号码每日告警不超过预算",
    "best_f1": "没有阈值达到精确率目标，取估计F1最高",
    "one_class": "验证数据只有一类，取0.5",
}


def pu_markdown(pu: Mapping[str, Any]) -> list[str]:
    """The card's section on incomplete (positive-unlabelled) labels, for the operator who reads it."""
    budget = pu.get("alert_budget_per_10k_day")
    rule = f"{RULE_ZH.get(pu.get('threshold_rule', ''), pu.get('threshold_rule', ''))}" \
           f"（精确率目标{pu.get('min_precision', 0):.0%}，告警预算{'不限' if budget is None else f'每万号码每日{budget:g}条'}）"
    rows = [
        ("已标注欺诈占比估计 c", "estimated labelled share of fraud lines c", f"{pu['labelled_share_c']:.3f}"),
        ("未标注欺诈占比估计 1−c", "estimated share of fraud left unlabelled", f"{pu['unlabelled_fraud_share']:.1%}"),
        ("估计隐藏欺诈号码数", "estimated hidden fraud lines among the \"normal\" ones",
         f"{pu['hidden_fraud_lines_estimated']:g}（已标注{pu['labelled_fraud_lines']}个）"),
        ("申诉成立/误报核实的正常号码", "lines verified normal (upheld appeals, dismissed cases)", str(pu["verified_normal_lines"])),
        ("阈值规则", f"threshold rule: {pu.get('threshold_rule', '')}", rule),
        ("每万号码每日预计告警", "expected alerts per 10,000 lines per day", f"{pu['alerts_per_10k_day']:g}"),
        ("每万号码每日预计误报", "expected false alerts per 10,000 lines per day", f"{pu['false_alerts_per_10k_day']:g}"),
        ("验证精确率（按标签）", "validation precision, naive (unlabelled fraud counted as false)", f"{pu['precision_naive']:.3f}"),
        ("验证精确率（PU校正）", "validation precision, PU-corrected", f"{pu['precision_corrected']:.3f}"),
        ("验证召回率", "validation recall (of labelled fraud lines)", f"{pu['recall']:.3f}"),
    ]
    out = ["## 不完整标签 Incomplete labels (positive-unlabelled)", "",
           f"留出号码 {pu['held_out_lines']} 个、{pu['held_out_days']:g} 天（每个号码在未参与训练的折上打分，{pu['folds']}折）；"
           f"c 的估计：得分不低于已标注欺诈号码中前{pu.get('top_share', 0.9):.0%}的留出号码里，已标注者的占比；"
           f"Elkan–Noto 估计（已标注欺诈检查点留出得分的中位数）{pu.get('labelled_share_elkan_noto', float('nan')):.3f}（对照）。", "",
           "| 项目 | item | 值 value |", "|---|---|---|"]
    out += [f"| {zh} | {en} | {v} |" for zh, en, v in rows]
    return out + [""]
