"""The document-type estimator: page embedding alone, or page embedding + the page's words (pure; no files).

Two multinomial logistic regressions are fitted on the same examples. The image one answers when no text
comes with a page (an image uploaded to /classify, a caller without OCR); the image+text one answers when
the caller sends the page's text, as the pipeline does after phase 5 (OCR). Measured on the real pages of
`../shared/data/doc_types.csv` (docs/classification.md): reading the words lifts the default model and,
even more, a model taught from ten examples per class.

Unit-length embeddings are small per coordinate, so C is larger than sklearn's default to avoid
over-regularising. `text_weight` scales the unit-length word vector against the unit-length embedding.
"""

from collections.abc import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression

from iris_models.encoders.vectors import l2_normalise
from ml_classifier.core.text_features import TEXT_FEATURES_ID, text_features

MAX_ITER = 3000


class DocumentTypeEstimator:
    """scikit-learn habits: `fit` returns self, `predict_scores` like `predict_proba`, `classes_` after fit."""

    def __init__(self, c: float = 100.0, text_weight: float = 1.0) -> None:
        self.c = c
        self.text_weight = text_weight
        self.image_model: LogisticRegression | None = None
        self.text_model: LogisticRegression | None = None

    # -- fitting -------------------------------------------------------------------------------------------
    def _new_model(self) -> LogisticRegression:
        return LogisticRegression(C=self.c, max_iter=MAX_ITER, class_weight="balanced")

    def _with_text(self, embeddings: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        return np.hstack([l2_normalise(embeddings), self.text_weight * text_features(texts)])

    def fit(self, embeddings: np.ndarray, labels: Sequence[str], texts: Sequence[str | None] | None = None) -> "DocumentTypeEstimator":
        """The image+text model is fitted only when every example has its text (an empty string counts: a
        page with nothing readable); examples without text would teach it that "no words" means their class."""
        labels = [label.strip() for label in labels]
        self.image_model = self._new_model().fit(l2_normalise(embeddings), labels)
        self.text_model = None
        if self.text_weight > 0 and texts is not None and all(isinstance(t, str) for t in texts):
            self.text_model = self._new_model().fit(self._with_text(embeddings, [str(t) for t in texts]), labels)
        return self

    # -- prediction ----------------------------------------------------------------------------------------
    @property
    def classes_(self) -> list[str]:
        if self.image_model is None:
            raise RuntimeError("the estimator is not fitted")
        return [str(c) for c in self.image_model.classes_]

    @property
    def reads_text(self) -> bool:
        return self.text_model is not None

    def features_id(self) -> str | None:
        """What the text part expects, stored in the model's metadata (None: image only)."""
        return f"{TEXT_FEATURES_ID} x {self.text_weight:g}" if self.reads_text else None

    def predict_scores(self, embeddings: np.ndarray, texts: Sequence[str | None] | None = None) -> list[tuple[dict[str, float], bool]]:
        """(probability of every class, whether the text was used) per row. Rows with text go through the
        image+text model when there is one; the others through the image model."""
        if self.image_model is None:
            raise RuntimeError("the estimator is not fitted")
        texts = list(texts) if texts is not None else [None] * len(embeddings)
        with_text = [i for i, t in enumerate(texts) if isinstance(t, str) and self.text_model is not None]
        used = set(with_text)
        image_rows = [i for i in range(len(embeddings)) if i not in used]
        probabilities = np.zeros((len(embeddings), len(self.classes_)))
        if image_rows:
            probabilities[image_rows] = self.image_model.predict_proba(l2_normalise(embeddings[image_rows]))
        if with_text:
            assert self.text_model is not None
            probabilities[with_text] = self.text_model.predict_proba(
                self._with_text(embeddings[with_text], [str(texts[i]) for i in with_text]))
        return [({c: float(p) for c, p in zip(self.classes_, row)}, i in used) for i, row in enumerate(probabilities)]

    def describe(self) -> str:
        parts = "image" + (f" + {self.features_id()}" if self.reads_text else "")
        return f"LogisticRegression(C={self.c:g}, class_weight=balanced) on {parts}"
