"""Checking training input, fitting and applying the document-type estimator (pure; no files, no HTTP).

Multinomial logistic regressions (core/estimator.py): with a few dozen examples per class they fit in
seconds, give calibrated-enough probabilities for `confidence`, and need no tuning beyond C.
"""

from collections import Counter
from collections.abc import Sequence

import numpy as np

from iris_common.errors import InvalidInput
from ml_classifier.core.estimator import DocumentTypeEstimator


def check_labels(labels: Sequence[str], n_examples: int) -> dict[str, int]:
    """Counts per class; VAL001 unless there is one non-empty label per example and at least two classes."""
    if len(labels) != n_examples:
        raise InvalidInput(
            f"{n_examples} examples but {len(labels)} labels: send exactly one label per example",
            details={"examples": n_examples, "labels": len(labels)},
        )
    cleaned = [label.strip() if isinstance(label, str) else "" for label in labels]
    if any(not label for label in cleaned):
        raise InvalidInput("labels must be non-empty strings")
    counts = Counter(cleaned)
    if len(counts) < 2:
        raise InvalidInput(
            f"training needs at least 2 classes with at least 1 example each; got {dict(counts)}",
            details={"counts": dict(counts)},
        )
    return dict(sorted(counts.items()))


def check_texts(texts: Sequence[str | None] | None, n_examples: int, *, max_chars: int) -> list[str | None] | None:
    """VAL001 unless there is one text (or null) per example, each at most `max_chars` long."""
    if texts is None:
        return None
    if len(texts) != n_examples:
        raise InvalidInput(
            f"{n_examples} examples but {len(texts)} texts: send one text (or null) per example, or none",
            details={"examples": n_examples, "texts": len(texts)},
        )
    too_long = [i for i, t in enumerate(texts) if t is not None and len(t) > max_chars]
    if too_long:
        raise InvalidInput(f"text {too_long[0]} is longer than {max_chars} characters", details={"indices": too_long[:20], "max_chars": max_chars})
    return list(texts)


def fit(embeddings: np.ndarray, labels: Sequence[str], *, c: float = 100.0, texts: Sequence[str | None] | None = None,
        text_weight: float = 1.0) -> DocumentTypeEstimator:
    """Fit on the embeddings (and the texts, when every example has one); classes are the sorted labels."""
    check_labels(labels, len(embeddings))
    return DocumentTypeEstimator(c=c, text_weight=text_weight).fit(np.asarray(embeddings, dtype=np.float32), labels, texts)


def predict_scores(estimator: DocumentTypeEstimator, embeddings: np.ndarray, texts: Sequence[str | None] | None = None) -> list[dict[str, float]]:
    """Probability of every class for every row."""
    return [scores for scores, _ in estimator.predict_scores(np.asarray(embeddings, dtype=np.float32), texts)]


def best_of(scores: dict[str, float]) -> tuple[str, float]:
    label = max(scores, key=scores.__getitem__)
    return label, scores[label]
