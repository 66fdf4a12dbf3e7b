"""Checks and normalisation of embedding vectors (pure numpy)."""

from collections.abc import Sequence

import numpy as np

from iris_common.errors import InvalidInput


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Unit-length rows, so cosine similarity is a dot product; an all-zero row stays zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def as_matrix(embeddings: Sequence[Sequence[float]], expected_dim: int | None, *, what: str = "embeddings") -> np.ndarray:
    """A (n, d) float32 matrix from JSON lists; VAL001 on ragged rows, NaN/inf or the wrong dimension."""
    if len(embeddings) == 0:
        raise InvalidInput(f"{what} is empty")
    dims = {len(row) for row in embeddings}
    if len(dims) != 1:
        raise InvalidInput(f"{what}: inconsistent dimensions {sorted(dims)}", details={"dimensions": sorted(dims)})
    dim = dims.pop()
    if dim == 0:
        raise InvalidInput(f"{what} are empty vectors")
    if expected_dim is not None and dim != expected_dim:
        raise InvalidInput(
            f"{what}: dimension {dim}, but the loaded encoder produces {expected_dim}",
            details={"dimension": dim, "expected_dimension": expected_dim},
        )
    matrix = np.asarray(embeddings, dtype=np.float32)
    if not np.isfinite(matrix).all():
        raise InvalidInput(f"{what} contain NaN or infinite values")
    return matrix


def as_vector(embedding: Sequence[float], expected_dim: int | None) -> np.ndarray:
    return as_matrix([embedding], expected_dim, what="the embedding")[0]
