"""Phase 6: ocr-extractor /extract_json: per-type field extraction to JSON, from phase 5's OCR when given."""

import json
from typing import Any

from prefect import get_run_logger, task

from iris_flows.client import call_phase
from iris_flows.policies import phase_options

SERVICE = "ocr-extractor"


@task(name="extract", task_run_name="extract-{filename}", **phase_options(SERVICE))
async def extract(
    page_png: bytes, filename: str, document_type: str, confidence_threshold: float, *, phase_key: str, request_id: str,
    source_transform: list[list[float]] | None = None, ocr: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`source_transform` is phase 1's original -> processed matrix of the page: with it, every box comes back
    in the coordinates of the uploaded scan. `ocr` is phase 5's result for this page: the service reuses it
    instead of reading the page again (without it, it reads the page itself)."""
    logger = get_run_logger()
    logger.info("phase 6 extract %s as %s request_id=%s", filename, document_type, request_id)
    data = {"document_type": document_type, "confidence_threshold": str(confidence_threshold)}
    if source_transform is not None:
        data["source_transform"] = json.dumps(source_transform)
    if ocr is not None:
        data["ocr"] = json.dumps(ocr)
    return await call_phase(SERVICE, "/extract_json", request_id=request_id,
        files={"file": (f"{filename}.png", page_png, "image/png")}, data=data,
    )
