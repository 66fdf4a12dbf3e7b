"""Phase 2 for a batch: ml-embeddings /cluster over the embeddings of every document of the batch."""

from typing import Any

from prefect import get_run_logger, task

from iris_flows.client import call_phase
from iris_flows.policies import phase_options

SERVICE = "ml-embeddings"


@task(name="cluster", **phase_options(SERVICE))
async def cluster(embeddings: list[list[float]], k: int | None, *, phase_key: str, request_id: str,
                  describe: dict[str, list[Any]] | None = None) -> dict[str, Any]:
    """`describe` may hold `names`, `types`, `confidences` (one per embedding) for the cluster descriptions.
    Cached under `phase_key` (the vectors, k, the descriptions and the service's models): a batch run again over
    the same documents does not cluster them again."""
    get_run_logger().info("clustering %d documents (k=%s) request_id=%s", len(embeddings), k or "auto", request_id)
    return await call_phase(SERVICE, "/cluster", request_id=request_id, json_body={"embeddings": embeddings, "k": k, **(describe or {})})
