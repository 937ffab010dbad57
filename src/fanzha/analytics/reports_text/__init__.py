"""Classification of public-report (12321) texts by fraud type.

`load_classifier()` gives the trained model named by ``--model`` / ``FANZHA_REPORT_MODEL_DIR`` when one is
configured, else the keyword-rule fallback (`keywords.py` documents its rules). Both return
:class:`Prediction` with probabilities and indicative terms, and say which method decided.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from fanzha.analytics.reports_text.labels import CLASSES


@dataclass(frozen=True)
class Prediction:
    label: str                      # class code (labels.CLASSES)
    label_zh: str
    probabilities: dict[str, float]
    terms: list[str]                # words / n-grams that pushed the text to `label`
    method: str                     # "model" or "keywords"

    def as_dict(self) -> dict:
        return asdict(self)


class KeywordClassifier:
    method = "keywords"

    def predict(self, texts: list[str]) -> list[Prediction]:
        from fanzha.analytics.reports_text import keywords

        out = []
        for t in texts:
            label, probs, terms = keywords.classify(t)
            out.append(Prediction(label, CLASSES[label], probs, terms, self.method))
        return out


class ModelClassifier:
    method = "model"

    def __init__(self, model) -> None:
        self.model = model

    def predict(self, texts: list[str], *, top_terms: int = 5) -> list[Prediction]:
        texts = [t or "" for t in texts]
        proba = self.model.predict_proba(texts)
        classes = self.model.classes
        out = []
        for text, row in zip(texts, proba):
            i = int(row.argmax())
            out.append(Prediction(
                classes[i], CLASSES.get(classes[i], classes[i]),
                {c: float(p) for c, p in zip(classes, row)},
                self.model.top_terms(text, i, k=top_terms), self.method,
            ))
        return out


def load_classifier(model_dir: Path | None = None, *, settings=None):
    """The trained model in `model_dir` (or the configured one), else the keyword fallback."""
    if model_dir is None:
        if settings is None:
            from fanzha.config import get_settings

            settings = get_settings()
        model_dir = settings.report_model_dir
    if model_dir is None:
        return KeywordClassifier()
    from fanzha.analytics.reports_text.model import TrainedModel

    return ModelClassifier(TrainedModel.load(Path(model_dir)))


__all__ = ["CLASSES", "KeywordClassifier", "ModelClassifier", "Prediction", "load_classifier"]
