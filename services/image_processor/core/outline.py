"""Finding a document's 4-corner outline against a background, and warping it flat.

A candidate quadrilateral must be clearly inside a background: large enough (a share of the frame), not the
frame itself, and brighter than what surrounds it by a clear margin. A flat scan whose paper fills the frame
therefore yields no outline and is left alone.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from image_processor.core.geometry import Matrix, downscale, to_gray

ANALYSIS_SIDE = 640


@dataclass(frozen=True)
class Outline:
    corners: np.ndarray  # (4, 2) float, original-image pixels, ordered tl, tr, br, bl
    area_ratio: float  # share of the frame the page covers
    contrast: float  # mean grey inside minus mean grey of the surrounding background
    method: str
    min_edge_contrast: float = 0.0  # the weakest edge's inside-minus-outside grey (edges along the frame left out)
    max_corner_skew: float = 0.0  # largest deviation of an interior angle from 90 degrees: the perspective to remove


def order_corners(points: np.ndarray) -> np.ndarray:
    """tl, tr, br, bl, whatever order the contour came in."""
    pts = np.asarray(points, dtype=np.float64).reshape(4, 2)
    s = pts.sum(axis=1)
    d = pts[:, 1] - pts[:, 0]
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]])


def _quad_of(contour: np.ndarray) -> np.ndarray | None:
    """Four corners of a contour's convex hull, loosening the approximation until it has four vertices."""
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    for eps in (0.01, 0.02, 0.03, 0.045, 0.06, 0.08):
        approx = cv2.approxPolyDP(hull, eps * perimeter, True)
        if len(approx) == 4:
            return approx.reshape(4, 2).astype(np.float64)
        if len(approx) < 4:
            return None
    return None


def _contrast(gray: np.ndarray, quad: np.ndarray) -> tuple[float, float]:
    """(inside mean - background mean, background share) with a margin band left out on both sides of the edge."""
    inside = np.zeros(gray.shape, np.uint8)
    cv2.fillConvexPoly(inside, np.round(quad).astype(np.int32), 255)
    k = max(3, min(gray.shape) // 60)
    kernel = np.ones((k, k), np.uint8)
    core = cv2.erode(inside, kernel)
    outside = cv2.dilate(inside, kernel) == 0
    if outside.mean() < 0.02 or not core.any():
        return 0.0, float(outside.mean())
    return float(gray[core > 0].mean() - gray[outside].mean()), float(outside.mean())


def edge_contrasts(gray: np.ndarray, quad: np.ndarray) -> list[float | None]:
    """Per edge: mean grey of a band just inside minus a band just outside (None where the edge runs along the
    frame, so nothing lies outside it). A true page edge is brighter inside all along; an outline that cuts
    across the paper (a curled corner, a napkin beside the receipt) has paper on both sides of some edge."""
    h, w = gray.shape
    k = max(3, min(h, w) // 40)
    centre = quad.mean(axis=0)
    out: list[float | None] = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        normal = np.array([b[1] - a[1], a[0] - b[0]], dtype=np.float64)
        normal /= max(np.linalg.norm(normal), 1e-9)
        if np.dot(normal, (a + b) / 2 - centre) < 0:
            normal = -normal  # pointing away from the page
        inner = np.array([a, b, b - 2 * k * normal, a - 2 * k * normal]) - k * normal * 0.5
        outer = np.array([a, b, b + 2 * k * normal, a + 2 * k * normal]) + k * normal * 0.5
        masks = []
        for band in (inner, outer):
            m = np.zeros((h, w), np.uint8)
            cv2.fillConvexPoly(m, np.round(band).astype(np.int32), 255)
            masks.append(m > 0)
        length = max(np.linalg.norm(b - a), 1.0)
        if masks[1].sum() < 0.5 * k * length or not masks[0].any():  # the edge runs along (or outside) the frame
            out.append(None)
            continue
        out.append(float(gray[masks[0]].mean() - gray[masks[1]].mean()))
    return out


def corner_angles(quad: np.ndarray) -> list[float]:
    """Interior angles (degrees) of the quadrilateral: all near 90 means a rectangle, nothing to un-tilt."""
    angles = []
    for i in range(4):
        u, v = quad[i - 1] - quad[i], quad[(i + 1) % 4] - quad[i]
        cos = np.dot(u, v) / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-9)
        angles.append(float(np.degrees(np.arccos(np.clip(cos, -1, 1)))))
    return angles


def _candidates(gray: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """Bright-region contours (paper on a darker surface) and closed edge contours, largest first."""
    blur = cv2.GaussianBlur(gray, (5, 5), 0)
    found: list[tuple[np.ndarray, str]] = []
    _, bright = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found += [(c, "bright-region") for c in sorted(contours, key=cv2.contourArea, reverse=True)[:3]]
    edges = cv2.dilate(cv2.Canny(blur, 40, 120), np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found += [(c, "edges") for c in sorted(contours, key=cv2.contourArea, reverse=True)[:3]]
    return found


def find_outline(
    image: np.ndarray,
    *,
    min_area_ratio: float = 0.15,
    max_area_ratio: float = 0.95,
    min_contrast: float = 30.0,
    min_edge_contrast: float = 15.0,
) -> Outline | None:
    """The page's outline when it stands clearly against a background, else None."""
    small, scale = downscale(to_gray(image), ANALYSIS_SIDE)
    frame = float(small.shape[0] * small.shape[1])
    best: Outline | None = None
    for contour, method in _candidates(small):
        if cv2.contourArea(contour) < min_area_ratio * frame:
            continue
        quad = _quad_of(contour)
        if quad is None or not cv2.isContourConvex(quad.astype(np.float32).reshape(-1, 1, 2)):
            continue
        area_ratio = cv2.contourArea(quad.astype(np.float32)) / frame
        if not min_area_ratio <= area_ratio <= max_area_ratio:
            continue
        contrast, _ = _contrast(small, quad)
        if contrast < min_contrast:
            continue
        ordered = order_corners(quad)
        edges = [c for c in edge_contrasts(small, ordered) if c is not None]
        weakest = min(edges) if edges else 0.0
        if weakest < min_edge_contrast:  # some edge has paper on both sides: not the page's outline
            continue
        if best is None or area_ratio > best.area_ratio:
            skew = max(abs(a - 90.0) for a in corner_angles(ordered))
            best = Outline(ordered / scale, round(area_ratio, 4), round(contrast, 2), method,
                           round(weakest, 2), round(skew, 2))
    return best


def flatten(image: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray, Matrix]:
    """Warp the quadrilateral to an upright rectangle sized by its longer opposite edges."""
    tl, tr, br, bl = corners
    width = int(round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))))
    height = int(round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))))
    width, height = max(width, 2), max(height, 2)
    target = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float64)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target.astype(np.float32)).astype(np.float64)
    out = cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return out, matrix
