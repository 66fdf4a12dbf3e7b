"""Layout measurements of a page (pure OpenCV): what a 224 px thumbnail cannot see.

An ImageNet encoder looking at a whole page squeezed to 224 px sees texture, not structure. The cues that
separate a receipt from a form or an invoice are geometric and survive any scanner: the page's shape, how
many ruling lines and boxes it has, how many text rows per height and how far they run, how large the text is
relative to the page width, whether the scan is bilevel (fax) or a photo on a table. Each value is scaled to
roughly [0, 1] by a fixed rule (no fitted statistics), so the vector can be appended to an embedding.
"""

import cv2
import numpy as np

WORK_WIDTH = 800  # measurements are made on the page resized to this width

FEATURE_NAMES = (
    "aspect",  # log2(h / w) / 3: receipts are tall
    "ink",  # dark-pixel fraction
    "h_rules",  # long horizontal lines per 1000 px of height
    "v_rules",  # long vertical lines per page width
    "rule_ink",  # share of the ink that is ruling lines
    "boxes",  # closed cells formed by the rules
    "text_rows",  # text rows per 1000 px of height
    "row_fill",  # mean width of a text row / page width
    "row_fill_sd",  # spread of row widths (ragged paragraphs vs. label: value pairs)
    "char_height",  # median glyph height / page width
    "columns",  # blank vertical gutters inside the text block
    "mid_tones",  # fraction of grey (neither paper nor ink) pixels: low on bilevel/fax scans
    "colour",  # mean saturation
    "border_dark",  # darkness of the outer frame: a photo on a table
    "blank_top",  # first ink row / height
    "right_align",  # share of rows ending at the right edge (amount columns)
)
DIMENSION = len(FEATURE_NAMES)


def _binarise(gray: np.ndarray) -> np.ndarray:
    """Ink = 255. Adaptive threshold copes with uneven light on photos; large blocks keep thin strokes."""
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 15)


def _runs(mask_1d: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of consecutive True stretches."""
    padded = np.concatenate([[False], mask_1d, [False]]).astype(np.int8)
    diff = np.diff(padded)
    return list(zip(np.flatnonzero(diff == 1), np.flatnonzero(diff == -1)))


def layout_features(image_bgr: np.ndarray) -> np.ndarray:
    """The FEATURE_NAMES vector of one page (float32, values roughly within [0, 1]).

    One connected-component pass serves both the glyph size and the text statistics (components that are
    ruling lines are set aside by their shape): that pass is the dearest step, so it runs once.
    """
    h0, w0 = image_bgr.shape[:2]
    scale = WORK_WIDTH / w0
    h = max(8, int(round(h0 * scale)))
    small = image_bgr if (w0, h0) == (WORK_WIDTH, h) else cv2.resize(image_bgr, (WORK_WIDTH, h), interpolation=cv2.INTER_AREA)
    colour = small.ndim == 3 and small.shape[2] >= 3
    gray = cv2.cvtColor(small[..., :3], cv2.COLOR_BGR2GRAY) if colour else small
    w = WORK_WIDTH
    ink = _binarise(gray)
    ink_total = max(float(np.count_nonzero(ink)), 1.0)

    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights, widths = stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH]
    blob_heights = heights[heights >= 4]  # specks of scan noise are not glyphs
    typical = float(np.median(blob_heights)) if len(blob_heights) else 10.0
    h_lines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (w // 8, 1)))
    v_len = int(max(20, 2.5 * typical))  # longer than a tall glyph
    v_lines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, v_len)))
    n_h = len(_runs(h_lines.any(axis=1)))
    n_v = len(_runs(v_lines.any(axis=0)))
    grid = cv2.bitwise_or(h_lines, v_lines)
    cells, _ = cv2.findContours(cv2.dilate(grid, np.ones((3, 3), np.uint8)), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    n_boxes = sum(1 for c in cells if cv2.contourArea(c) > 0.001 * w * h)

    text = cv2.bitwise_and(ink, cv2.bitwise_not(grid))
    glyph = (heights >= 4) & (heights < h / 8) & (heights < v_len) & (widths < w // 8)
    glyphs = heights[glyph]
    char_h = float(np.median(glyphs)) if len(glyphs) else 0.0

    smear = cv2.dilate(text, cv2.getStructuringElement(cv2.MORPH_RECT, (max(9, int(char_h * 1.5)), 1)))
    row_profile = (smear > 0).sum(axis=1) > 0.02 * w
    rows = [(a, b) for a, b in _runs(row_profile) if b - a >= 3]
    fills, right = [], 0
    for a, b in rows:
        cols = np.flatnonzero(smear[a:b].any(axis=0))
        fills.append((cols[-1] - cols[0]) / w)
        right += cols[-1] > 0.85 * w
    col_profile = text.sum(axis=0) > 0
    inner = col_profile[int(0.1 * w) : int(0.9 * w)]
    gutters = [r for r in _runs(~inner) if r[1] - r[0] > 0.03 * w]

    hsv = cv2.cvtColor(np.ascontiguousarray(small[::4, ::4, :3]), cv2.COLOR_BGR2HSV) if colour else None  # a mean needs no detail
    border = np.concatenate([gray[: h // 20].ravel(), gray[-h // 20 :].ravel(), gray[:, : w // 20].ravel(), gray[:, -w // 20 :].ravel()])
    ink_rows = np.flatnonzero(ink.any(axis=1))
    values = [
        np.log2(h0 / w0) / 3,
        ink_total / (w * h),
        n_h * 1000 / h / 20,
        min(n_v, 40) / 20,
        float(np.count_nonzero(grid)) / ink_total,
        min(n_boxes, 100) / 100,
        len(rows) * 1000 / h / 40,
        float(np.mean(fills)) if fills else 0.0,
        float(np.std(fills)) if fills else 0.0,
        char_h / w * 20,
        min(len(gutters), 5) / 5,
        float(np.mean((gray > 60) & (gray < 190))),
        float(hsv[..., 1].mean()) / 255 if hsv is not None else 0.0,
        1.0 - float(border.mean()) / 255,
        ink_rows[0] / h if len(ink_rows) else 1.0,
        right / max(len(rows), 1),
    ]
    return np.clip(np.asarray(values, dtype=np.float32), -2.0, 2.0)
