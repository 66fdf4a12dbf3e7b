"""Geometric transforms as 3x3 matrices, so every step can be composed and later inverted (OCR boxes -> scan)."""

import cv2
import numpy as np

Matrix = np.ndarray


def identity() -> Matrix:
    return np.eye(3, dtype=np.float64)


def to_gray(image: np.ndarray) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def downscale(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """A smaller copy for analysis (measurements need not see every pixel) and the scale used."""
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale >= 1.0:
        return image, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


def paper_colour(image: np.ndarray) -> tuple[int, ...]:
    """Median colour of the image border: the fill for areas a rotation uncovers, so they look like paper."""
    border = np.concatenate(
        [image[0], image[-1], image[:, 0], image[:, -1]], axis=0
    ).reshape(-1, 1 if image.ndim == 2 else image.shape[2])
    return tuple(int(v) for v in np.median(border, axis=0))


def rotation(image: np.ndarray, angle_ccw: float, interpolation: int = cv2.INTER_LINEAR) -> tuple[np.ndarray, Matrix]:
    """Rotate counter-clockwise by `angle_ccw` degrees on a canvas grown to keep every original pixel."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), angle_ccw, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    new_w = int(np.ceil(w * cos + h * sin))
    new_h = int(np.ceil(w * sin + h * cos))
    m[0, 2] += (new_w - 1) / 2.0 - (w - 1) / 2.0
    m[1, 2] += (new_h - 1) / 2.0 - (h - 1) / 2.0
    fill = paper_colour(image)
    out = cv2.warpAffine(
        image, m, (new_w, new_h), flags=interpolation, borderMode=cv2.BORDER_CONSTANT, borderValue=fill
    )
    return out, np.vstack([m, [0.0, 0.0, 1.0]])


def content_box(
    image: np.ndarray, paper: tuple[int, ...], *, min_difference: int = 32, min_speck_area: int = 3,
) -> tuple[int, int, int, int] | None:
    """(x, y, w, h) of what differs from the paper colour, specks of a pixel or two ignored; None when (almost) blank."""
    gray = to_gray(image).astype(np.int16)
    mask = (np.abs(gray - int(np.mean(paper))) > min_difference).astype(np.uint8)
    # specks of one or two pixels are noise; thin strokes of small text are not (an opening would erase them)
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    kept = stats[1:][stats[1:, cv2.CC_STAT_AREA] >= min_speck_area]
    if int(kept[:, cv2.CC_STAT_AREA].sum()) < 50:
        return None
    x, y = int(kept[:, cv2.CC_STAT_LEFT].min()), int(kept[:, cv2.CC_STAT_TOP].min())
    w = int((kept[:, cv2.CC_STAT_LEFT] + kept[:, cv2.CC_STAT_WIDTH]).max()) - x
    h = int((kept[:, cv2.CC_STAT_TOP] + kept[:, cv2.CC_STAT_HEIGHT]).max()) - y
    return x, y, w, h


def ink_span(image: np.ndarray, paper: tuple[int, ...], *, min_difference: int = 32, min_share: float = 0.02,
             work_side: int = 1000) -> tuple[int, int, int, int] | None:
    """(x, y, w, h) of the document's ink on a scan whose bed carries dust and photocopy specks far from it.

    Ink is smeared (a dilation about 1.5 % of the page's width, on a copy scaled to `work_side`) so characters join
    into lines and lines into blocks; blocks holding at least `min_share` of all ink are the document, the rest
    (isolated specks, each a few pixels) is ignored. None when (almost) blank."""
    small, scale = downscale(image, work_side)
    mask = (np.abs(to_gray(small).astype(np.int16) - int(np.mean(paper))) > min_difference).astype(np.uint8)
    total = int(mask.sum())
    if total < 20:
        return None
    k = max(3, int(0.015 * small.shape[1]) | 1)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(mask, np.ones((k, k), np.uint8)), connectivity=8)
    ink = np.bincount(labels[mask > 0], minlength=n)
    keep = [i for i in range(1, n) if ink[i] >= min_share * total]
    if not keep:
        return None
    x0 = min(stats[i, cv2.CC_STAT_LEFT] for i in keep)
    y0 = min(stats[i, cv2.CC_STAT_TOP] for i in keep)
    x1 = max(stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH] for i in keep)
    y1 = max(stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT] for i in keep)
    pad = k // 2  # the dilation grew each block by half the kernel
    x0, y0 = max(0, x0 + pad), max(0, y0 + pad)
    x1, y1 = max(x0 + 1, x1 - pad), max(y0 + 1, y1 - pad)
    return (int(x0 / scale), int(y0 / scale), int(np.ceil((x1 - x0) / scale)), int(np.ceil((y1 - y0) / scale)))


def crop_to_content(
    image: np.ndarray, paper: tuple[int, ...], *, margin_fraction: float = 0.03, min_margin: int = 16,
    min_area_saving: float = 0.1, box: tuple[int, int, int, int] | None = None,
) -> tuple[np.ndarray, Matrix]:
    """Cut the canvas down to what differs from the paper colour, plus a margin, with its (translation) matrix.

    A rotation grows the canvas to keep every pixel and fills the corners with paper; a page that arrived
    rotated (a skewed scan, a turned photo) comes out with wide blank margins, and the OCR, which detects on the
    page scaled to 960 px, then sees smaller text (benchmarks/phase1_benchmark.py: turned + skewed scans 1.16x the
    CER of the originals uncropped, 0.97x cropped). A page with no clear content, or one the crop would shrink by
    less than `min_area_saving` of its area, is left as it is. `box`: the content box when already measured.
    """
    box = box or content_box(image, paper)
    if box is None:
        return image, identity()
    x, y, w, h = box
    margin = max(min_margin, int(margin_fraction * max(image.shape[:2])))
    x0, y0 = max(0, x - margin), max(0, y - margin)
    x1, y1 = min(image.shape[1], x + w + margin), min(image.shape[0], y + h + margin)
    if (x1 - x0) * (y1 - y0) > (1.0 - min_area_saving) * image.shape[0] * image.shape[1]:
        return image, identity()  # trimming a few pixels gains nothing and moves the OCR's resize grid (measured on photos)
    shift = identity()
    shift[0, 2], shift[1, 2] = -x0, -y0
    return image[y0:y1, x0:x1].copy(), shift


def quarter_turn(image: np.ndarray, turns_ccw: int) -> tuple[np.ndarray, Matrix]:
    """Exact 90-degree rotations (no resampling) with their pixel-coordinate matrix."""
    h, w = image.shape[:2]
    turns = turns_ccw % 4
    if turns == 0:
        return image, identity()
    if turns == 1:  # counter-clockwise: (x, y) -> (y, w-1-x)
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE), np.array(
            [[0.0, 1.0, 0.0], [-1.0, 0.0, w - 1.0], [0.0, 0.0, 1.0]]
        )
    if turns == 2:
        return cv2.rotate(image, cv2.ROTATE_180), np.array(
            [[-1.0, 0.0, w - 1.0], [0.0, -1.0, h - 1.0], [0.0, 0.0, 1.0]]
        )
    return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE), np.array(  # (x, y) -> (h-1-y, x)
        [[0.0, -1.0, h - 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    )

