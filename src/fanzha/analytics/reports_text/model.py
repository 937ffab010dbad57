"""Trained report classifier: character n-gram TF-IDF + a linear SVM with calibrated probabilities.

Character n-grams need no Chinese word segmenter and catch the scripts' stock phrases (安全账户, 百万保障).
A model directory holds `model.joblib` (the fitted pipeline), `meta.json` (classes, versions, training
data summary) and `metrics.json` (held-out scores). joblib files are pickles: load model directories
you trained yourself only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

MODEL_FILE = "model.joblib"
META_FILE = "meta.json"
METRICS_FILE = "metrics.json"


def make_pipeline(*, seed: int = 0):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    return Pipeline([
        ("tfidf", TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True,
                                  max_features=300_000)),
        # Linear SVM: as accurate as logistic regression here (measured) and ~20x faster to fit;
        # sigmoid calibration over 3 folds turns its margins into probabilities.
        # balanced: the normal class is ~7x each fraud class in the reference data.
        ("clf", CalibratedClassifierCV(LinearSVC(C=1.0, class_weight="balanced", random_state=seed),
                                       method="sigmoid", cv=3)),
    ])


def evaluate(y_true, y_pred, classes: list[str]) -> dict:
    """accuracy, macro-F1 and per-class precision/recall/F1 — the figures stored and printed everywhere."""
    from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

    p, r, f, n = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0)),
        "per_class": {c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(n[i])}
                      for i, c in enumerate(classes)},
    }


def split(df: pd.DataFrame, *, test_size: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified held-out split with a fixed seed (the same split in training and in the benchmark)."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(df, test_size=test_size, random_state=seed, stratify=df["label"])
    return train.reset_index(drop=True), test.reset_index(drop=True)


@dataclass
class TrainedModel:
    pipeline: object
    meta: dict
    metrics: dict

    def __post_init__(self) -> None:
        self._explain: tuple[np.ndarray, np.ndarray] | None = None

    def _explainer(self) -> tuple[np.ndarray, np.ndarray]:
        """(feature names, weights per class), computed once: recomputing them per text costs ~0.1 s."""
        if self._explain is None:
            clf = self.pipeline.named_steps["clf"]
            # The calibrated wrapper holds one SVM per fold: their mean weights explain the decision.
            coef = np.mean([c.estimator.coef_ for c in clf.calibrated_classifiers_], axis=0)
            self._explain = (self.pipeline.named_steps["tfidf"].get_feature_names_out(), coef)
        return self._explain

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.pipeline.classes_]

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return self.pipeline.predict_proba(texts)

    def top_terms(self, text: str, class_index: int, *, k: int = 5) -> list[str]:
        """n-grams of `text` that pushed it most towards the class (tf-idf value × coefficient)."""
        x = self.pipeline.named_steps["tfidf"].transform([text]).tocoo()
        if x.nnz == 0:
            return []
        names, coef = self._explainer()
        contrib = x.data * coef[class_index, x.col]
        terms: list[str] = []
        for j in np.argsort(-contrib):
            if contrib[j] <= 0 or len(terms) >= k:
                break
            term = str(names[x.col[j]])
            if len(term.strip()) < 2:  # single characters explain nothing to a reader
                continue
            if any(term in t or t in term for t in terms):  # overlapping n-grams repeat one phrase
                continue
            terms.append(term)
        return terms

    def save(self, out: Path) -> Path:
        import joblib

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        joblib.dump(self.pipeline, out / MODEL_FILE, compress=3)
        (out / META_FILE).write_text(json.dumps(self.meta, ensure_ascii=False, indent=2))
        (out / METRICS_FILE).write_text(json.dumps(self.metrics, ensure_ascii=False, indent=2))
        return out

    @classmethod
    def load(cls, model_dir: Path) -> TrainedModel:
        import joblib

        d = Path(model_dir)
        if not (d / MODEL_FILE).is_file():
            raise FileNotFoundError(f"{d} holds no {MODEL_FILE}; train one with `fanzha reports train-classifier`")
        meta = json.loads((d / META_FILE).read_text()) if (d / META_FILE).is_file() else {}
        metrics = json.loads((d / METRICS_FILE).read_text()) if (d / METRICS_FILE).is_file() else {}
        return cls(pipeline=joblib.load(d / MODEL_FILE), meta=meta, metrics=metrics)


def train(df: pd.DataFrame, *, test_size: float = 0.2, seed: int = 42, source: str = "") -> TrainedModel:
    """Fit on a stratified split, score the held-out part, then refit on all rows for the saved model."""
    import sklearn

    classes = sorted(df["label"].unique())
    train_df, test_df = split(df, test_size=test_size, seed=seed)
    pipe = make_pipeline(seed=seed).fit(train_df["content"].tolist(), train_df["label"].tolist())
    metrics = evaluate(test_df["label"], pipe.predict(test_df["content"].tolist()), classes)
    metrics.update({"split": {"test_size": test_size, "seed": seed, "train_rows": len(train_df),
                              "test_rows": len(test_df)}})
    final = make_pipeline(seed=seed).fit(df["content"].tolist(), df["label"].tolist())
    meta = {
        "kind": "char 1-3gram tfidf + linear SVM (sigmoid-calibrated)",
        "classes": classes,
        "rows": int(len(df)),
        "rows_per_class": {k: int(v) for k, v in df["label"].value_counts().sort_index().items()},
        "source": source,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "sklearn": sklearn.__version__,
        "note": "metrics are from the held-out split; the saved model was then refit on all rows",
    }
    return TrainedModel(pipeline=final, meta=meta, metrics=metrics)
