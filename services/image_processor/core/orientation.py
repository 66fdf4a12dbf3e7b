"""Coarse orientation (page on its side or upside down) from text-line statistics.

Heuristic and off by default (IMAGE_PROCESSOR_AUTO_ORIENT): on the SROIE receipts the two signals overlap
between upright and turned pages (column layouts make vertical profiles peaky; receipts rich in capitals and
digits still vary), so a wrong turn would cost more than it saves. Thresholds are set for clear cases only.
"""

from dataclasses import dataclass

import numpy as np

from image_processor.core.geometry import downscale, to_gray
from image_processor.core.skew import ANALYSIS_SIDE, ink_mask, ink_points, peakiness, search_angle


@dataclass(frozen=True)
class OrientationEstimate:
    turns_ccw: int  # quarter turns (counter-clockwise) that make the page upright; 0 when unsure
    vertical_ratio: float  # line peakiness of vertical directions / of horizontal ones
    upside_down: float  # > 0 looks upside down, < 0 looks upright


def vertical_ratio(image: np.ndarray, max_angle: float = 10.0) -> float:
    """How much more line-like the vertical projections are than the horizontal ones (> 1: page on its side)."""
    xs, ys = ink_points(image)
    if len(xs) < 200:
        return 1.0
    angle_h, _ = search_angle(xs, ys, max_angle)
    angle_v, _ = search_angle(ys, xs, max_angle)
    return peakiness(ys, xs, angle_v) / max(peakiness(xs, ys, angle_h), 1e-9)


def upside_down_score(image: np.ndarray) -> float:
    """> 0 when a deskewed page looks upside down, < 0 when upright, ~0 when unsure.

    Latin text has more ascenders, capitals and digits (ink above the x-height band) than descenders (ink
    below the baseline); per text line, ink above versus below the line's dense core says which way is up.
    """
    small, _ = downscale(to_gray(image), ANALYSIS_SIDE)
    rows = (ink_mask(small) > 0).sum(axis=1).astype(np.float64)
    if rows.sum() < 200:
        return 0.0
    occupied = np.append(rows > max(2.0, 0.02 * rows.max()), False)
    above = below = 0.0
    start: int | None = None
    for y, on in enumerate(occupied):
        if on and start is None:
            start = y
        elif not on and start is not None:
            band = rows[start:y]
            start = None
            if len(band) < 5:
                continue
            core = np.nonzero(band >= 0.5 * band.max())[0]
            above += band[: core[0]].sum()
            below += band[core[-1] + 1 :].sum()
    total = above + below
    return float((below - above) / total) if total > 0 else 0.0


def estimate_orientation(image: np.ndarray, vertical_threshold: float = 1.8, flip_threshold: float = 0.3) -> OrientationEstimate:
    """Quarter turns to apply; only clear cases give a non-zero answer."""
    ratio = vertical_ratio(image)
    turns = 0
    if ratio > vertical_threshold:
        turns = 1
        image = np.ascontiguousarray(np.rot90(image, 1))
    flip = upside_down_score(image)
    if flip > flip_threshold:
        turns += 2
    return OrientationEstimate(turns % 4, round(ratio, 3), round(flip, 3))
