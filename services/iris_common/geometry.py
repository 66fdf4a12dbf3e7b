"""Projective point mapping shared by the image-processor (which builds the original -> processed transform)
and the ocr-extractor (which maps boxes back with its inverse)."""

from collections.abc import Sequence

import numpy as np


def map_points(matrix: np.ndarray, points: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    """(N, 2) pixel coordinates through a 3x3 projective matrix."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    homog = np.hstack([pts, np.ones((len(pts), 1))]) @ np.asarray(matrix, dtype=float).T
    w = homog[:, 2:3]
    w[np.abs(w) < 1e-12] = 1e-12
    return homog[:, :2] / w
