"""Helpers of the ml-classifier tests (a module name unique across tests/)."""

import shutil
from pathlib import Path

import numpy as np

import docgen
from ml_classifier.settings import ClassifierSettings
from tests.encoder_settings import offline_encoder_settings
from tests.encoding import jpeg_bytes, png_bytes

TEST_PER_CLASS = 8  # the default model trained small for the tests; `iris setup` uses 48 per class


def make_settings(models_dir: Path, **overrides: object) -> ClassifierSettings:
    return offline_encoder_settings(ClassifierSettings, models_dir, **overrides)


def page(kind: str, seed: int, variant: str = "clean", lang: str = "en") -> np.ndarray:
    return docgen.render(kind, seed=seed, lang=lang, variant=variant).image


def private_copy(models_dir: Path, destination: Path) -> Path:
    """A models dir whose classifier versions a test may change, sharing the (read-only) embeddings model."""
    destination.mkdir(parents=True)
    (destination / "embeddings").symlink_to(models_dir / "embeddings", target_is_directory=True)
    shutil.copytree(models_dir / "classifier", destination / "classifier")
    return destination


def bad_uploads() -> dict[str, tuple[str, bytes, str]]:
    good_jpeg = jpeg_bytes(page("receipt", 1))
    return {
        "zero_byte": ("empty.png", b"", "image/png"),
        "text_named_jpg": ("notes.jpg", b"this is plain text, not an image\n" * 4, "image/jpeg"),
        "truncated_jpeg": ("cut.jpg", good_jpeg[: len(good_jpeg) // 3], "image/jpeg"),
        "one_pixel": ("dot.png", png_bytes(np.full((1, 1, 3), 255, np.uint8)), "image/png"),
        "corrupt_pdf": ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage\n%%EOF", "application/pdf"),
    }
