"""How `process_folder` embeds a chunk of documents with ONE /embed request instead of one per document.

Phase 1 runs ahead for the chunk (the same `preprocess` task under the key `run_document` computes, so each
document's own phase 1 is then a Prefect cache hit), the processed pages go to ml-embeddings together, and each
document gets its vector to hand to its `run_document`. Anything that does not work out here
(a look-ahead failure, a batch the service rejects) only means fewer vectors: those documents run
`run_document` the ordinary way, which records their failures (phase, code, request id) exactly as before,
and one bad page cannot fail the others in its batch.
"""

import asyncio
import hashlib
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import get_run_logger

from iris_flows.document_flow import model_keys, preprocess_key, processed_page_png
from iris_flows.policies import lookahead_options
from iris_flows.results import BatchedEmbedding
from iris_flows.tasks import embed_batch, preprocess

# the same task (same source, so the same cache entries) with the look-ahead's single attempt, named apart so that a
# failed look-ahead (its document then retries phase 1 on its own) is not read as the document's failed phase
_preprocess_ahead_task = preprocess.with_options(task_run_name="lookahead-preprocess-{filename}-p{page}", **lookahead_options())


@dataclass(frozen=True)
class Pending:
    """A found document without a current result: its phases run (`run_document`) under `request_id`."""

    document: Path
    sha: str
    target: Path
    request_id: str


def chunks(items: list[Pending], size: int, first: int) -> list[list[Pending]]:
    """`first` documents, then `size` at a time. A short first chunk lets the first documents start after a few
    look-aheads instead of a whole batch of them; later chunks are looked ahead while earlier ones run."""
    starts = [0, *range(max(1, min(first, size)), len(items), size)]
    return [items[a:b] for a, b in zip(starts, [*starts[1:], len(items)], strict=True) if b > a]


async def embed_chunk(chunk: list[Pending], options: dict[str, Any], lanes: asyncio.Semaphore) -> dict[Path, BatchedEmbedding]:
    """Vectors of the chunk's documents by path; a document left out embeds its own page. `lanes` bounds
    the look-ahead's phase-1 calls (apart from the documents' bound, so it overlaps them)."""
    models = await model_keys()
    pages = await asyncio.gather(*(_preprocess_ahead(item, options, models, lanes) for item in chunk))
    ready = [(item, page) for item, page in zip(chunk, pages, strict=True) if page is not None]
    return await _embed_together(ready) if ready else {}


async def _preprocess_ahead(item: Pending, options: dict[str, Any], models: dict[str, Any], lanes: asyncio.Semaphore) -> bytes | None:
    """The processed page, or None when phase 1 did not succeed at the first attempt (see `lookahead_options`)."""
    document = item.document.read_bytes()
    if hashlib.sha256(document).hexdigest() != item.sha:
        return None  # changed since it was found: its own run reads and hashes it again
    key = preprocess_key(item.sha, options["apply_unwarping"], options["enhance_quality"], models)
    async with lanes:
        state = await _preprocess_ahead_task(
            document, item.document.name, options["apply_unwarping"], options["enhance_quality"], phase_key=key,
            request_id=item.request_id, return_state=True)
    if not state.is_completed():
        return None
    return processed_page_png((await state.aresult())["data"])


async def _embed_together(ready: list[tuple[Pending, bytes]]) -> dict[Path, BatchedEmbedding]:
    logger = get_run_logger()
    request_id = f"iris-batch-{uuid.uuid4().hex[:12]}"
    logger.info("embed batch request_id=%s: %s", request_id, ", ".join(f"{i.document.name} ({i.request_id})" for i, _ in ready))
    label = f"{ready[0][0].document.name}+{len(ready) - 1}"
    started = time.perf_counter()
    state = await embed_batch([(item.document.name, page) for item, page in ready], label, request_id=request_id, return_state=True)
    seconds = time.perf_counter() - started
    if not state.is_completed():
        error = await state.aresult(raise_on_failure=False)
        logger.warning("embed batch request_id=%s failed (%s): its %d documents embed one by one", request_id, error, len(ready))
        return {}
    output = await state.aresult()
    data = output["data"]
    if len(data["items"]) != len(ready):
        logger.warning("embed batch request_id=%s: %d vectors for %d pages; they embed one by one", request_id,
                       len(data["items"]), len(ready))
        return {}
    n, service = len(ready), output.get("processing_time")
    return {item.document: BatchedEmbedding(
        content_sha256=item.sha, embedding=vec["embedding"], backend=data["backend"], model_id=data["model_id"],
        dimension=data["dimension"], batch_size=n, batch_request_id=request_id, seconds=round(seconds / n, 4),
        service_seconds=None if service is None else round(service / n, 4),
    ) for (item, _), vec in zip(ready, data["items"], strict=True)}
