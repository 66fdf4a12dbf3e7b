"""Degradations that make a clean rendering look scanned or photographed."""

import random

import cv2
import numpy as np

VARIANTS = ("clean", "noisy", "rotated", "photo")


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


def apply_variant(image: np.ndarray, variant: str, rng: random.Random) -> np.ndarray:
    if variant == "clean":
        return image
    if variant == "noisy":
        return _noisy(image, rng)
    if variant == "rotated":
        return _noisy(_rotate(image, rng.uniform(-12, 12)), rng)
    if variant == "photo":
        return _photo(_rotate(image, rng.uniform(-5, 5)), rng)
    raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
