"""Phase 2: ml-embeddings /embed of the processed page."""

from typing import Any

from prefect import get_run_logger, task

from iris_flows.client import call_phase
from iris_flows.policies import phase_options

SERVICE = "ml-embeddings"


@task(name="embed", task_run_name="embed-{filename}", **phase_options(SERVICE))
async def embed(page_png: bytes, filename: str, *, phase_key: str, request_id: str) -> dict[str, Any]:
    logger = get_run_logger()
    logger.info("phase 2 embed %s request_id=%s", filename, request_id)
    return await call_phase(SERVICE, "/embed", request_id=request_id,
        files={"file": (f"{filename}.png", page_png, "image/png")})
