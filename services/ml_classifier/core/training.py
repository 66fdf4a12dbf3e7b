"""Checking training input, fitting and applying the document-type estimator (pure; no files, no HTTP).

Multinomial logistic regressions (core/estimator.py): with a few dozen examples per class they fit in
seconds, give calibrated-enough probabilities for `confidence`, and need no tuning beyond C.
"""

import re
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from iris_common.contract.classification import HoldoutReport
from iris_common.errors import InvalidInput
from ml_classifier.core.estimator import DocumentTypeEstimator


# a document type is a short identifier: it becomes a JSON key, a schema name and a column in fields.csv
LABEL_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")


def check_labels(labels: Sequence[str], n_examples: int, *, max_classes: int | None = None,
                 max_per_class: int | None = None) -> dict[str, int]:
    """Counts per class; VAL001 unless there is one label per example, each matching LABEL_PATTERN, at least two
    classes, at most `max_classes` of them and at most `max_per_class` examples of any (None: unbounded).
    A rejected label is described by its position and length, not echoed."""
    if len(labels) != n_examples:
        raise InvalidInput(
            f"{n_examples} examples but {len(labels)} labels: send exactly one label per example",
            details={"examples": n_examples, "labels": len(labels)},
        )
    bad = [i for i, label in enumerate(labels) if not isinstance(label, str) or not LABEL_PATTERN.fullmatch(label)]
    if bad:
        lengths = [len(labels[i]) if isinstance(labels[i], str) else None for i in bad[:20]]
        raise InvalidInput(f"{len(bad)} label(s) are not document-type names ({LABEL_PATTERN.pattern}: a lowercase letter, "
                           "then up to 31 lowercase letters, digits or _)", details={"indices": bad[:20], "lengths": lengths})
    counts = Counter(labels)
    if len(counts) < 2:
        raise InvalidInput(
            f"training needs at least 2 classes with at least 1 example each; got {dict(counts)}",
            details={"counts": dict(counts)},
        )
    if max_classes is not None and len(counts) > max_classes:
        raise InvalidInput(f"{len(counts)} classes; at most {max_classes} (TRAIN_MAX_CLASSES)",
                           details={"classes": len(counts), "max_classes": max_classes})
    if max_per_class is not None and (crowded := {k: n for k, n in counts.items() if n > max_per_class}):
        raise InvalidInput(f"more than {max_per_class} examples of a class (TRAIN_MAX_EXAMPLES_PER_CLASS)",
                           details={"counts": crowded, "max_per_class": max_per_class})
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


def holdout_check(embeddings: np.ndarray, labels: Sequence[str], texts: Sequence[str | None] | None, *,
                  fit_fn: Callable[[np.ndarray, list[str], list[str | None] | None], DocumentTypeEstimator],
                  active: DocumentTypeEstimator | None, margin: float, eligible: int | None = None, share: float = 0.25,
                  seed: int = 0) -> HoldoutReport:
    """Hold out `share` of each class with at least two examples among the first `eligible` rows (the caller's own
    examples: the generated base set appended after them is what the default model was trained on, so holding it
    out would score that model on its training data), fit on the rest with `fit_fn`, and score both the candidate
    and the active model on the held-out examples (a class the active model does not know counts wrong for it). Passes when the candidate is not worse than the active model by more than `margin`. Too few examples
    to hold any out: not passed (store the version and activate it by hand, `POST /model/activate`)."""
    rng = np.random.default_rng(seed)
    labels = list(labels)
    held: list[int] = []
    eligible = len(labels) if eligible is None else eligible
    for label in sorted(set(labels[:eligible])):
        rows = [i for i, x in enumerate(labels[:eligible]) if x == label]
        if len(rows) >= 2:
            held += list(rng.choice(rows, size=max(1, int(len(rows) * share)), replace=False))
    kept = sorted(set(range(len(labels))) - set(held))
    if not held or len({labels[i] for i in kept}) < 2:
        return HoldoutReport(examples=0, accuracy=None, active_accuracy=None, margin=margin, passed=False,
                             reason="too few examples for a hold-out check (two of a class at least)")

    def rows_of(index: list[int]) -> tuple[np.ndarray, list[str], list[str | None] | None]:
        return embeddings[index], [labels[i] for i in index], None if texts is None else [texts[i] for i in index]

    x_held, y_held, t_held = rows_of(held)
    candidate = fit_fn(*rows_of(kept))

    def accuracy(model: DocumentTypeEstimator) -> float:
        predicted = [best_of(scores)[0] for scores in predict_scores(model, x_held, t_held)]
        return float(np.mean([p == y for p, y in zip(predicted, y_held, strict=True)]))

    new = accuracy(candidate)
    old = accuracy(active) if active is not None else None
    passed = old is None or new >= old - margin
    reason = (f"hold-out accuracy {new:.3f} on {len(held)} examples" + (f" vs {old:.3f} for the active model" if old is not None else "")
              + ("" if passed else f": worse by more than {margin}"))
    return HoldoutReport(examples=len(held), accuracy=round(new, 4), active_accuracy=None if old is None else round(old, 4),
                         margin=margin, passed=passed, reason=reason)
