"""Raster decoding (iris_common.io.images): colours, grey pages, transparency and EXIF orientation come out as the
BGR page a scanner would have given, whatever the file's mode."""

import io

import numpy as np
from PIL import Image

from iris_common.io.images import DecodeLimits, decode_pages

LIMITS = DecodeLimits(max_pixels=60_000_000, min_side=32, max_pdf_pages=20)


def _encoded(img: Image.Image, fmt: str, **save: object) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **save)
    return buffer.getvalue()


def test_an_rgb_png_comes_back_bgr_pixel_for_pixel() -> None:
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[:, :20] = (255, 0, 0)  # red
    rgb[:, 20:40] = (0, 0, 255)  # blue
    page = decode_pages(_encoded(Image.fromarray(rgb), "PNG"), LIMITS).pages[0]
    assert page.shape == (40, 60, 3) and page.flags.writeable
    assert tuple(page[0, 0]) == (0, 0, 255) and tuple(page[0, 30]) == (255, 0, 0)


def test_a_grey_page_becomes_three_equal_channels() -> None:
    grey = np.tile(np.arange(60, dtype=np.uint8) * 4, (40, 1))
    page = decode_pages(_encoded(Image.fromarray(grey, "L"), "PNG"), LIMITS).pages[0]
    assert page.shape == (40, 60, 3)
    assert (page[..., 0] == grey).all() and (page[..., 1] == grey).all() and (page[..., 2] == grey).all()


def test_transparency_is_flattened_onto_white_paper() -> None:
    rgba = np.zeros((40, 60, 4), np.uint8)  # fully transparent black
    rgba[:, 30:] = (0, 0, 0, 255)  # opaque black on the right
    page = decode_pages(_encoded(Image.fromarray(rgba, "RGBA"), "PNG"), LIMITS).pages[0]
    assert tuple(page[0, 0]) == (255, 255, 255) and tuple(page[0, 59]) == (0, 0, 0)


def test_an_exif_turned_photo_comes_back_upright() -> None:
    stored = np.full((40, 80, 3), 255, np.uint8)  # stored landscape; a dark block at its left end
    stored[:, :10] = 0
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; display rotated 90 degrees clockwise
    page = decode_pages(_encoded(Image.fromarray(stored), "JPEG", exif=exif.tobytes(), quality=95), LIMITS).pages[0]
    assert page.shape[:2] == (80, 40)  # portrait, as displayed
    assert page[:10].mean() < 60 and page[-10:].mean() > 200  # the stored left end is now the top
