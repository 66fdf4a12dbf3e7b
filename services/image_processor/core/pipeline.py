"""One page through the whole chain: outline/unwarp -> orientation -> deskew -> measured clean-up.

Geometric steps multiply into one 3x3 matrix (original pixels -> processed pixels), so later phases can map
OCR boxes back to the scan.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from image_processor.core import geometry
from image_processor.core.enhance import EnhanceThresholds, Step, enhance
from image_processor.core.orientation import estimate_orientation
from image_processor.core.outline import Outline, find_outline, flatten
from image_processor.core.quality import Quality, measure
from image_processor.core.skew import SkewEstimate, estimate_skew


@dataclass(frozen=True)
class PipelineConfig:
    apply_unwarping: bool = True
    enhance_quality: bool = True
    auto_orient: bool = False
    max_skew_angle: float = 25.0
    min_skew_angle: float = 0.3  # below this a rotation would only resample a straight scan
    min_skew_confidence: float = 1.2  # below this there are no text lines to trust
    outline_min_area_ratio: float = 0.15
    outline_max_area_ratio: float = 0.95
    outline_min_contrast: float = 30.0
    thresholds: EnhanceThresholds = field(default_factory=EnhanceThresholds)


@dataclass
class PageResult:
    image: np.ndarray
    original_size: tuple[int, int]  # (width, height)
    skew: SkewEstimate
    deskewed: bool
    outline: Outline | None
    unwarped: bool
    steps: list[Step]
    notes: list[str]
    quality_before: Quality
    quality_after: Quality
    transform: np.ndarray
    seconds: float


def process_page(image: np.ndarray, config: PipelineConfig) -> PageResult:
    started = time.perf_counter()
    h, w = image.shape[:2]
    steps: list[Step] = []
    notes: list[str] = []
    matrix = geometry.identity()
    quality_before = measure(image)
    out = image

    outline = find_outline(
        image,
        min_area_ratio=config.outline_min_area_ratio,
        max_area_ratio=config.outline_max_area_ratio,
        min_contrast=config.outline_min_contrast,
    )
    unwarped = False
    if outline is None:
        notes.append("unwarp: no 4-corner page outline stands out from a background")
    elif not config.apply_unwarping:
        notes.append("unwarp: outline found but apply_unwarping is false")
    else:
        out, warp = flatten(out, outline.corners)
        matrix = warp @ matrix
        unwarped = True
        steps.append(Step(
            "unwarp",
            f"page outline found ({outline.method}, covers {outline.area_ratio:.0%} of the frame, "
            f"{outline.contrast:.0f} grey levels brighter than the background)",
            {"corners": np.round(outline.corners, 2).tolist(), "width": out.shape[1], "height": out.shape[0]},
        ))

    if config.auto_orient:
        orient = estimate_orientation(out)
        if orient.turns_ccw:
            out, turn = geometry.quarter_turn(out, orient.turns_ccw)
            matrix = turn @ matrix
            steps.append(Step("orient", f"text lines say the page is turned (vertical ratio {orient.vertical_ratio}, "
                                        f"upside-down score {orient.upside_down})", {"quarter_turns_ccw": orient.turns_ccw}))

    skew = estimate_skew(out, max_angle=config.max_skew_angle)
    deskewed = False
    if skew.confidence < config.min_skew_confidence:
        notes.append(f"deskew: no clear text lines (confidence {skew.confidence} < {config.min_skew_confidence})")
    elif abs(skew.angle) < config.min_skew_angle:
        notes.append(f"deskew: angle {skew.angle} is within +-{config.min_skew_angle} degrees of straight")
    else:
        out, rot = geometry.rotation(out, -skew.angle)
        matrix = rot @ matrix
        deskewed = True
        steps.append(Step("deskew", f"text lines at {skew.angle} degrees (confidence {skew.confidence})",
                          {"angle": skew.angle, "rotation_applied": -skew.angle, "confidence": skew.confidence}))

    # a rotation leaves noise, lighting and levels as they were; only unwarping (background cut away) changes them
    quality_mid = measure(out) if unwarped else quality_before
    geometric = out
    if config.enhance_quality:
        out, enhance_steps = enhance(out, quality_mid, config.thresholds)
        steps += enhance_steps
        if not enhance_steps:
            notes.append("enhance: noise, lighting, contrast and colour measures are all within thresholds")
    quality_after = quality_before if out is image else (quality_mid if out is geometric and unwarped else measure(out))
    return PageResult(
        image=out,
        original_size=(w, h),
        skew=skew,
        deskewed=deskewed,
        outline=outline,
        unwarped=unwarped,
        steps=steps,
        notes=notes,
        quality_before=quality_before,
        quality_after=quality_after,
        transform=matrix,
        seconds=time.perf_counter() - started,
    )
