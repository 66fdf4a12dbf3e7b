"""Skew of text lines, from projection profiles of ink pixels.

Ink pixels are projected onto the normal of a candidate line direction; when the direction matches the text
lines the profile is a comb of sharp peaks (lines) and empty gaps (leading), and the sum of squared bin counts
is at its maximum. Working on point coordinates rather than rotated images makes one candidate cost a
bincount, so a fine search (0.05 degrees) stays cheap.

Sign convention: a positive angle means the content is rotated counter-clockwise as displayed (what
`cv2.getRotationMatrix2D(c, +angle, 1)` does to an upright page); correcting it rotates by -angle.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from image_processor.core.geometry import downscale, to_gray

ANALYSIS_SIDE = 1400
MAX_POINTS = 60_000
COARSE_POINTS = 20_000  # the 0.5-degree sweep only has to find the peak's neighbourhood; the fine search uses all


@dataclass(frozen=True)
class SkewEstimate:
    angle: float  # degrees, counter-clockwise positive
    confidence: float  # best score / median score over the swept angles; ~1 means no line structure
    peakiness: float  # profile sharpness at the best angle relative to a uniform spread; ~1 means no lines
    ink_points: int
    direction: str = "across"  # "down": measured on lines running down the page (a page on its side)
    alternative: "SkewEstimate | None" = None  # the across reading, when the down one was preferred


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark strokes against their local background; large dark areas (a table, a shadow) give only edges."""
    block = max(15, (min(gray.shape) // 40) | 1)
    mask = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15)
    # drop isolated specks so sensor noise does not flatten the profile
    return cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))


def ink_points(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(xs, ys) of at most MAX_POINTS ink pixels of a downscaled copy (a regular subsample: deterministic)."""
    small, _ = downscale(to_gray(image), ANALYSIS_SIDE)
    mask = ink_mask(small)
    # scanner edges and dark bands along the frame are straight lines of the frame, not of the text
    h, w = mask.shape
    my, mx = max(2, h // 60), max(2, w // 60)
    mask[:my], mask[-my:], mask[:, :mx], mask[:, -mx:] = 0, 0, 0, 0
    ys, xs = np.nonzero(mask)
    if len(xs) > MAX_POINTS:
        step = int(np.ceil(len(xs) / MAX_POINTS))
        xs, ys = xs[::step], ys[::step]
    return xs.astype(np.float64), ys.astype(np.float64)


def _projection(xs: np.ndarray, ys: np.ndarray, angle_deg: float) -> np.ndarray:
    rad = np.deg2rad(angle_deg)
    proj = xs * np.sin(rad) + ys * np.cos(rad)
    return np.bincount((proj - proj.min()).astype(np.int64))


def _score(xs: np.ndarray, ys: np.ndarray, angle_deg: float) -> float:
    counts = _projection(xs, ys, angle_deg)
    return float(np.dot(counts, counts))


def peakiness(xs: np.ndarray, ys: np.ndarray, angle_deg: float) -> float:
    """Sum of squared counts relative to a uniform spread over the same span: 1 for no structure, larger for
    a comb of lines. Independent of point count and page size, so two directions can be compared."""
    counts = _projection(xs, ys, angle_deg)
    return float(np.dot(counts, counts) * max(1, len(counts)) / max(1, len(xs)) ** 2)


def search_angle(xs: np.ndarray, ys: np.ndarray, max_angle: float) -> tuple[float, float]:
    """(best angle, confidence): a 0.5-degree sweep over +-max_angle on a subsample, then 0.05 degrees around the
    best on every point. Confidence compares scores of the same point set (the fine peak is rescaled)."""
    step = max(1, int(np.ceil(len(xs) / COARSE_POINTS)))
    cx, cy = xs[::step], ys[::step]
    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.5)
    coarse_scores = np.array([_score(cx, cy, a) for a in coarse])
    best = float(coarse[int(np.argmax(coarse_scores))])
    fine = np.arange(best - 0.6, best + 0.6 + 1e-9, 0.05)
    fine_scores = np.array([_score(xs, ys, a) for a in fine])
    # weighted centre of the peak and its neighbours: the maximum can be flat over a few hundredths
    k = int(np.argmax(fine_scores))
    lo, hi = max(0, k - 1), min(len(fine), k + 2)
    weights = fine_scores[lo:hi] - fine_scores.min() + 1e-9
    angle = float(np.dot(fine[lo:hi], weights) / weights.sum())
    return angle, float(_score(cx, cy, fine[k]) / max(np.median(coarse_scores), 1e-9))


def skew_of_points(xs: np.ndarray, ys: np.ndarray, max_angle: float = 25.0) -> SkewEstimate:
    if len(xs) < 200:
        return SkewEstimate(0.0, 1.0, 1.0, len(xs))
    angle, confidence = search_angle(xs, ys, max_angle)
    return SkewEstimate(round(angle, 3), round(confidence, 3), round(peakiness(xs, ys, angle), 3), len(xs))


def estimate_skew(image: np.ndarray, max_angle: float = 25.0) -> SkewEstimate:
    """Angle of the text lines of a roughly upright page (within +-max_angle degrees)."""
    return skew_of_points(*ink_points(image), max_angle=max_angle)


def estimate_skew_both_ways(
    image: np.ndarray, max_angle: float = 25.0, confident: float = 2.4
) -> tuple[SkewEstimate, SkewEstimate | None]:
    """(across, sideways): the angle of lines across the page and, only when that reading is not `confident`, of
    lines running down it (measured on the same ink points turned a quarter counter-clockwise, which is what
    np.rot90 does to the page: (x, y) -> (y, -x) up to a shift the projections ignore)."""
    xs, ys = ink_points(image)
    across = skew_of_points(xs, ys, max_angle)
    if across.confidence >= confident:
        return across, None
    return across, skew_of_points(ys, -xs, max_angle)
