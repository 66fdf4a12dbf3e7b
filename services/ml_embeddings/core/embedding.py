"""Embedding decoded uploads: pages in, one vector per page out (no HTTP here)."""

from dataclasses import dataclass

import numpy as np

from iris_models.encoders import ImageEncoder


@dataclass(frozen=True)
class Page:
    filename: str | None
    page: int
    image: np.ndarray


def embed_pages(encoder: ImageEncoder, pages: list[Page]) -> np.ndarray:
    """One batched encoder call for every page of every file: (len(pages), dimension), rows of norm 1."""
    return encoder.encode([p.image for p in pages])
