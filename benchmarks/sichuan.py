"""Fraud-caller model on real data: Sichuan 2020 (GAT-COBO preprocessing), the authors' split.

    python benchmarks/sichuan.py [--data ../shared/external-data/sichuan-graph-gatcobo] [--seeds 10] [--blocks 8]

Trains on the first 60 % of rows (file order), picks the alert threshold on the next 20 %
(validation; best binary F1) and reports the last 20 % (test): AUC, binary F1 (fraud class),
macro F1. Each figure is the mean over BLOCKS independent runs of SEEDS averaged models (block k
uses seeds FIRST + k*SEEDS ...): the test set has 1222 lines and one 10-seed run moves macro F1 by
about ±0.25 from the next, so a single run can land either side of the published figure. Two models in the same run: plain gradient boosting on the 55 features, and fanzha's
fraud-caller model (the same features + call-graph aggregates in which only training labels are
used, a line's own label never in its own features + each feature's difference to the line's
neighbours). Test labels are read only to score the final predictions.

The published F1 compared against is a macro F1 (mean of the fraud and normal classes' F1):
GAT-COBO's code scores ``f1_score(..., average='macro')``, and GDFGAT's figures (accuracy 93.28,
precision 93.51, recall 90.97, F1 92.08) fit macro averages: on a test set with the data's 32 %
fraud, that accuracy and macro recall give macro precision 93.48 and macro F1 92.07 (fraud-class
F1 ≈ 89.0), while read as fraud-class figures they would need accuracy ≈ 95 and F1 = 2PR/(P+R) =
92.22. So compare its F1 with the macroF1 column. The file-order 60/20/20 split is the default in GAT-COBO's
``data_process.py``; note that their ``main.py`` re-splits the nodes at random (stratified).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fanzha.analytics.models import binary_metrics, pick_threshold, train_classifier  # noqa: E402
from fanzha.analytics.neighbours import (  # noqa: E402
    NEIGHBOUR_DOCS,
    difference_docs,
    neighbour_differences,
    neighbour_features,
)
from fanzha.analytics.sichuan_graph import load  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "external-data" / "sichuan-graph-gatcobo"
PUBLISHED = {"GDFGAT (PLOS One 2025)": {"auc": 0.9453, "macro_f1": 0.9208}}  # F1 is macro: see above
# extra_trees: chosen on validation (AUC 95.72 vs 95.50 without, graph model, 5 seeds)
PARAMS = {"learning_rate": 0.03, "num_leaves": 15, "feature_fraction": 0.5, "min_data_in_leaf": 20, "extra_trees": True}


def fit_predict(X: pd.DataFrame, y: np.ndarray, g, *, seeds: int, rounds: int, docs=None, first_seed: int = 0):
    """Seed-averaged LightGBM trained on the train rows; early stopping and threshold on validation."""
    preds = []
    for seed in range(first_seed, first_seed + seeds):
        model = train_classifier(
            X[g.train], y[g.train], name="fraud_caller", valid=(X[g.valid], y[g.valid]), refit_all=False,
            params=PARAMS, rounds=rounds, seed=seed, feature_docs=docs,
        )
        preds.append(model.predict(X))
    p = np.mean(preds, axis=0)
    return p, pick_threshold(y[g.valid], p[g.valid]), model


def macro_f1_interval(y: np.ndarray, alert: np.ndarray, *, draws: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95 % bootstrap interval of the macro F1 (test rows drawn with replacement, alerts fixed)."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(y), size=(draws, len(y)))
    yt, pt = y[idx] == 1, alert[idx]
    tp, fp, fn = (yt & pt).sum(1), (~yt & pt).sum(1), (yt & ~pt).sum(1)
    tn = len(y) - tp - fp - fn
    f_fraud = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    f_normal = 2 * tn / np.maximum(2 * tn + fn + fp, 1)
    lo, hi = np.percentile((f_fraud + f_normal) / 2, [2.5, 97.5])
    return float(lo), float(hi)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with all_feat_with_label.csv and node_adj_sparse.npz")
    ap.add_argument("--seeds", type=int, default=10, help="models averaged per variant")
    ap.add_argument("--blocks", type=int, default=8, help="independent runs of SEEDS models; figures are their mean")
    ap.add_argument("--first-seed", type=int, default=0, help="block k uses seeds FIRST+k*SEEDS .. FIRST+(k+1)*SEEDS-1")
    ap.add_argument("--rounds", type=int, default=1000, help="maximum boosting rounds (early stopping on validation)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    g = load(args.data)
    y = g.labels
    plain = g.features
    graph = neighbour_features(g.adjacency, labels=y, known=g.train)
    diffs = neighbour_differences(g.adjacency, plain)
    full = pd.concat([plain, graph, diffs], axis=1)
    graph_docs = {**NEIGHBOUR_DOCS, **difference_docs(plain.columns)}
    rows = {}
    for name, X, docs in (("plain GBM, 55 features", plain, None), ("fanzha fraud_caller (features + graph)", full, graph_docs)):
        t = time.perf_counter()
        blocks = []
        for k in range(args.blocks):
            p, thr, _ = fit_predict(X, y, g, seeds=args.seeds, rounds=args.rounds, docs=docs,
                                    first_seed=args.first_seed + k * args.seeds)
            blocks.append(binary_metrics(y[g.test], p[g.test], thr))
            if k == 0:
                first_interval = macro_f1_interval(y[g.test], p[g.test] >= thr)
            print(f"  {name}: block {k + 1}/{args.blocks} macro F1 {blocks[-1]['macro_f1'] * 100:.2f}", flush=True)
        m = {key: float(np.mean([b[key] for b in blocks])) for key in ("auc", "f1", "macro_f1", "precision", "recall", "threshold")}
        m["blocks_macro_f1"] = [b["macro_f1"] for b in blocks]
        m["macro_f1_95"] = first_interval
        m["seconds"] = time.perf_counter() - t
        rows[name] = m
    print(f"Sichuan 2020 (GAT-COBO preprocessing): {len(y)} users, {int(y.sum())} fraud; "
          f"split 60/20/20 file order: train {g.train.sum()}, validation {g.valid.sum()}, test {g.test.sum()}")
    print(f"mean over {args.blocks} block(s) of {args.seeds} seed-averaged models (seeds {args.first_seed}.."
          f"{args.first_seed + args.blocks * args.seeds - 1})")
    print(f"{'model':44s} {'AUC':>7s} {'F1':>7s} {'macroF1':>8s} {'prec':>7s} {'recall':>7s} {'thr':>6s} {'time s':>7s}")
    for name, m in rows.items():
        print(f"{name:44s} {m['auc'] * 100:7.2f} {m['f1'] * 100:7.2f} {m['macro_f1'] * 100:8.2f} "
              f"{m['precision'] * 100:7.2f} {m['recall'] * 100:7.2f} {m['threshold']:6.3f} {m['seconds']:7.1f}")
    for name, m in PUBLISHED.items():
        print(f"{name + ' (published)':44s} {m['auc'] * 100:7.2f} {'':>7s} {m['macro_f1'] * 100:8.2f}")
    for name, m in rows.items():
        lo, hi = m["macro_f1_95"]
        per_block = " ".join(f"{v * 100:.2f}" for v in m["blocks_macro_f1"])
        print(f"{name}: macro F1 per block {per_block}; first block's 95 % bootstrap interval over test rows "
              f"{lo * 100:.2f}–{hi * 100:.2f}")
    ours, best = rows["fanzha fraud_caller (features + graph)"], PUBLISHED["GDFGAT (PLOS One 2025)"]
    above = sum(v > best["macro_f1"] for v in ours["blocks_macro_f1"])
    print(f"against GDFGAT: AUC {'beaten' if ours['auc'] > best['auc'] else 'NOT beaten'} "
          f"({ours['auc'] * 100:.2f} vs {best['auc'] * 100:.2f}); macro F1 "
          f"{'beaten' if ours['macro_f1'] > best['macro_f1'] else 'NOT beaten'} ({ours['macro_f1'] * 100:.2f} vs "
          f"{best['macro_f1'] * 100:.2f}; {above} of {len(ours['blocks_macro_f1'])} blocks above)")
    print(f"total {time.perf_counter() - t0:.1f} s (2 shared cores; times are indicative)")
    return rows


if __name__ == "__main__":
    main()
