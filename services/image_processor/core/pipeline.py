"""One page through the whole chain: outline/unwarp -> deskew -> orientation -> measured clean-up.

Geometric steps multiply into one 3x3 matrix (original pixels -> processed pixels), so later phases can map
OCR boxes back to the scan.
"""

import time
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from image_processor.core import geometry
from image_processor.core.enhance import EnhanceThresholds, Step, enhance
from image_processor.core.orientation import OrientationEstimate, ReadConfidence, orientation_from_lines
from image_processor.core.outline import Outline, find_outline, flatten
from image_processor.core.quality import Quality, measure
from image_processor.core.skew import SkewEstimate, estimate_skew_both_ways


# what the chain does to a page; part of the service's /info `models`, so of every cached phase-1 key: bump it when a
# change alters outputs (2: narrow content cropped to itself, 4: clean-up decided on the uncropped page, 5: crop below 0.55), or a warm cache serves pages processed the old way
PIPELINE_REVISION = 5

ENHANCEMENTS = ("grayscale", "denoise_median", "denoise_bilateral", "flatten_illumination", "contrast_stretch")


@dataclass(frozen=True)
class PipelineConfig:
    apply_unwarping: bool = True
    enhance_quality: bool = True
    auto_orient: bool = True  # needs a line reader passed to process_page; without one orientation is skipped
    max_skew_angle: float = 25.0
    min_skew_angle: float = 1.0  # below this a rotation would only resample: OCR reads such tilts as well (measured)
    min_skew_confidence: float = 1.2  # below this there are no text lines to trust
    outline_min_area_ratio: float = 0.15
    outline_max_area_ratio: float = 0.95
    outline_min_contrast: float = 30.0
    outline_min_edge_contrast: float = 25.0  # every edge brighter inside than outside by this much
    unwarp_min_corner_skew: float = 15.0  # degrees off square at some corner; milder perspective OCR reads as is (measured)
    # content narrower than this share of the page (a till slip on a flatbed scan, on white paper) is cropped to
    # itself; receipts on a white bed span at most 0.49 of the width on the development pages, and the one form that
    # spanned 0.597 (under the first threshold, 0.6) lost its type when cropped (benchmarks/narrow_content.py)
    crop_narrow_below: float = 0.55
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
    orientation: OrientationEstimate | None = None


def _deskew(
    out: np.ndarray, matrix: np.ndarray, config: PipelineConfig, steps: list[Step], notes: list[str],
    skew: SkewEstimate | None = None,
) -> tuple[SkewEstimate, bool, np.ndarray, np.ndarray]:
    """Rotate by the measured text-line angle when the lines are clear and the angle is worth a resampling.

    Lines running down the page (a page on its side) are measured on a quarter-turned copy when the across
    reading is unclear: rotations commute, so the same angle straightens them, and orientation then sees
    straight lines. `skew` forces one reading (used when orientation shows the sideways one was wrong)."""
    if skew is None:
        skew, sideways = estimate_skew_both_ways(out, config.max_skew_angle, confident=2 * config.min_skew_confidence)
        if sideways is not None and sideways.confidence > skew.confidence:
            skew = replace(sideways, direction="down", alternative=skew)
    if skew.confidence < config.min_skew_confidence:
        notes.append(f"deskew: no clear text lines (confidence {skew.confidence} < {config.min_skew_confidence})")
    elif abs(skew.angle) < config.min_skew_angle:
        notes.append(f"deskew: angle {skew.angle} is within +-{config.min_skew_angle} degrees of straight")
    else:
        paper = geometry.paper_colour(out)
        out, rot = geometry.rotation(out, -skew.angle, interpolation=cv2.INTER_CUBIC)
        out, crop = geometry.crop_to_content(out, paper)  # the grown canvas's blank margins would shrink the text for OCR
        steps.append(Step("deskew", f"text lines ({skew.direction} the page) at {skew.angle} degrees "
                                    f"(confidence {skew.confidence}); cropped to the content, {out.shape[1]}x{out.shape[0]}",
                          {"angle": skew.angle, "rotation_applied": -skew.angle, "confidence": skew.confidence,
                           "lines_run": skew.direction, "cropped_to": [int(out.shape[1]), int(out.shape[0])]}))
        return skew, True, out, crop @ rot @ matrix
    return skew, False, out, matrix


def _crop_narrow(out: np.ndarray, matrix: np.ndarray, config: PipelineConfig, steps: list[Step]) -> tuple[np.ndarray, np.ndarray]:
    """Crop a narrow document (a receipt) lying on a wider page or scanner bed of the paper's colour to itself.

    Unwarping finds a page that stands out from a darker background; a slip on a white bed does not stand out, and
    left as it is it fills a third of the page's width: the OCR detects on the page scaled down, so its text shrinks,
    and the classifier sees mostly blank paper (by `geometry.ink_span`, under 0.55 of the width are 12 of 127
    receipts, 1 of 164 forms, no invoice, article or handwritten page of doc_types.csv: benchmarks/narrow_content.py)."""
    paper = geometry.paper_colour(out)
    box = geometry.ink_span(out, paper)
    if box is None or box[2] >= config.crop_narrow_below * out.shape[1]:
        return out, matrix
    share = box[2] / out.shape[1]
    cropped, shift = geometry.crop_to_content(out, paper, box=box)
    if cropped is out:
        return out, matrix
    steps.append(Step("crop", f"content spans {share:.0%} of the page's width (< {config.crop_narrow_below:.0%}): "
                              f"cropped to it, {cropped.shape[1]}x{cropped.shape[0]}",
                      {"content_width_share": round(share, 3), "cropped_to": [int(cropped.shape[1]), int(cropped.shape[0])]}))
    return cropped, shift @ matrix


def process_page(image: np.ndarray, config: PipelineConfig, read_lines: ReadConfidence | None = None) -> PageResult:
    """`read_lines` scores text-line crops (the runtime's recogniser); orientation needs it."""
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
        min_edge_contrast=config.outline_min_edge_contrast,
    )
    unwarped = False
    if outline is None:
        notes.append("unwarp: no 4-corner page outline stands out from a background")
    elif not config.apply_unwarping:
        notes.append("unwarp: outline found but apply_unwarping is false")
    elif outline.max_corner_skew < config.unwarp_min_corner_skew:
        notes.append(f"unwarp: outline found, perspective mild (corners within {outline.max_corner_skew} degrees of "
                     f"square < {config.unwarp_min_corner_skew}): OCR reads it as is, a warp would only resample")
    else:
        out, warp = flatten(out, outline.corners)
        matrix = warp @ matrix
        unwarped = True
        steps.append(Step(
            "unwarp",
            f"page outline found ({outline.method}, covers {outline.area_ratio:.0%} of the frame, "
            f"{outline.contrast:.0f} grey levels brighter than the background, every edge by >= "
            f"{outline.min_edge_contrast:.0f}); perspective: a corner {outline.max_corner_skew} degrees off square "
            f">= {config.unwarp_min_corner_skew}",
            {"corners": np.round(outline.corners, 2).tolist(), "width": out.shape[1], "height": out.shape[0],
             "max_corner_skew": outline.max_corner_skew, "min_edge_contrast": outline.min_edge_contrast},
        ))

    before_deskew = (out, matrix, len(steps), len(notes))
    skew, deskewed, out, matrix = _deskew(out, matrix, config, steps, notes)

    orientation: OrientationEstimate | None = None
    if not config.auto_orient:
        notes.append("orient: auto_orient is off")
    elif read_lines is None:
        notes.append("orient: no text-line reader available (run `iris setup`)")
    else:
        orientation = orientation_from_lines(out, read_lines)
        if skew.direction == "down" and deskewed and not (orientation.confident and orientation.turns_ccw % 2):
            # the comb down the page came from columns (receipts align characters), not from lines on their
            # side: orientation reads the lines across, so straighten by the across reading instead
            out, matrix, n_steps, n_notes = before_deskew
            del steps[n_steps:], notes[n_notes:]
            notes.append(f"deskew: the reading down the page ({skew.angle} degrees) was set aside: the lines run across")
            skew, deskewed, out, matrix = _deskew(out, matrix, config, steps, notes, skew=skew.alternative)
        if not orientation.confident:
            notes.append(f"orient: left as is ({orientation.method}; read confidence per turn {orientation.scores})")
        elif orientation.turns_ccw == 0:
            notes.append(f"orient: upright (read confidence per turn {orientation.scores})")
        else:
            out, turn = geometry.quarter_turn(out, orientation.turns_ccw)
            matrix = turn @ matrix
            steps.append(Step(
                "orient",
                f"page turned by {90 * orientation.turns_ccw} degrees counter-clockwise: {orientation.method}; "
                f"read confidence per turn {orientation.scores}",
                {"quarter_turns_ccw": orientation.turns_ccw, "scores": orientation.scores,
                 "lines_read": orientation.lines_read, "across_share": orientation.across_share,
                 "down_share": orientation.down_share},
            ))
            if orientation.turns_ccw % 2 and not deskewed:  # the skew was measured across lines that ran down the page
                notes = [n for n in notes if not n.startswith("deskew:")]
                skew, deskewed, out, matrix = _deskew(out, matrix, config, steps, notes)

    out, matrix = _crop_narrow(out, matrix, config, steps)

    # a rotation leaves noise, lighting and levels as they were; only unwarping (background cut away) changes them. A
    # crop cuts away blank paper of the same scan: the clean-up is decided on the whole page's measures, as for an
    # uncropped page (measured on the crop alone, SROIE 033 got a clean-up that dropped its OCR confidence 0.98 -> 0.69)
    quality_mid = measure(out) if unwarped else quality_before
    geometric = out
    if config.enhance_quality:
        out, enhance_steps = enhance(out, quality_mid, config.thresholds)
        steps += enhance_steps
        if not enhance_steps:
            notes.append("enhance: noise, lighting, contrast and colour measures are all within thresholds")
    if out is image:
        quality_after = quality_before
    elif out is geometric or [s.name for s in steps if s.name in ENHANCEMENTS] == ["grayscale"]:
        # only rotations / turns (or the unwarp, already measured) and at most dropping unused colour channels:
        # every measure carries over, so the page is not measured again
        quality_after = replace(quality_mid, width=out.shape[1], height=out.shape[0],
                                colour_share=quality_mid.colour_share if out.ndim == 3 else 0.0)
    else:
        quality_after = measure(out)
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
        orientation=orientation,
    )
