"""Simple image quality measures, reported before and after processing and used to decide on clean-up."""

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from image_processor.core.geometry import downscale, to_gray
from image_processor.core.skew import ink_mask

MEASURE_SIDE = 1280  # measures are taken at most at this long side, so huge scans stay cheap and comparable
NOISE_CROP = 1024


@dataclass(frozen=True)
class Quality:
    width: int
    height: int
    blur: float  # variance of the Laplacian (higher = sharper)
    contrast: float  # standard deviation of grey levels
    brightness: float  # mean grey level
    dynamic_range: float  # 99th - 1st percentile of grey levels
    ink_level: float  # 20th percentile grey of stroke pixels (dark marks against their local background): stroke cores
    paper_level: float  # median grey of everything else
    noise: float  # estimated std of additive noise in flat areas, grey levels
    impulse_noise: float  # share of flat-area pixels that are isolated specks (salt and pepper)
    background_unevenness: float  # spread of the paper brightness across the page, relative to its mean
    colour_share: float  # share of clearly coloured pixels (channel spread > 24); 0 for a grey scan stored as colour

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def percentiles(values: np.ndarray, qs: list[float]) -> list[float]:
    """Percentiles of uint8 values from a 256-bin histogram: much cheaper than sorting megapixels."""
    counts = np.bincount(values.ravel(), minlength=256)
    cdf = np.cumsum(counts)
    total = cdf[-1]
    if total == 0:
        return [0.0 for _ in qs]
    return [float(np.searchsorted(cdf, q / 100.0 * total, side="left")) for q in qs]


def _centre_crop(gray: np.ndarray, side: int) -> np.ndarray:
    h, w = gray.shape
    y0, x0 = max(0, (h - side) // 2), max(0, (w - side) // 2)
    return gray[y0 : y0 + side, x0 : x0 + side]


def _flat_mask(gray: np.ndarray) -> np.ndarray:
    """Pixels away from edges and strokes: where any variation is noise, not content (the median drops specks
    first, so salt and pepper does not make its own surroundings look like content)."""
    smooth = cv2.GaussianBlur(cv2.medianBlur(gray, 3), (5, 5), 0).astype(np.float32)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    flat = (np.abs(gx) + np.abs(gy)) < 40
    return cv2.erode(flat.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0


def noise_levels(gray: np.ndarray) -> tuple[float, float]:
    """(Gaussian noise sigma, impulse share) on flat areas of the full-resolution centre.

    Sigma follows Immerkaer's Laplacian-difference estimator, restricted to flat areas so text edges do not
    count as noise; impulses are pixels far from their 3x3 median.
    """
    crop = _centre_crop(gray, NOISE_CROP)
    mask = _flat_mask(crop)
    if mask.sum() < 500:
        return 0.0, 0.0
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)
    response = np.abs(cv2.filter2D(crop.astype(np.float32), -1, kernel))
    # the median of |response| is robust to the odd speck; 0.6745 converts a median of |N(0, s)| to s
    sigma = float(np.median(response[mask]) / 0.6745 / np.sqrt(36.0))
    deviation = np.abs(crop.astype(np.int16) - cv2.medianBlur(crop, 3).astype(np.int16))
    impulses = float((deviation[mask] > 60).mean())
    return round(sigma, 3), round(impulses, 5)


def background(gray: np.ndarray) -> np.ndarray:
    """Paper brightness at each place of a small copy: text removed by a closing, then smoothed."""
    small, _ = downscale(gray, 512)
    k = max(7, min(small.shape) // 25) | 1
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    return cv2.medianBlur(closed, k if k <= 255 else 255)


def measure(image: np.ndarray) -> Quality:
    h, w = image.shape[:2]
    gray_full = to_gray(image)
    gray, _ = downscale(gray_full, MEASURE_SIDE)
    low, high = percentiles(gray, [1, 99])
    mean, std = cv2.meanStdDev(gray)
    bg = background(gray)
    b5, b95 = percentiles(bg, [5, 95])
    sigma, impulses = noise_levels(gray_full)
    ink = ink_mask(gray) > 0
    ink_level = percentiles(gray[ink], [20])[0] if ink.sum() > 100 else float(low)
    paper_level = percentiles(gray[~ink], [50])[0] if (~ink).any() else float(high)
    if image.ndim == 3:
        small, _ = downscale(image, 512)
        spread = small.max(axis=2).astype(np.int16) - small.min(axis=2)
        colour_share = float((spread > 24).mean())
    else:
        colour_share = 0.0
    return Quality(
        width=w,
        height=h,
        blur=round(float(cv2.Laplacian(gray, cv2.CV_64F).var()), 2),
        contrast=round(float(std[0][0]), 2),
        brightness=round(float(mean[0][0]), 2),
        dynamic_range=round(float(high - low), 2),
        ink_level=round(ink_level, 2),
        paper_level=round(paper_level, 2),
        noise=sigma,
        impulse_noise=impulses,
        background_unevenness=round(float((b95 - b5) / max(float(bg.mean()), 1.0)), 4),
        colour_share=round(colour_share, 6),
    )
