"""Turns decoded pages into the contract's ProcessResult (the glue between core and the payload models)."""

import logging

import numpy as np

from iris_common.contract.preprocess import ImageSize, Operation, ProcessedPage, ProcessOptions, ProcessResult, QualityMeasures
from iris_common.errors import ImageProcessingFailed, IrisError
from iris_common.io.images import DecodedDocument, encode_png_base64

from image_processor.core.orientation import ReadConfidence
from image_processor.core.pipeline import PageResult, process_page
from image_processor.settings import ImageProcessorSettings

logger = logging.getLogger(__name__)


def to_payload(index: int, page: PageResult) -> ProcessedPage:
    h, w = page.image.shape[:2]
    return ProcessedPage(
        page_index=index,
        image_base64=encode_png_base64(page.image),
        original_size=ImageSize(width=page.original_size[0], height=page.original_size[1]),
        processed_size=ImageSize(width=w, height=h),
        skew_angle=page.skew.angle,
        skew_confidence=page.skew.confidence,
        deskewed=page.deskewed,
        outline_found=page.outline is not None,
        outline_corners=np.round(page.outline.corners, 2).tolist() if page.outline is not None else None,
        unwarped=page.unwarped,
        orientation_turns_ccw=next((int(s.params["quarter_turns_ccw"]) for s in page.steps if s.name == "orient"), 0),
        operations=[Operation(name=s.name, reason=s.reason, params=s.params) for s in page.steps],
        notes=page.notes,
        quality_before=QualityMeasures(**page.quality_before.as_dict()),
        quality_after=QualityMeasures(**page.quality_after.as_dict()),
        transform=[[float(v) for v in row] for row in page.transform],
        processing_time=round(page.seconds, 4),
    )


def process_document(
    document: DecodedDocument,
    options: ProcessOptions,
    settings: ImageProcessorSettings,
    read_lines: ReadConfidence | None = None,
) -> tuple[ProcessResult, list[str]]:
    """Process the decoded pages; an unexpected OpenCV failure becomes IP001 (retryable) naming the page."""
    config = settings.pipeline_config(apply_unwarping=options.apply_unwarping, enhance_quality=options.enhance_quality)
    out: list[ProcessedPage] = []
    warnings: list[str] = []
    for index, image in enumerate(document.pages, start=document.first_page):
        try:
            result = process_page(image, config, read_lines)
        except IrisError:
            raise
        except Exception as exc:
            logger.exception("page %d failed", index)
            raise ImageProcessingFailed(
                f"processing page {index + 1} failed: {type(exc).__name__}: {exc}", details={"page_index": index}
            ) from exc
        if result.outline is not None and not options.apply_unwarping:
            warnings.append(f"page {index + 1}: a page outline was found but not flattened (apply_unwarping=false)")
        if result.skew.confidence < config.min_skew_confidence:
            warnings.append(f"page {index + 1}: no clear text lines; skew not corrected")
        out.append(to_payload(index, result))
    return ProcessResult(source_format=document.format, page_count=document.page_count, options=options, pages=out), warnings
