"""Decoding uploaded documents into pages (BGR uint8 arrays) with the safety checks every service needs.

Formats are recognised by their bytes, not by the file name: a text file called `.jpg` is refused.
Pixel counts are checked from the header before any pixel is decoded (decompression bombs).
"""

import base64
import io
import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from iris_common.errors import InvalidInput

Image.MAX_IMAGE_PIXELS = None  # IRIS applies its own, configurable limit below

_MAGIC = {
    b"\xff\xd8\xff": "jpeg",
    b"\x89PNG\r\n\x1a\n": "png",
    b"II*\x00": "tiff",
    b"MM\x00*": "tiff",
    b"%PDF-": "pdf",
    b"BM": "bmp",
}
SUPPORTED_FORMATS = ("jpeg", "png", "tiff", "bmp", "webp", "pdf")
PDF_RENDER_DPI = 200


@dataclass(frozen=True)
class DecodeLimits:
    max_pixels: int
    min_side: int
    max_pdf_pages: int


def sniff_format(data: bytes) -> str | None:
    for magic, fmt in _MAGIC.items():
        if data.startswith(magic):
            return fmt
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _check_size(width: int, height: int, limits: DecodeLimits, where: str) -> None:
    if width * height > limits.max_pixels:
        raise InvalidInput(
            f"{where} has {width}x{height} = {width * height} pixels, over the limit of {limits.max_pixels}",
            details={"width": width, "height": height, "max_pixels": limits.max_pixels},
            http_status=413,
        )
    if min(width, height) < limits.min_side:
        raise InvalidInput(
            f"{where} is {width}x{height} pixels; each side must be at least {limits.min_side}",
            details={"width": width, "height": height, "min_side": limits.min_side},
        )


def _pil_to_bgr(img: Image.Image) -> np.ndarray:
    """The page as a BGR array, with as few full-size copies as the conversion needs: a 4961x7016 scan is 100 MB
    per copy, and the plain `convert("RGB")` -> `asarray` -> `cvtColor` chain held six of them at its peak."""
    ImageOps.exif_transpose(img, in_place=True)  # without in_place it returns a full copy even of an upright page
    if img.mode == "L":  # grey: one channel up to three, no RGB copy in between
        return cv2.cvtColor(np.asarray(img), cv2.COLOR_GRAY2BGR)
    if img.mode != "RGB":
        img = img.convert("RGBA") if "A" in img.getbands() else img.convert("RGB")
        if img.mode == "RGBA":  # flatten transparency onto white paper
            background = Image.new("RGB", img.size, (255, 255, 255))
            background.paste(img, mask=img.getchannel("A"))
            img = background
    arr = np.array(img)  # the one writable copy; channels are swapped in place
    img.close()
    return cv2.cvtColor(arr, cv2.COLOR_RGB2BGR, dst=arr)


def _selected(count: int, page: int | None, limits: DecodeLimits, what: str) -> range:
    """The page indices to decode: all of them, or the one asked for. A document over the page limit is refused
    whole (never cut silently), also when one page is asked for, so every caller sees the same answer."""
    if count > limits.max_pdf_pages:
        raise InvalidInput(
            f"the {what} has {count} pages; at most {limits.max_pdf_pages} are accepted (MAX_PDF_PAGES)",
            details={"pages": count, "max_pages": limits.max_pdf_pages},
        )
    if page is None:
        return range(count)
    if not 0 <= page < count:
        raise InvalidInput(f"page {page} does not exist: the {what} has {count} page(s), numbered from 0",
                           details={"field": "page", "pages": count})
    return range(page, page + 1)


def _decode_raster(data: bytes, fmt: str, limits: DecodeLimits, page: int | None) -> tuple[int, list[np.ndarray]]:
    try:
        img = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError) as exc:
        raise InvalidInput(f"cannot read the {fmt} image: {exc}") from exc
    pages: list[np.ndarray] = []
    n_frames = getattr(img, "n_frames", 1) if fmt == "tiff" else 1
    for index in _selected(n_frames, page, limits, f"{fmt} image"):
        try:
            img.seek(index)
            _check_size(img.width, img.height, limits, f"page {index + 1}" if n_frames > 1 else "the image")
            img.load()
            pages.append(_pil_to_bgr(img))
        except (OSError, ValueError, SyntaxError, EOFError) as exc:  # truncated or corrupt data
            raise InvalidInput(f"the {fmt} image is damaged or truncated: {exc}") from exc
    return n_frames, pages


# PDFium is not thread-safe: two threads rendering at once (a service's worker threads serving two PDFs) corrupt
# its heap and kill the process (seen as "malloc(): unsorted double linked list corrupted"). Every use of it in
# the process goes through this lock; rendering a page takes ~0.1 s, so the serialisation costs little.
_PDFIUM_LOCK = threading.Lock()


def _decode_pdf(data: bytes, limits: DecodeLimits, page: int | None) -> tuple[int, list[np.ndarray]]:
    with _PDFIUM_LOCK:
        return _decode_pdf_locked(data, limits, page)


def _decode_pdf_locked(data: bytes, limits: DecodeLimits, page: int | None) -> tuple[int, list[np.ndarray]]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise InvalidInput(f"cannot open the PDF: {exc}") from exc
    try:
        if len(pdf) == 0:
            raise InvalidInput("the PDF has no pages")
        scale = PDF_RENDER_DPI / 72
        pages = []
        for index in _selected(len(pdf), page, limits, "PDF"):
            pdf_page = pdf[index]
            width, height = (round(v * scale) for v in pdf_page.get_size())
            _check_size(width, height, limits, f"PDF page {index + 1}")
            pil = pdf_page.render(scale=scale).to_pil()
            pages.append(_pil_to_bgr(pil))
        return len(pdf), pages
    finally:
        pdf.close()


def unsupported_content(data: bytes) -> dict[str, Any]:
    """What an unsupported upload was, for its error: its size and whether it reads as text. Never any of its bytes:
    an error's details reach logs and the Prefect UI, and the file may be anything (a link to /etc/passwd)."""
    head = data[:4096]
    try:
        head.decode("utf-8")
        looks_like = "text" if all(c >= 32 or c in b"\t\r\n" for c in head) else "binary"
    except UnicodeDecodeError as exc:
        looks_like = "text" if exc.start >= len(head) - 3 else "binary"  # a character cut at the 4 KB edge
    return {"size_bytes": len(data), "looks_like": looks_like}


@dataclass(frozen=True)
class DecodedDocument:
    format: str
    page_count: int  # pages in the uploaded document
    first_page: int  # index of pages[0] in the document
    pages: list[np.ndarray]


def decode_pages(data: bytes, limits: DecodeLimits, page: int | None = None) -> DecodedDocument:
    """Decode every page, or only `page` (0-based): a caller that works page by page never holds the others.
    Raises InvalidInput (VAL001) for anything that is not a readable image or PDF, or a page that does not exist."""
    if not data:
        raise InvalidInput("the file is empty (0 bytes)")
    fmt = sniff_format(data)
    if fmt is None:
        raise InvalidInput(
            "the file is not a supported image or PDF (its content matches none of: " + ", ".join(SUPPORTED_FORMATS) + ")",
            details=unsupported_content(data),
            http_status=415,
        )
    count, pages = _decode_pdf(data, limits, page) if fmt == "pdf" else _decode_raster(data, fmt, limits, page)
    return DecodedDocument(format=fmt, page_count=count, first_page=page or 0, pages=pages)


def decode_document(data: bytes, limits: DecodeLimits) -> tuple[str, list[np.ndarray]]:
    """Return (format, every page). Raises InvalidInput (VAL001) as `decode_pages` does."""
    decoded = decode_pages(data, limits)
    return decoded.format, decoded.pages


def encode_png(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


def encode_png_base64(image: np.ndarray) -> str:
    return base64.b64encode(encode_png(image)).decode("ascii")


def decode_base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"image_base64 is not valid base64: {exc}") from exc
