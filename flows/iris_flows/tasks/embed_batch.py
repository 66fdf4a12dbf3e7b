"""Phase 2 for several documents at once: ONE ml-embeddings /embed request carrying their pages as `files`."""

from typing import Any

from prefect import get_run_logger, task

from iris_flows.client import call_phase
from iris_flows.policies import phase_options

SERVICE = "ml-embeddings"


# Not cached: which pages share a batch changes from run to run; each document's later phases are cached as usual.
@task(name="embed-batch", task_run_name="embed-batch-{label}", **{**phase_options(SERVICE), "cache_policy": None, "persist_result": False})
async def embed_batch(pages: list[tuple[str, bytes]], label: str, *, request_id: str) -> dict[str, Any]:
    """`pages` are (name, PNG) pairs, one processed page per document; the response's `items` follow their order.
    One round trip and one batched encoder pass instead of one per page (figures: docs/classification.md)."""
    get_run_logger().info("phase 2 embed %d pages in one request (%s) request_id=%s", len(pages), label, request_id)
    return await call_phase(SERVICE, "/embed", request_id=request_id,
                            files=[("files", (f"{name}.png", png, "image/png")) for name, png in pages])
