"""Phase 1: image-processor /process (deskew, orientation, unwarping, denoise/contrast)."""

from typing import Any

from prefect import get_run_logger, task

from iris_flows.client import call_phase
from iris_flows.policies import phase_options

SERVICE = "image-processor"


@task(name="preprocess", task_run_name="preprocess-{filename}-p{page}", **phase_options(SERVICE))
async def preprocess(
    document: bytes, filename: str, apply_unwarping: bool, enhance_quality: bool, *, phase_key: str, request_id: str, page: int = 0
) -> dict[str, Any]:
    """Page `page` (0-based) of the document, processed; `data.page_count` says how many pages it has. One page
    per call: a long PDF never comes back as one response holding every page's PNG."""
    logger = get_run_logger()
    logger.info("phase 1 preprocess %s page %d (%d bytes) request_id=%s", filename, page, len(document), request_id)
    return await call_phase(SERVICE, "/process", request_id=request_id,
        files={"file": (filename, document)},
        data={"apply_unwarping": str(apply_unwarping).lower(), "enhance_quality": str(enhance_quality).lower(), "page": str(page)},
    )
