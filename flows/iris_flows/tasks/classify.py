"""Phases 3-4: ml-classifier on the page's embedding (no second image upload, no second encoding)."""

from typing import Any

from prefect import get_run_logger, task

from iris_flows.client import call_phase
from iris_flows.policies import phase_options

SERVICE = "ml-classifier"


@task(name="classify", task_run_name="classify-{filename}", **phase_options(SERVICE))
async def classify(embedding: list[float], filename: str, *, phase_key: str, request_id: str) -> dict[str, Any]:
    logger = get_run_logger()
    logger.info("phase 3-4 classify %s request_id=%s", filename, request_id)
    result = await call_phase(SERVICE, "/classify", request_id=request_id, json_body={"embedding": embedding})
    logger.info("classified %s as %s (confidence %.2f)", filename, result["data"]["predicted_class"], result["data"]["confidence"])
    return result
