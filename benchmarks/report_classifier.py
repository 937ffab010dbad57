"""Benchmark: classification of public-report texts by fraud type on Telecom_Fraud_Texts_5.

Stratified held-out split with a fixed seed (duplicate texts removed first); prints accuracy, macro-F1
and per-class F1 of the trained model (char n-gram TF-IDF + logistic regression) and of the keyword
fallback, plus training and prediction times.

    python benchmarks/report_classifier.py [--data DIR] [--test-size 0.2] [--seed 42]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from fanzha.analytics.reports_text import KeywordClassifier, ModelClassifier  # noqa: E402
from fanzha.analytics.reports_text.dataset import load_folder  # noqa: E402
from fanzha.analytics.reports_text.labels import CLASSES  # noqa: E402
from fanzha.analytics.reports_text.model import TrainedModel, evaluate, make_pipeline, split  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared/external-data/telecom-fraud-texts-5")
    ap.add_argument("--test-size", type=float, default=0.2)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    df = load_folder(args.data)
    train, test = split(df, test_size=args.test_size, seed=args.seed)
    classes = sorted(df["label"].unique())
    print(f"data: {args.data}  rows after dedup {len(df)}  train {len(train)}  test {len(test)}  seed {args.seed}")

    t0 = time.perf_counter()
    pipe = make_pipeline(seed=args.seed).fit(train["content"].tolist(), train["label"].tolist())
    t_fit = time.perf_counter() - t0
    model = ModelClassifier(TrainedModel(pipeline=pipe, meta={}, metrics={}))
    texts = test["content"].tolist()
    t0 = time.perf_counter()
    pred_model = [p.label for p in model.predict(texts)]
    t_model = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred_kw = [p.label for p in KeywordClassifier().predict(texts)]
    t_kw = time.perf_counter() - t0

    results = {"model (char tfidf + linear SVM)": (evaluate(test["label"], pred_model, classes), t_model),
               "keyword fallback": (evaluate(test["label"], pred_kw, classes), t_kw)}
    print(f"model fit time: {t_fit:.2f} s")
    head = f"{'method':34s} {'accuracy':>9s} {'macro-F1':>9s} " + " ".join(f"{c[:12]:>12s}" for c in classes) + \
        f" {'texts/s':>9s}"
    print(head)
    print("-" * len(head))
    for name, (m, t) in results.items():
        per = " ".join(f"{m['per_class'][c]['f1']:12.4f}" for c in classes)
        print(f"{name:34s} {m['accuracy']:9.4f} {m['macro_f1']:9.4f} {per} {len(texts) / t:9.0f}")
    print("per-class columns are F1; classes: " + ", ".join(f"{c}={CLASSES[c]}" for c in classes))


if __name__ == "__main__":
    main()
