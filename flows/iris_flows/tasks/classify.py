"""Phases 3-4: ml-classifier on the page's embedding and its words (no second image upload, no second encoding)."""

from typing import Any

from prefect import get_run_logger, task

from iris_flows.client import call_phase
from iris_flows.policies import phase_options

SERVICE = "ml-classifier"


@task(name="classify", task_run_name="classify-{filename}", **phase_options(SERVICE))
async def classify(embedding: list[float], filename: str, *, phase_key: str, request_id: str, text: str | None = None) -> dict[str, Any]:
    """`text`: the page's OCR text (phase 5); a classifier that reads text then uses the words too."""
    logger = get_run_logger()
    logger.info("phase 3-4 classify %s request_id=%s", filename, request_id)
    result = await call_phase(SERVICE, "/classify", request_id=request_id, json_body={"embedding": embedding, "text": text})
    data = result["data"]
    logger.info("classified %s as %s (confidence %.2f, %s)", filename, data["predicted_class"], data["confidence"],
                "image + text" if data.get("used_text") else "image only")
    return result
