"""Mapping OCR coordinates back to the original upload through the image-processor's page transform.

The image-processor reports, per page, a 3x3 matrix T mapping original pixels to processed pixels
([x', y', w] = T [x, y, 1], then divide by w). OCR runs on the processed page, so every box is mapped
with T^-1. An axis-aligned box is mapped through its four corners and re-boxed (rotation and perspective
turn a rectangle into a quadrilateral); polygons are mapped point by point.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from iris_common.contract.extraction import OcrResult, StructuredDocument
from iris_common.geometry import map_points


class TransformError(ValueError):
    """The matrix is not a usable 3x3 projective transform."""


def as_matrix(values: Sequence[Sequence[float]]) -> np.ndarray:
    """A finite, invertible 3x3 matrix, or TransformError saying what is wrong."""
    try:
        m = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TransformError(f"not a numeric matrix: {exc}") from None
    if m.shape != (3, 3):
        raise TransformError(f"expected a 3x3 matrix, got shape {list(m.shape)}")
    if not np.all(np.isfinite(m)):
        raise TransformError("matrix has non-finite entries")
    if abs(np.linalg.det(m)) < 1e-12:
        raise TransformError("matrix is singular (not invertible)")
    return m


def map_box(matrix: np.ndarray, box: Sequence[float]) -> list[float]:
    """Axis-aligned envelope of the mapped corners of box [x0, y0, x1, y1]."""
    x0, y0, x1, y1 = box
    pts = map_points(matrix, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    return [round(float(v), 1) for v in (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max())]


def _box(matrix: np.ndarray | None, box: list[float] | None) -> list[float] | None:
    return map_box(matrix, box) if matrix is not None and box is not None else box


def _inverses(transforms: Sequence[np.ndarray | None]) -> Callable[[int], np.ndarray | None]:
    inverses = [np.linalg.inv(t) if t is not None else None for t in transforms]
    return lambda page: inverses[page] if page < len(inverses) else None


def ocr_in_original(ocr: OcrResult, transforms: Sequence[np.ndarray | None]) -> OcrResult:
    """A copy of the OCR result with every box of page i mapped by transforms[i]^-1 (pages without a transform
    keep their boxes), marked `coordinate_space=original`."""
    inv = _inverses(transforms)
    ocr = ocr.model_copy(deep=True)
    for line in ocr.lines:
        m = inv(line.page)
        if m is not None:
            line.bbox = map_box(m, line.bbox)
            line.polygon = [[round(float(x), 1), round(float(y), 1)] for x, y in map_points(m, line.polygon)]
    for word in ocr.words:
        word.bbox = _box(inv(word.page), word.bbox)  # type: ignore[assignment]
    ocr.coordinate_space = "original"
    return ocr


def document_in_original(document: StructuredDocument, transforms: Sequence[np.ndarray | None]) -> StructuredDocument:
    """A copy of the structured document with every box mapped as `ocr_in_original` maps the OCR."""
    inv = _inverses(transforms)
    doc = document.model_copy(deep=True)
    for f in doc.fields.values():
        f.bbox = _box(inv(f.page), f.bbox)
    for item in doc.line_items:
        item.bbox = _box(inv(item.page), item.bbox)
        for part in (item.description, item.quantity, item.unit_price, item.amount):
            if part is not None:
                part.bbox = _box(inv(part.page), part.bbox)
    for pair in doc.key_values:
        pair.key_bbox = _box(inv(pair.page), pair.key_bbox)  # type: ignore[assignment]
        pair.value_bbox = _box(inv(pair.page), pair.value_bbox)
    for block in doc.text_blocks:
        block.bbox = _box(inv(block.page), block.bbox)  # type: ignore[assignment]
    doc.coordinate_space = "original"
    return doc


def to_original(
    ocr: OcrResult, document: StructuredDocument, transforms: Sequence[np.ndarray | None]
) -> tuple[OcrResult, StructuredDocument]:
    """Both mapped back onto the original upload (see `ocr_in_original`, `document_in_original`)."""
    return ocr_in_original(ocr, transforms), document_in_original(document, transforms)
