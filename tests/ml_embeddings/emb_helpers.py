"""Helpers of the ml-embeddings tests: settings, generated pages, the bad-input files (a module name unique across tests/)."""

import random
from pathlib import Path

import numpy as np

import docgen
from ml_embeddings.settings import EmbeddingsSettings
from tests.encoder_settings import offline_encoder_settings
from tests.encoding import jpeg_bytes, png_bytes


def make_settings(models_dir: Path, **overrides: object) -> EmbeddingsSettings:
    return offline_encoder_settings(EmbeddingsSettings, models_dir, **overrides)


def page(kind: str, seed: int, variant: str = "clean") -> np.ndarray:
    return docgen.render(kind, seed=seed, variant=variant).image


def noisy_copy(image: np.ndarray, seed: int) -> np.ndarray:
    return docgen.apply_variant(image, "noisy", random.Random(seed))


def bad_uploads() -> dict[str, tuple[str, bytes, str]]:
    """Files every service must refuse with VAL001: (filename, bytes, content type)."""
    good_jpeg = jpeg_bytes(page("receipt", 1))
    tiny = png_bytes(np.full((1, 1, 3), 255, np.uint8))
    return {
        "zero_byte": ("empty.png", b"", "image/png"),
        "text_named_jpg": ("notes.jpg", b"this is plain text, not an image\n" * 4, "image/jpeg"),
        "truncated_jpeg": ("cut.jpg", good_jpeg[: len(good_jpeg) // 3], "image/jpeg"),
        "one_pixel": ("dot.png", tiny, "image/png"),
        "corrupt_pdf": ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage\n%%EOF", "application/pdf"),
    }
