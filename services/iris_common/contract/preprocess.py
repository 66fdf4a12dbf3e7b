"""Payloads of the image-processor service (`POST /process`): the `data` of its envelope.

Coordinates are pixels with the origin at the top-left corner, x to the right and y down. `transform` maps a
point of the decoded original page to the processed image: [x', y', w]^T = T @ [x, y, 1]^T, then divide by w.
Its inverse maps OCR boxes found on the processed image back onto the original scan.
"""

from typing import Any, Literal

from pydantic import BaseModel, Field


class ProcessOptions(BaseModel):
    """The form fields of `POST /process`, echoed in the result."""

    apply_unwarping: bool = Field(True, description="flatten the page when a 4-corner outline is found")
    enhance_quality: bool = Field(True, description="denoise / even lighting / stretch contrast where measured as needed")


class ImageSize(BaseModel):
    width: int
    height: int


class Operation(BaseModel):
    """One operation applied to the page, with the measurement that triggered it."""

    name: str = Field(description="unwarp | deskew | orient | grayscale | denoise_median | denoise_bilateral | flatten_illumination | contrast_stretch")
    reason: str
    params: dict[str, Any] = Field(default_factory=dict)


class QualityMeasures(BaseModel):
    """Measured on the grey image (at most 1280 px long side, so values compare across resolutions; noise on
    the full-resolution centre)."""

    width: int
    height: int
    blur: float = Field(description="variance of the Laplacian; higher is sharper")
    contrast: float = Field(description="standard deviation of grey levels")
    brightness: float = Field(description="mean grey level")
    dynamic_range: float = Field(description="99th minus 1st percentile of grey levels")
    ink_level: float = Field(description="grey level of stroke cores")
    paper_level: float = Field(description="median grey level of the paper")
    noise: float = Field(description="estimated Gaussian noise sigma in flat areas, grey levels")
    impulse_noise: float = Field(description="share of flat-area pixels that are isolated specks")
    background_unevenness: float = Field(description="relative spread of paper brightness over the page")
    colour_share: float = Field(description="share of clearly coloured pixels; 0 for a grey page stored as colour")


class ProcessedPage(BaseModel):
    page_index: int = Field(description="0-based page number in the uploaded document")
    image_base64: str = Field(description="the processed page, base64 of its encoding")
    image_format: Literal["png"] = "png"
    original_size: ImageSize
    processed_size: ImageSize
    skew_angle: float = Field(
        description="text-line angle in degrees, counter-clockwise positive, measured on the page after unwarping "
        "(if any) and before deskewing (for a page on its side, of the lines running down the page)"
    )
    skew_confidence: float = Field(description="peak / median projection score; ~1 means no text lines found")
    deskewed: bool
    outline_found: bool
    outline_corners: list[list[float]] | None = Field(
        None, description="page corners [tl, tr, br, bl] as [x, y] in original-image pixels"
    )
    unwarped: bool
    orientation_turns_ccw: int = Field(
        0, description="quarter turns (counter-clockwise) applied to make the page upright: 0, 1, 2 or 3"
    )
    operations: list[Operation] = Field(description="what was applied, in order")
    notes: list[str] = Field(default_factory=list, description="why candidate operations were not applied")
    quality_before: QualityMeasures
    quality_after: QualityMeasures
    transform: list[list[float]] = Field(description="3x3 matrix mapping original pixel coordinates to processed ones")
    processing_time: float = Field(description="seconds spent on this page")


class ProcessResult(BaseModel):
    source_format: str = Field(description="format recognised from the file's bytes: jpeg, png, tiff, bmp, webp, pdf")
    page_count: int = Field(description="pages in the uploaded document (all of them are in `pages` unless one `page` was asked for)")
    options: ProcessOptions
    pages: list[ProcessedPage]
