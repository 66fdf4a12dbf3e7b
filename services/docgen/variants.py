"""Degradations that make a clean rendering look scanned or photographed."""

import random

import cv2
import numpy as np

VARIANTS = ("clean", "noisy", "rotated", "photo", "fax", "thermal", "flatbed")


def _rotate(image: np.ndarray, angle: float) -> np.ndarray:
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(image, m, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=(255, 255, 255))


def _noisy(image: np.ndarray, rng: random.Random) -> np.ndarray:
    out = cv2.GaussianBlur(image, (3, 3), rng.uniform(0.3, 1.0))
    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, rng.uniform(4, 12), out.shape)
    out = np.clip(out.astype(np.float32) * rng.uniform(0.85, 1.0) + noise + rng.uniform(-10, 10), 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(40, 80)])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else out


def _photo(image: np.ndarray, rng: random.Random) -> np.ndarray:
    """The page on a darker textured table, seen at an angle (a perspective warp), with uneven light."""
    h, w = image.shape[:2]
    pad = int(max(h, w) * 0.18)
    canvas_h, canvas_w = h + 2 * pad, w + 2 * pad
    tone = rng.randint(40, 120)
    coarse = np.random.default_rng(rng.randint(0, 2**31)).normal(tone, 12, (canvas_h // 4 + 1, canvas_w // 4 + 1, 3))
    table = cv2.resize(np.clip(coarse, 0, 255).astype(np.uint8), (canvas_w, canvas_h), interpolation=cv2.INTER_NEAREST)
    j = lambda: rng.uniform(-0.08, 0.08) * min(h, w)  # noqa: E731 - corner jitter
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[pad + j(), pad + j()], [pad + w + j(), pad + j()], [pad + w + j(), pad + h + j()], [pad + j(), pad + h + j()]])
    m = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(image, m, (canvas_w, canvas_h), borderMode=cv2.BORDER_TRANSPARENT, dst=table.copy())
    light = (1.0 - 0.25 * rng.uniform(0.5, 1.0) * np.linspace(0, 1, canvas_w, dtype=np.float32))[None, :, None]
    return np.clip(warped.astype(np.float32) * light, 0, 255).astype(np.uint8)


def _fax(image: np.ndarray, rng: random.Random) -> np.ndarray:
    """A bilevel low-resolution transmission: ~100 dpi, hard threshold, speckle and dropped-out strokes, slight skew."""
    h, w = image.shape[:2]
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    gray = _rotate(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), rng.uniform(-1.5, 1.5))[..., 0]
    factor = rng.uniform(0.35, 0.55)
    small = cv2.resize(gray, (max(8, int(w * factor)), max(8, int(gray.shape[0] * factor))), interpolation=cv2.INTER_AREA)
    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, rng.uniform(10, 30), small.shape)
    bilevel = np.where(small + noise < rng.uniform(150, 200), 0, 255).astype(np.uint8)
    speckle = np.random.default_rng(rng.randint(0, 2**31)).random(bilevel.shape) < rng.uniform(0.0005, 0.004)
    bilevel[speckle] = 0
    big = cv2.resize(bilevel, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_NEAREST)
    return cv2.cvtColor(big, cv2.COLOR_GRAY2BGR)


def _thermal(image: np.ndarray, rng: random.Random) -> np.ndarray:
    """Thermal paper: faded, uneven grey print on a slightly tinted, creased background, scanned or photographed."""
    h, w = image.shape[:2]
    ink = 1.0 - image.astype(np.float32) / 255.0
    fade = cv2.resize(np.random.default_rng(rng.randint(0, 2**31)).uniform(0.35, 0.9, (max(2, h // 200), 2)).astype(np.float32),
                      (w, h), interpolation=cv2.INTER_LINEAR)[..., None]
    paper = np.array([rng.uniform(225, 250), rng.uniform(230, 252), rng.uniform(235, 255)], dtype=np.float32)
    out = paper * (1.0 - ink * fade)
    for _ in range(rng.randint(0, 3)):  # creases
        y = rng.randint(0, h - 1)
        out[max(0, y - 2): y + 2] *= rng.uniform(0.85, 0.95)
    out = np.clip(out, 0, 255).astype(np.uint8)
    return _photo(out, rng) if rng.random() < 0.4 else _noisy(out, rng)


def _flatbed(image: np.ndarray, rng: random.Random) -> np.ndarray:
    """A small document on a flatbed scanner: the page sits somewhere on a larger, slightly grey scan area."""
    h, w = image.shape[:2]
    if rng.random() < 0.5:  # faint print (thermal paper, a tired ribbon): only ink is lightened, paper stays white
        image = (255 - (255 - image.astype(np.float32)) * rng.uniform(0.35, 0.7)).astype(np.uint8)
    canvas_w = int(max(w * rng.uniform(1.3, 4.5 if h > 2 * w else 2.6), h * 0.7))
    canvas_h = int(max(h * rng.uniform(1.05, 1.8), canvas_w * 1.3))
    canvas = np.full((canvas_h, canvas_w, 3), rng.choice([rng.randint(200, 255), 255]), dtype=np.uint8)  # a closed white lid or a grey bed
    # laid against the scanner's top edge more often than not, the rest of the bed left blank
    top = rng.randint(0, (canvas_h - h) // 4) if rng.random() < 0.6 else rng.randint(0, canvas_h - h)
    left = rng.randint(0, canvas_w - w)
    canvas[top : top + h, left : left + w] = image
    return _noisy(_rotate(canvas, rng.uniform(-3, 3)), rng)


def apply_variant(image: np.ndarray, variant: str, rng: random.Random) -> np.ndarray:
    if variant == "clean":
        return image
    if variant == "noisy":
        return _noisy(image, rng)
    if variant == "rotated":
        return _noisy(_rotate(image, rng.uniform(-12, 12)), rng)
    if variant == "photo":
        return _photo(_rotate(image, rng.uniform(-5, 5)), rng)
    if variant == "flatbed":
        return _flatbed(image, rng)
    if variant == "fax":
        return _fax(image, rng)
    if variant == "thermal":
        return _thermal(image, rng)
    raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
