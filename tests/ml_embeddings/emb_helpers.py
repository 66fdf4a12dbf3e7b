"""Helpers of the ml-embeddings tests: generated pages, encodings, the bad-input files (a module name unique across tests/)."""

import io
import random
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

import docgen
from ml_embeddings.settings import EmbeddingsSettings


def make_settings(models_dir: Path, **overrides: object) -> EmbeddingsSettings:
    values = {"IRIS_MODELS_DIR": str(models_dir), "OPENCLIP_MODEL": None, "OPENCLIP_PRETRAINED": None, "LOG_LEVEL": "WARNING"}
    values.update(overrides)
    return EmbeddingsSettings(**values)


def png_bytes(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", image)
    assert ok
    return buf.tobytes()


def jpeg_bytes(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


def page(kind: str, seed: int, variant: str = "clean") -> np.ndarray:
    return docgen.render(kind, seed=seed, variant=variant).image


def noisy_copy(image: np.ndarray, seed: int) -> np.ndarray:
    return docgen.apply_variant(image, "noisy", random.Random(seed))


def pdf_bytes(images: list[np.ndarray]) -> bytes:
    pil = [Image.fromarray(cv2.cvtColor(im, cv2.COLOR_BGR2RGB)) for im in images]
    buf = io.BytesIO()
    pil[0].save(buf, format="PDF", save_all=True, append_images=pil[1:], resolution=200)
    return buf.getvalue()


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
