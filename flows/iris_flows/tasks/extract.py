"""Phase 6: ocr-extractor /extract: per-type field extraction to JSON from phase 5's OCR of every page.

Only the OCR travels (no image): the extractor needs the words and their boxes. Without a `document_type` the
classifier's `candidates` go along and the extractor keeps the type whose schema fills best (its `routing`
record says which types were tried and why one was chosen)."""

from typing import Any

from prefect import get_run_logger, task

from iris_flows.client import call_phase
from iris_flows.policies import phase_options

SERVICE = "ocr-extractor"


@task(name="extract", task_run_name="extract-{filename}", **phase_options(SERVICE))
async def extract(
    pages: list[dict[str, Any]], filename: str, confidence_threshold: float, *, phase_key: str, request_id: str,
    document_type: str | None = None, candidates: dict[str, float] | None = None,
    source_transforms: list[list[list[float]] | None] | None = None,
) -> dict[str, Any]:
    """`pages`: the `data.ocr` of each page's /ocr call, in order. `source_transforms`: phase 1's original ->
    processed matrix of each page: with them, every box comes back in the coordinates of the uploaded scan."""
    logger = get_run_logger()
    logger.info("phase 6 extract %s (%d page(s)) as %s request_id=%s", filename, len(pages), document_type or "the best-filling candidate",
                request_id)
    body = {"pages": pages, "document_type": document_type, "candidates": candidates,
            "confidence_threshold": confidence_threshold, "source_transforms": source_transforms}
    result = await call_phase(SERVICE, "/extract", request_id=request_id, json_body=body)
    routing = result["data"]["routing"]
    logger.info("extracted %s as %s: %s", filename, routing["chosen"], routing["reason"])
    return result
