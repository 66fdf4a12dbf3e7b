"""Phase 5: ocr-extractor /ocr of the processed page. Read before classifying: the classifier uses the words,
and extraction (phase 6) reuses this result instead of reading the page again."""

from typing import Any

from prefect import get_run_logger, task

from iris_flows.client import call_phase
from iris_flows.policies import phase_options

SERVICE = "ocr-extractor"


@task(name="ocr", task_run_name="ocr-{filename}-p{page}", **phase_options(SERVICE))
async def ocr(page_png: bytes, filename: str, *, phase_key: str, request_id: str, page: int = 0) -> dict[str, Any]:
    """One processed page (the document's page `page`), read on its own."""
    logger = get_run_logger()
    logger.info("phase 5 ocr %s page %d request_id=%s", filename, page, request_id)
    result = await call_phase(SERVICE, "/ocr", request_id=request_id, files={"file": (f"{filename}.png", page_png, "image/png")})
    read = result["data"]["ocr"]
    logger.info("read %d lines of %s (%s, mean confidence %.2f)", len(read["lines"]), filename, read["language"], read["mean_confidence"])
    return result
