"""Test images (BGR arrays, as OpenCV holds them) encoded as the files the services receive: PNG, JPEG, PDF."""

import io
from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image


def png_bytes(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", image)
    assert ok
    return buf.tobytes()


def jpeg_bytes(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


def pdf_bytes(images: np.ndarray | Sequence[np.ndarray], resolution: int = 200) -> bytes:
    """A PDF with one page per image (a single image gives a one-page PDF); `resolution` is the dpi it declares."""
    if isinstance(images, np.ndarray):
        images = [images]
    pil = [Image.fromarray(cv2.cvtColor(im, cv2.COLOR_BGR2RGB)) for im in images]
    out = io.BytesIO()
    pil[0].save(out, format="PDF", save_all=True, append_images=pil[1:], resolution=resolution)
    return out.getvalue()
