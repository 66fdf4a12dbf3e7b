"""Test pages drawn with OpenCV with known skew and perspective (a uniquely named module, so it cannot clash
with other services' test helpers on sys.path)."""

import cv2
import numpy as np


WORDS = ["TOTAL", "Invoice", "Receipt", "12.50", "Date:", "2024-01-05", "Cash", "Change", "Qty", "Item",
         "Kedai", "Malaysia", "Sdn Bhd", "GST 6%", "jelly", "apple", "RM 8.90", "Thank you"]


def text_page(width: int = 1240, height: int = 1754, *, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    """A white page with lines of dark text (a 150 dpi A4-ish scan)."""
    rng = np.random.default_rng(seed)
    img = np.full((height, width, 3), 255, np.uint8)
    step = int(44 * scale)
    y = int(100 * scale)
    while y < height - int(60 * scale):
        x = int(80 * scale)
        while True:
            word = WORDS[int(rng.integers(len(WORDS)))]
            (tw, _), _ = cv2.getTextSize(word, cv2.FONT_HERSHEY_SIMPLEX, 0.9 * scale, 2)
            if x + tw > width - int(80 * scale):
                break
            cv2.putText(img, word, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.9 * scale, (25, 25, 25), 2, cv2.LINE_AA)
            x += tw + int(22 * scale)
        y += step
    return img


def rotate_ccw(image: np.ndarray, angle: float) -> np.ndarray:
    """Rotate counter-clockwise (as displayed) by `angle` degrees on the same canvas, filling with white paper."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_CUBIC, borderValue=(255, 255, 255))


# tl, tr, br, bl: a page shot at a steep angle (corners up to 16 degrees off square) ...
PHOTO_CORNERS = np.array([[360, 110], [660, 125], [880, 1000], [120, 975]], dtype=np.float32)
# ... and one in mild perspective (up to 4.3 degrees off square), which OCR reads as it is
MILD_PHOTO_CORNERS = np.array([[235, 95], [790, 120], [812, 990], [205, 960]], dtype=np.float32)
PHOTO_PAGE_SIZE = (600, 850)  # width, height of the page before it was "photographed"


def photographed_page(corners: np.ndarray = PHOTO_CORNERS) -> np.ndarray:
    """A 600x850 page seen in perspective on a dark, textured table of 1000x1100 pixels."""
    page = text_page(*PHOTO_PAGE_SIZE, seed=3, scale=0.7)
    w, h = PHOTO_PAGE_SIZE
    src = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(src, corners)
    rng = np.random.default_rng(1)
    table = cv2.GaussianBlur(rng.integers(40, 90, (1100, 1000, 3), dtype=np.uint8), (7, 7), 0)
    warped = cv2.warpPerspective(page, m, (1000, 1100), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, (1000, 1100)) > 127
    table[mask] = warped[mask]
    return table


def decode_page(page: dict) -> np.ndarray:
    import base64

    buf = np.frombuffer(base64.b64decode(page["image_base64"]), np.uint8)
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)
