"""Page orientation (0 / 90 / 180 / 270 degrees) from its text lines.

Two questions, answered separately:
1. Do the text lines run across or down the page? Geometry answers it: characters merged along the lines form long,
   thin blobs only in the direction the lines run (`line_direction`).
2. Which way up? A text-line recogniser reads a few lines as they are and turned by 180 degrees; upright Latin
   text is read with confident characters, upside-down text is not (`orientation_from_lines`). The recogniser is
   passed in as a function (core stays free of model loading).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from image_processor.core.geometry import downscale, to_gray

ANALYSIS_SIDE = 1600
CROP_ASPECT = 3.5  # a line crop is cut to at most this width / height: ~10 characters decide as well as a line

ReadConfidence = Callable[[list[np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class LineBlobs:
    boxes: list[tuple[int, int, int, int]]  # x, y, w, h of line-shaped blobs, best first
    line_share: float  # share of character-sized components that sit in line-shaped blobs
    char_height: float


@dataclass(frozen=True)
class OrientationEstimate:
    turns_ccw: int  # quarter turns counter-clockwise that make the page upright
    confident: bool  # False: the evidence was too weak to act on (turns_ccw is then 0)
    across_share: float  # line-shaped ink share with lines across the page
    down_share: float  # the same with lines running down the page
    scores: dict[int, float] = field(default_factory=dict)  # mean read confidence per candidate turn
    lines_read: int = 0
    method: str = ""


def text_mask(gray: np.ndarray) -> np.ndarray:
    """Ink against its local background, without the long straight rules of forms and tables (they are not text,
    and text touching them would merge into one blob)."""
    block = max(31, (min(gray.shape) // 12) | 1)
    mask = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 12)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    run = max(40, min(gray.shape) // 8)
    rules = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, run), np.uint8))
    rules |= cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((run, 1), np.uint8))
    return cv2.subtract(mask, cv2.dilate(rules, np.ones((3, 3), np.uint8)))


def _components(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres (x, y), heights and widths of the mask's connected components (background dropped)."""
    _, _, stats, centroids = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return centroids[1:], stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]


def _quarter_turned(components: tuple[np.ndarray, np.ndarray, np.ndarray], width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The same components seen on the mask turned a quarter counter-clockwise (np.rot90): (x, y) -> (y, w-1-x),
    heights and widths swapped. Saves labelling the turned mask again."""
    centres, hs, ws = components
    return np.column_stack([centres[:, 1], width - 1 - centres[:, 0]]), ws, hs


def _char_components(
    components: tuple[np.ndarray, np.ndarray, np.ndarray], page_height: int
) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """Centres and heights of character-sized components, and the text height (their median)."""
    centres, hs, ws = components
    keep = (hs >= 5) & (hs <= page_height * 0.05) & (ws <= 3 * hs) & (ws >= 2)
    if keep.sum() < 10:
        return np.zeros((0, 2)), np.zeros(0), []
    heights = hs[keep]
    return centres[keep], heights.astype(np.float64), [float(np.median(heights))]


def _lines_at(mask: np.ndarray, centres: np.ndarray, heights: np.ndarray, ch: float) -> LineBlobs:
    """Line blobs for one text height: characters of about that height merged along the row."""
    k = max(3, int(round(ch)))
    merged = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((1, k), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(merged, connectivity=8)
    if n < 2:
        return LineBlobs([], 0.0, ch)
    x, y, w, h = (stats[1:, i] for i in range(4))
    sized = (heights >= 0.5 * ch) & (heights <= 1.6 * ch)
    cx = np.clip(np.round(centres[sized, 0]).astype(int), 0, mask.shape[1] - 1)
    cy = np.clip(np.round(centres[sized, 1]).astype(int), 0, mask.shape[0] - 1)
    chars = np.bincount(labels[cy, cx], minlength=n)[1:]
    lineish = (h >= 0.6 * ch) & (h <= 2.2 * ch) & (w >= 4 * h) & (chars >= 4)
    share = float(chars[lineish].sum() / max(len(centres), 1))
    order = np.argsort(-(chars * lineish))
    boxes = [(int(x[i]), int(y[i]), int(w[i]), int(h[i])) for i in order if lineish[i]]
    return LineBlobs(boxes, share, ch)


def line_blobs(gray: np.ndarray, mask: np.ndarray | None = None, components=None) -> LineBlobs:  # noqa: ANN001
    """Characters merged along horizontal lines; a blob counts as a text line when it is line-shaped and holds
    several character-sized components (a rule or a dashed line does not). `mask`/`components` may be passed
    when already computed (the page and its quarter-turned copy share one labelling)."""
    mask = text_mask(gray) if mask is None else mask
    components = _components(mask) if components is None else components
    centres, heights, candidates = _char_components(components, mask.shape[0])
    found = [_lines_at(mask, centres, heights, ch) for ch in candidates]
    return max(found, key=lambda b: b.line_share, default=LineBlobs([], 0.0, 0.0))


def _spread_pick(boxes: list[tuple[int, int, int, int]], count: int) -> list[tuple[int, int, int, int]]:
    """Up to `count` of the widest line blobs, taken from across the page (not one block of similar lines)."""
    pool = boxes[: max(count * 4, count)]
    pool = sorted(pool, key=lambda b: b[1])
    if len(pool) <= count:
        return pool
    idx = np.linspace(0, len(pool) - 1, count).round().astype(int)
    return [pool[i] for i in idx]


def _crops(gray: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> list[np.ndarray]:
    H, W = gray.shape
    out = []
    for x, y, w, h in boxes:
        pad = max(2, int(round(0.25 * h)))
        y0, y1 = max(0, y - pad), min(H, y + h + pad)
        width = min(w + 2 * pad, int(CROP_ASPECT * (y1 - y0)))
        start = x - pad + max(0, (w + 2 * pad - width) // 2)  # the middle of the line: least likely a margin mark
        x0, x1 = max(0, start), min(W, start + width)
        out.append(np.ascontiguousarray(gray[y0:y1, x0:x1]))
    return out


def orientation_from_lines(
    image: np.ndarray,
    read: ReadConfidence,
    *,
    stages: tuple[int, ...] = (2, 4),
    early_margin: float = 0.12,
    min_share: float = 0.05,
    direction_ratio: float = 1.5,
    min_margin: float = 0.04,
    min_score: float = 0.3,
) -> OrientationEstimate:
    """Quarter turns that make the page upright, or 0 with confident=False when the page gives too little to go on.

    Lines are read in stages (2 lines, then 4 more): most pages are decided by the first two, which keeps the
    recogniser's cost (~20 ms of CPU per crop) low.
    """
    gray, _ = downscale(to_gray(image), ANALYSIS_SIDE)
    mask = text_mask(gray)
    components = _components(mask)
    across = line_blobs(gray, mask, components)
    turned = np.ascontiguousarray(np.rot90(gray, 1))  # lines running down the page run across this copy
    down = line_blobs(turned, np.ascontiguousarray(np.rot90(mask, 1)), _quarter_turned(components, gray.shape[1]))
    base = dict(across_share=round(across.line_share, 3), down_share=round(down.line_share, 3))
    if max(across.line_share, down.line_share) < min_share:
        return OrientationEstimate(0, False, **base, method="too few text lines")
    # the direction: clear from geometry, otherwise read both ways and let the recogniser decide
    if across.line_share >= direction_ratio * down.line_share:
        candidates = [(0, gray, across)]
    elif down.line_share >= direction_ratio * across.line_share:
        candidates = [(1, turned, down)]
    else:
        candidates = [(0, gray, across), (1, turned, down)]
    method = "line direction + read upright vs turned" if len(candidates) == 1 else "read in all four orientations"
    picks = {turns: _crops(page, _spread_pick(blobs.boxes, sum(stages))) for turns, page, blobs in candidates}
    if not any(picks.values()):
        return OrientationEstimate(0, False, **base, method="no line crops")
    conf: list[float] = []
    owners: list[int] = []
    done = 0
    scores: dict[int, float] = {}
    for count in stages:
        crops: list[np.ndarray] = []
        for turns, lines in picks.items():
            for crop in lines[done : done + count]:
                crops += [crop, np.ascontiguousarray(crop[::-1, ::-1])]
                owners += [turns, turns + 2]
        done += count
        if not crops:
            break
        conf += [float(c) for c in read(crops)]
        owners_arr, conf_arr = np.array(owners), np.array(conf)
        scores = {t: float(conf_arr[owners_arr == t].mean()) for t in sorted(set(owners))}
        ranked = sorted(scores, key=scores.get, reverse=True)
        margin = scores[ranked[0]] - scores[ranked[1]]
        if margin >= early_margin:
            break
    rounded = {t: round(v, 4) for t, v in scores.items()}
    lines_read = len(conf) // 2
    if margin < min_margin or scores[ranked[0]] < min_score:  # no reading is convincing: leave the page as it is
        return OrientationEstimate(0, False, **base, scores=rounded, lines_read=lines_read, method=method)
    return OrientationEstimate(ranked[0] % 4, True, **base, scores=rounded, lines_read=lines_read, method=method)
