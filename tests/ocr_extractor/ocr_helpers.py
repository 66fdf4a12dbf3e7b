"""Helpers for the ocr-extractor tests: settings, rendered receipts, hand-written OCR lines, header-only PNGs."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from iris_common.contract.extraction import OcrResult
from ocr_extractor.core.layout import build_ocr_result
from ocr_extractor.core.types import RawLine, RawPage
from ocr_extractor.settings import OcrExtractorSettings
from tests.encoding import png_bytes


def make_settings(models_dir: Path, home: Path, **overrides: Any) -> OcrExtractorSettings:
    values: dict[str, Any] = {
        "IRIS_MODELS_DIR": models_dir,
        "IRIS_HOME": home,
        "PADDLE_PDX_CACHE_HOME": home / "paddlex",
        "OCR_ENGINE": "paddle",
        "LOG_FORMAT": "text",
        "LOG_LEVEL": "WARNING",
    }
    values.update(overrides)
    return OcrExtractorSettings(**values)


@dataclass(frozen=True)
class Rendered:
    image: np.ndarray  # BGR
    fields: dict[str, Any]
    lang: str

    @property
    def png(self) -> bytes:
        return png_bytes(self.image)


def _draw_receipt(lang: str) -> Rendered:
    """Fallback when docgen is not importable: a plain receipt drawn with PIL's scalable default font."""
    font = ImageFont.load_default(size=26)
    if lang == "es":
        lines = ["PANADERIA LA ESPIGA", "Calle Mayor 12, Madrid", "FECHA: 28/12/2017 10:15", "2 x Pan 3,00",
                 "1 x Leche 1,25", "BASE IMPONIBLE 3,86", "IVA 10% 0,39", "TOTAL A PAGAR 4,25", "EFECTIVO 5,00",
                 "CAMBIO 0,75", "GRACIAS POR SU VISITA"]
        fields = {"merchant_name": "PANADERIA LA ESPIGA", "date": "2017-12-28", "total": "4.25"}
    else:
        lines = ["CORNER GROCERY", "15 Main Street, Springfield", "DATE: 12/28/2017 10:15", "2 x Bread 6.00",
                 "1 x Milk 2.50", "SUBTOTAL 8.50", "TAX 6.50% 0.55", "TOTAL 9.05", "CASH 10.00", "CHANGE 0.95",
                 "THANK YOU"]
        fields = {"merchant_name": "CORNER GROCERY", "date": "2017-12-28", "total": "9.05"}
    img = Image.new("RGB", (600, 60 + 44 * len(lines)), "white")
    draw = ImageDraw.Draw(img)
    for i, text in enumerate(lines):
        draw.text((30, 30 + 44 * i), text, fill="black", font=font)
    return Rendered(cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR), fields, lang)


def render_receipt(lang: str, seed: int = 1) -> Rendered:
    """A receipt with known merchant/date/total: docgen's when available, else drawn here."""
    try:
        import docgen

        doc = docgen.render("receipt", seed=seed, lang=lang)
        return Rendered(doc.image, dict(doc.fields), lang)
    except ImportError:
        return _draw_receipt(lang)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (a decompression-bomb shape) with almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")


def ocr_of(rows: list[list[tuple[str, float]]], *, line_height: float = 20.0, conf: float = 0.95) -> OcrResult:
    """An OCR result from hand-written rows: each row is a list of (text, x0) boxes on the same baseline."""
    lines = []
    for r, row in enumerate(rows):
        y0 = 10 + r * line_height * 1.5
        for text, x0 in row:
            x1 = x0 + 10 * len(text)
            lines.append(RawLine(text, conf, ((x0, y0), (x1, y0), (x1, y0 + line_height), (x0, y0 + line_height))))
    return build_ocr_result("test", [RawPage(width=800, height=int(20 + len(rows) * line_height * 1.5), lines=tuple(lines))])


def receipt_rows(texts: list[str]) -> OcrResult:
    """Rows of a receipt: a trailing amount in a text goes into its own right-aligned box, as detectors cut it."""
    rows = []
    for text in texts:
        head, _, tail = text.rpartition(" ")
        if head and any(ch.isdigit() for ch in tail) and ("." in tail or "," in tail) and ":" not in tail:
            rows.append([(head, 10.0), (tail, 500.0)])
        else:
            rows.append([(text, 10.0)])
    return ocr_of(rows)
