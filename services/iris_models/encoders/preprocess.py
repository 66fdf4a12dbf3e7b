"""Turning a document page into the square RGB input an ImageNet-style encoder expects.

Why pad instead of crop: the encoders were trained with "resize the short side, centre-crop a square".
Document pages are tall (A4 is 1:1.41, receipts often 1:3), so a centre crop would throw away the header
and the totals, which are what tells a receipt from an invoice or a letter. Padding the page onto a white
square (the colour of paper, so the padding looks like margin rather than a black frame) keeps the whole
layout; the model's own centre crop then becomes a no-op. The ONNX path shrinks the page itself with
OpenCV's area filter (antialiased like PIL's bicubic, which a plain INTER_CUBIC is not on a 2000 -> 224
reduction) before padding, so it never builds a padded full-size square: 1 ms instead of ~17 ms a view.
"""

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

PAPER_WHITE = (255, 255, 255)


@dataclass(frozen=True)
class Preprocessing:
    """The recipe, recorded in model metadata so an exported model states how it must be fed."""

    size: int = 224
    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    interpolation: str = "area (OpenCV INTER_AREA on the page, then padded)"
    document_fit: str = "pad-to-square-white"

    def as_dict(self) -> dict:
        return {
            "size": self.size,
            "interpolation": self.interpolation,
            "crop": "centre crop (a no-op after padding to square)",
            "mean": list(self.mean),
            "std": list(self.std),
            "document_fit": self.document_fit,
            "channel_order": "RGB",
            "layout": "NCHW float32",
        }


def bgr_to_rgb(image: np.ndarray) -> np.ndarray:
    """Decoded pages are BGR (OpenCV order); grey pages are promoted to three channels."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def pad_to_square(rgb: np.ndarray, fill: tuple[int, int, int] = PAPER_WHITE) -> np.ndarray:
    """Centre the page on a white square whose side is the page's longer side."""
    h, w = rgb.shape[:2]
    side = max(h, w)
    top, left = (side - h) // 2, (side - w) // 2
    return cv2.copyMakeBorder(rgb, top, side - h - top, left, side - w - left, cv2.BORDER_CONSTANT, value=fill)


def square_page(image_bgr: np.ndarray, size: int | None = None) -> Image.Image:
    """BGR page -> padded square PIL RGB image (resized to `size` when given)."""
    square = Image.fromarray(pad_to_square(bgr_to_rgb(image_bgr)))
    if size is not None:
        square = square.resize((size, size), Image.Resampling.BICUBIC)
    return square


def small_square(image_bgr: np.ndarray, size: int) -> np.ndarray:
    """BGR page -> RGB `size` x `size` uint8: the page shrunk (area filter) to fit, centred on white."""
    h, w = image_bgr.shape[:2]
    scale = size / max(h, w)
    nw, nh = max(1, min(size, round(w * scale))), max(1, min(size, round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return pad_to_square(bgr_to_rgb(cv2.resize(image_bgr, (nw, nh), interpolation=interpolation)))[:size, :size]


def to_tensor_input(images_bgr: list[np.ndarray], prep: Preprocessing) -> np.ndarray:
    """Batch of BGR pages -> normalised NCHW float32 array for the ONNX encoder."""
    mean = np.asarray(prep.mean, dtype=np.float32)
    std = np.asarray(prep.std, dtype=np.float32)
    batch = np.empty((len(images_bgr), 3, prep.size, prep.size), dtype=np.float32)
    for i, image in enumerate(images_bgr):
        arr = small_square(image, prep.size).astype(np.float32) / 255.0
        batch[i] = ((arr - mean) / std).transpose(2, 0, 1)
    return batch


def top_view(image_bgr: np.ndarray) -> np.ndarray:
    """The top square of a tall page (its header: merchant name, INVOICE title, form number); wide pages unchanged.

    A receipt squeezed whole into 224 px is a thin strip; its top square shows the print at a readable scale.
    """
    h, w = image_bgr.shape[:2]
    return image_bgr[:w] if h > w else image_bgr
