"""Phase 1: image-processor /process (deskew, orientation, unwarping, denoise/contrast)."""

from typing import Any

from prefect import get_run_logger, task

from iris_flows.client import call_phase
from iris_flows.policies import phase_options

SERVICE = "image-processor"


@task(name="preprocess", task_run_name="preprocess-{filename}", **phase_options(SERVICE))
async def preprocess(
    document: bytes, filename: str, apply_unwarping: bool, enhance_quality: bool, *, phase_key: str, request_id: str
) -> dict[str, Any]:
    """Returns the service's `data`: the processed page(s) and what was applied."""
    logger = get_run_logger()
    logger.info("phase 1 preprocess %s (%d bytes) request_id=%s", filename, len(document), request_id)
    return await call_phase(SERVICE, "/process", request_id=request_id,
        files={"file": (filename, document)},
        data={"apply_unwarping": str(apply_unwarping).lower(), "enhance_quality": str(enhance_quality).lower()},
    )
