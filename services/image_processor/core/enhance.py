"""Clean-up that runs only when a measurement says the page needs it, so a clean scan passes unchanged.

Each step returns what it did and why (the measurement and the threshold), which the service reports.
"""

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from image_processor.core.geometry import to_gray
from image_processor.core.quality import Quality, background, percentiles
from image_processor.core.skew import ink_mask


@dataclass(frozen=True)
class EnhanceThresholds:
    noise_sigma: float = 6.0  # grey levels of Gaussian noise worth smoothing
    impulse_share: float = 0.002  # share of flat pixels that are specks
    # PaddleOCR reads moderate shadows and greyed print as well as (mostly better than) a flattened or stretched
    # copy (measured on 56 WildReceipt photos and 20 SROIE scans, docs/image-processing.md), so these two act only
    # on extreme pages; a binarising engine (Tesseract) profits from lower values (0.18 and 110)
    unevenness: float = 1.5  # relative spread of paper brightness (deep shadows)
    min_text_contrast: float = 40.0  # paper minus ink grey levels; below this the print is badly faded
    max_grey_colour_share: float = 2e-5  # at most this share of coloured pixels: a grey page stored as colour


@dataclass
class Step:
    name: str
    reason: str
    params: dict[str, Any] = field(default_factory=dict)


def _remove_impulses(image: np.ndarray) -> np.ndarray:
    return cv2.medianBlur(image, 3)


def _smooth_noise(image: np.ndarray, sigma: float) -> np.ndarray:
    """Edge-preserving smoothing; the range kernel scales with the measured noise so strokes stay sharp."""
    return cv2.bilateralFilter(image, 5, sigmaColor=3.0 * sigma, sigmaSpace=3.0)


def _flatten_illumination(image: np.ndarray) -> np.ndarray:
    """Divide by the paper's brightness map, so shadows and gradients become white paper."""
    gray = to_gray(image)
    bg = background(gray)
    bg = cv2.resize(bg, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    bg = np.maximum(bg, 1.0)
    scale = 255.0 / bg
    if image.ndim == 3:
        scale = scale[..., None]
    return np.clip(image.astype(np.float32) * scale, 0, 255).astype(np.uint8)


def _stretch(image: np.ndarray, low: float, high: float) -> np.ndarray:
    lut = np.clip((np.arange(256, dtype=np.float32) - low) * 255.0 / max(high - low, 1.0), 0, 255).astype(np.uint8)
    return cv2.LUT(image, lut)


def enhance(image: np.ndarray, quality: Quality, thresholds: EnhanceThresholds | None = None) -> tuple[np.ndarray, list[Step]]:
    """Denoise, even out lighting and stretch contrast, each only when its measurement crosses a threshold."""
    t = thresholds or EnhanceThresholds()
    steps: list[Step] = []
    out = image
    if out.ndim == 3 and quality.colour_share <= t.max_grey_colour_share:
        out = to_gray(out)  # same content, a third of the bytes to encode and ship
        steps.append(Step("grayscale", f"coloured pixel share {quality.colour_share} <= {t.max_grey_colour_share}: no colour to keep",
                          {"colour_share": quality.colour_share}))
    if quality.impulse_noise > t.impulse_share:
        out = _remove_impulses(out)
        steps.append(Step("denoise_median", f"impulse noise share {quality.impulse_noise} > {t.impulse_share}",
                          {"kernel": 3, "impulse_noise": quality.impulse_noise}))
    if quality.noise > t.noise_sigma:
        out = _smooth_noise(out, quality.noise)
        steps.append(Step("denoise_bilateral", f"noise sigma {quality.noise} > {t.noise_sigma}",
                          {"diameter": 5, "sigma_color": round(3.0 * quality.noise, 2), "sigma_space": 3.0, "noise": quality.noise}))
    if quality.background_unevenness > t.unevenness:
        out = _flatten_illumination(out)
        steps.append(Step("flatten_illumination",
                          f"background unevenness {quality.background_unevenness} > {t.unevenness}",
                          {"background_unevenness": quality.background_unevenness}))
    if steps and steps[-1].name == "flatten_illumination":
        gray = to_gray(out)  # levels changed: measure them again before deciding on a stretch
        ink = ink_mask(gray) > 0
        ink_level = percentiles(gray[ink], [20])[0] if ink.sum() > 100 else quality.ink_level
        paper_level = percentiles(gray[~ink], [50])[0] if (~ink).any() else quality.paper_level
    else:
        gray, ink_level, paper_level = to_gray(out), quality.ink_level, quality.paper_level
    if paper_level - ink_level < t.min_text_contrast:
        ink = ink_mask(gray) > 0
        low = percentiles(gray[ink], [10])[0] if ink.sum() > 100 else ink_level
        high = paper_level
        if high - low > 10:
            out = _stretch(out, low, high)
            steps.append(Step("contrast_stretch",
                              f"text contrast (paper {round(paper_level, 1)} - ink {round(ink_level, 1)}) < {t.min_text_contrast}",
                              {"black_point": round(low, 1), "white_point": round(high, 1)}))
    return out, steps
