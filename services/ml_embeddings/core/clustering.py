"""K-means on unit vectors with an automatic choice of k by silhouette (pure; no HTTP, no models).

Embeddings are L2-normalised first, so Euclidean k-means groups by cosine similarity (what the encoders
are meant for) and silhouette is measured with the cosine distance. Both run on the batch's first
REDUCED_DIMS principal components (re-normalised): a 2576-d document embedding has far fewer directions
that vary within one batch, and k-means + silhouette for every candidate k cost ~100 s for 340 pages at
full width against ~1 s reduced, with the same choice of k and a similar adjusted Rand index (measured in
benchmarks/phases24_benchmark.py). Centres are reported in the original space (means of the members).
"""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from iris_common.errors import InvalidInput
from iris_models.encoders.vectors import l2_normalise

RANDOM_STATE = 0  # deterministic labels for the same input
REDUCED_DIMS = 32


@dataclass(frozen=True)
class Clustering:
    k: int
    labels: list[int]
    centroids: np.ndarray
    quality: float | None
    automatic: bool
    candidates: dict[int, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _distinct_count(x: np.ndarray) -> int:
    return len(np.unique(np.round(x, 6), axis=0))


def reduce(x: np.ndarray, dims: int = REDUCED_DIMS) -> np.ndarray:
    """Rows projected on the batch's top principal components, L2-normalised (unchanged when already small).

    No whitening: it gives the weak directions (noise) the same weight as the strong ones and lowered the
    adjusted Rand index on real pages from ~0.58 to ~0.2-0.4.
    """
    n, d = x.shape
    keep = min(dims, n - 1, d)
    if d <= dims or keep < 2:
        return x
    centred = x - x.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return l2_normalise(centred @ vt[:keep].T)


def _centres(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    return np.stack([x[labels == c].mean(axis=0) for c in range(k)])


def _fit(x: np.ndarray, k: int) -> np.ndarray:
    """Labels of k-means with k clusters."""
    if k == 1:
        return np.zeros(len(x), dtype=int)
    return KMeans(n_clusters=k, n_init=10, random_state=RANDOM_STATE).fit(x).labels_


def _silhouette(x: np.ndarray, labels: np.ndarray) -> float | None:
    n_labels = len(set(labels.tolist()))
    if n_labels < 2 or n_labels > len(x) - 1:
        return None  # silhouette is defined for 2 <= k <= n - 1
    return float(silhouette_score(x, labels, metric="cosine"))


def _relabel_by_first_seen(labels: np.ndarray, centroids: np.ndarray) -> tuple[list[int], np.ndarray]:
    """Cluster 0 is the cluster of the first point, and so on: stable labels for callers and tests."""
    order: list[int] = []
    for label in labels.tolist():
        if label not in order:
            order.append(label)
    mapping = {old: new for new, old in enumerate(order)}
    return [mapping[label] for label in labels.tolist()], centroids[order]


def cluster(embeddings: np.ndarray, k: int | None = None, *, max_k: int = 10, threads: int = 1) -> Clustering:
    """Cluster rows of `embeddings` into `k` groups, or choose k in 2..max_k by the best silhouette.

    With fewer than three points silhouette cannot choose: each distinct vector becomes its own cluster.
    `threads` caps BLAS/OpenMP (IRIS_CPU_THREADS): unbounded, k-means and the SVD spread over every core
    and, on a shared 2-core machine, spent 27 s spinning where one thread needs 1.6 s.
    """
    with threadpool_limits(limits=threads):
        return _cluster(embeddings, k, max_k)


def _cluster(embeddings: np.ndarray, k: int | None, max_k: int) -> Clustering:
    x = l2_normalise(embeddings)
    n = len(x)
    distinct = _distinct_count(x)
    z = reduce(x)
    warnings: list[str] = []
    if k is not None:
        if k > n:
            raise InvalidInput(f"k={k} is larger than the number of embeddings ({n})", details={"k": k, "n": n})
        if k > distinct:
            raise InvalidInput(
                f"k={k} is larger than the number of distinct embeddings ({distinct})", details={"k": k, "distinct": distinct}
            )
        labels = _fit(z, k)
        chosen, quality, candidates, automatic = k, _silhouette(z, labels), {}, False
    elif n < 3 or distinct < 3:
        chosen = distinct
        labels = _fit(x, chosen)  # tiny batches: the full vectors (a projection of 2 points is degenerate)
        quality, candidates, automatic = None, {}, True
        warnings.append(f"only {n} embeddings ({distinct} distinct): k set to {chosen} without a silhouette choice")
    else:
        candidates = {}
        best: tuple[float, int, np.ndarray] | None = None
        for candidate in range(2, min(max_k, distinct - 1, n - 1) + 1):
            labels = _fit(z, candidate)
            score = _silhouette(z, labels)
            if score is None:
                continue
            candidates[candidate] = round(score, 6)
            if best is None or score > best[0] + 1e-9:
                best = (score, candidate, labels)
        if best is None:  # e.g. three distinct points: only k = 2 fits and was undefined
            chosen = distinct
            labels = _fit(x, chosen)
            quality = None
        else:
            quality, chosen, labels = best
        automatic = True
    labels = np.asarray(labels)
    labels_out, centroids = _relabel_by_first_seen(labels, _centres(x, labels, chosen))
    return Clustering(
        k=chosen,
        labels=labels_out,
        centroids=l2_normalise(centroids),
        quality=None if quality is None else round(float(quality), 6),
        automatic=automatic,
        candidates=candidates,
        warnings=warnings,
    )


@dataclass(frozen=True)
class Description:
    clusters: list[dict]
    candidates: list[dict]
    threshold: float


def describe(
    embeddings: np.ndarray,
    result: Clustering,
    *,
    names: list[str] | None = None,
    types: list[str] | None = None,
    confidences: list[float] | None = None,
    min_confidence: float = 0.5,
    outlier_factor: float = 3.0,
    n_examples: int = 3,
) -> Description:
    """Each cluster's size, members nearest its centre and majority type; documents that fit no cluster.

    A document is a new-type candidate when its cosine distance to the nearest centre is unusual for the
    batch (> median + outlier_factor x MAD; a robust rule that needs no tuning per encoder), when the
    classifier was unsure of it (confidence < min_confidence), or when it sits in a cluster of its own.
    """
    x = l2_normalise(embeddings)
    n = len(x)
    names = names or [str(i) for i in range(n)]
    labels = np.asarray(result.labels)
    distances_all = 1.0 - x @ result.centroids.T
    nearest = distances_all.min(axis=1)
    own = distances_all[np.arange(n), labels]
    median = float(np.median(nearest))
    mad = float(np.median(np.abs(nearest - median))) or 1e-6
    threshold = median + outlier_factor * 1.4826 * mad
    clusters = []
    for c in range(result.k):
        members = np.flatnonzero(labels == c)
        order = members[np.argsort(own[members])]
        counts = {} if types is None else dict(Counter(types[i] for i in members).most_common())
        clusters.append({
            "cluster": c, "size": int(len(members)), "examples": [names[i] for i in order[:n_examples]],
            "majority_type": next(iter(counts), None), "types": counts,
            "mean_distance": round(float(own[members].mean()), 6) if len(members) else 0.0,
        })
    candidates = []
    for i in range(n):
        reasons = []
        if nearest[i] > threshold:
            reasons.append(f"far from every cluster centre (distance {nearest[i]:.3f} > {threshold:.3f})")
        if confidences is not None and confidences[i] < min_confidence:
            reasons.append(f"classifier unsure ({types[i] if types else '?'} at {confidences[i]:.2f} < {min_confidence})")
        if n > 3 and clusters[labels[i]]["size"] == 1:
            reasons.append("alone in its cluster")
        if reasons:
            candidates.append({"index": i, "name": names[i], "cluster": int(labels[i]), "distance": round(float(nearest[i]), 6), "reasons": reasons})
    return Description(clusters=clusters, candidates=candidates, threshold=round(threshold, 6))
