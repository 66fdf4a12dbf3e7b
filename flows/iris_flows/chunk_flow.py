"""`process_documents`: a chunk of a batch's documents in one flow run, writing each one's result or quarantine
record itself. The unit of work a batch fans out to a work pool (`fanout`), and what the in-process batch runs for
each chunk too (`run_chunk`), so both write the same files the same way.

Each document is claimed by content hash before its phases start (`claims`): two runs never process the same
content at once, and a run that finds the result already written skips it.
"""

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.context import get_run_context

from iris_flows.claims import Claim, claim
from iris_flows.document_flow import PhaseFailed, new_request_id, run_document
from iris_flows.embed_batching import Pending, embed_chunk
from iris_flows.outputs import (
    embedding_path,
    existing_result,
    output_path,
    quarantine_path,
    write_embedding,
    write_json_atomically,
    write_result,
)
from iris_flows.policies import flow_options
from iris_flows.results import PIPELINE_VERSION, BatchedEmbedding, embedding_of, for_output

# outcome of a document another live run holds: the caller waits for that run's output (`fanout.wait_for_claims`)
CLAIMED = "claimed"


@dataclass(frozen=True)
class Settled:
    """A document's outcome (succeeded / failed / skipped, or CLAIMED) and its record for the manifest."""

    document: Path
    outcome: str
    record: dict[str, Any]


def pending_or_skipped(document: Path, input_dir: Path, output_dir: Path) -> Settled | Pending:
    """Settled as skipped when the output already holds this content's result for this pipeline version."""
    target = output_path(output_dir, input_dir, document)
    sha = hashlib.sha256(document.read_bytes()).hexdigest()
    if (previous := existing_result(target, sha, PIPELINE_VERSION)) is not None:
        if (vector := embedding_of(previous)) is not None and not embedding_path(target).is_file():
            write_embedding(target, vector)  # a result written with its vector inside (--full, or before side files)
        return Settled(document, "skipped", {"file": str(document), "output": str(target), "result": for_output(previous)})
    return Pending(document, sha, target, new_request_id(sha))


def unaccounted(document: Path, exc: BaseException) -> Settled:
    """An I/O error on one file must not lose the others, nor go unaccounted."""
    get_run_logger().exception("document %s failed outside the pipeline", document)
    return Settled(document, "failed", {"file": str(document), "error": {"code": "GEN001", "message": f"{type(exc).__name__}: {exc}"}})


def quarantine(item: Pending, input_dir: Path, quarantine_dir: Path, error: BaseException | dict[str, Any],
               flow_run_id: str) -> Settled:
    """Write the document's error record (phase, page, code, request id, the run that wrote it) to quarantine."""
    fields = error if isinstance(error, dict) else {
        "phase": getattr(error, "phase", None), "page": getattr(error, "page", None), "code": getattr(error, "code", "GEN001"),
        "request_id": getattr(error, "request_id", None), "message": str(error), "details": getattr(error, "details", {})}
    record = {"file": str(item.document), "content_sha256": item.sha, "pipeline_version": PIPELINE_VERSION,
              "flow_run_id": flow_run_id, **fields}
    target = quarantine_path(quarantine_dir, input_dir, item.document)
    write_json_atomically(target, record)
    return Settled(item.document, "failed", {"file": str(item.document), "output": str(target), "error": record})


async def process_one(item: Pending, input_dir: Path, output_dir: Path, quarantine_dir: Path, options: dict[str, Any],
                      gate: asyncio.Semaphore, embedding: BatchedEmbedding | None) -> Settled:
    """Claim the document, run its phases in this flow run, write its result (and remove an older quarantine
    record of it) or its quarantine record, release the claim."""
    flow_run_id = str(get_run_context().flow_run.id)  # type: ignore[union-attr]
    held = await claim(output_dir, item.sha, flow_run_id, str(item.document))
    if not isinstance(held, Claim):
        get_run_logger().info("document %s is being processed by flow run %s", item.document.name, held.get("flow_run_id"))
        return Settled(item.document, CLAIMED, {"file": str(item.document), "claim": held})
    try:
        if (previous := existing_result(item.target, item.sha, PIPELINE_VERSION)) is not None:  # done while we waited
            return Settled(item.document, "skipped", {"file": str(item.document), "output": str(item.target),
                                                      "result": for_output(previous)})
        try:
            async with gate:
                result = await run_document(str(item.document), publish_artifacts=False, request_id=item.request_id,
                                            embedding=embedding, **options)
        except PhaseFailed as exc:  # its task logged the service's error beside the request id
            get_run_logger().warning("document %s quarantined: %s", item.document.name, exc)
            return quarantine(item, input_dir, quarantine_dir, exc, flow_run_id)
        except Exception as exc:  # not a phase's failure (an unreadable file, a bug): recorded as GEN001
            get_run_logger().exception("document %s failed outside its phases request_id=%s", item.document.name, item.request_id)
            return quarantine(item, input_dir, quarantine_dir, exc, flow_run_id)
        written = write_result(item.target, result, full=options.get("full", False))
        quarantine_path(quarantine_dir, input_dir, item.document).unlink(missing_ok=True)
        return Settled(item.document, "succeeded", {"file": str(item.document), "output": str(item.target), "result": written})
    finally:
        held.release()


async def run_chunk(chunk: list[Pending], input_dir: Path, output_dir: Path, quarantine_dir: Path, options: dict[str, Any],
                    gate: asyncio.Semaphore, lanes: asyncio.Semaphore, embed_together: bool,
                    on_settled: Callable[[Settled], Awaitable[None]] | None = None) -> list[Settled]:
    """The chunk's pages embedded with one /embed request (when `embed_together`), then each document's phases,
    at most `gate` of them at once. Every document of the chunk comes back settled, whatever happened, and is
    handed to `on_settled` as soon as it is (the batch's progress)."""
    embeddings: dict[Path, BatchedEmbedding] = {}
    if embed_together and len(chunk) > 1:
        try:
            embeddings = await embed_chunk(chunk, options, lanes)
        except Exception:  # the documents still run, each embedding its own page
            get_run_logger().exception("embedding a chunk of %d documents together failed; they embed one by one", len(chunk))

    async def one(item: Pending) -> Settled:
        try:
            done = await process_one(item, input_dir, output_dir, quarantine_dir, options, gate, embeddings.get(item.document))
        except Exception as exc:
            done = unaccounted(item.document, exc)
        if on_settled is not None:
            await on_settled(done)
        return done

    return list(await asyncio.gather(*(one(item) for item in chunk)))


@flow(name="process-documents", flow_run_name="documents-{chunk_label}", **flow_options())
async def process_documents(
    paths: list[str],
    input_dir: str,
    output_dir: str,
    quarantine_dir: str | None = None,
    chunk_label: str = "chunk",
    concurrency: int = 2,
    embed_together: bool = True,
    apply_unwarping: bool = True,
    enhance_quality: bool = True,
    confidence_threshold: float = 0.5,
    full_results: bool = False,
) -> dict[str, int]:
    """The documents of one chunk of a batch, written under `output_dir` (`quarantine_dir`: default
    `<output_dir>/_quarantine`) exactly as `process_folder` writes them; returns the count per outcome. The batch
    that submitted the run reads each document's outcome from those files, so a run that dies loses nothing but
    time. `concurrency`: this run's documents in flight."""
    source, out = Path(input_dir), Path(output_dir)
    held_back = Path(quarantine_dir) if quarantine_dir else out / "_quarantine"
    options = {"apply_unwarping": apply_unwarping, "enhance_quality": enhance_quality,
               "confidence_threshold": confidence_threshold, "full": full_results}
    settled: list[Settled] = []
    pending: list[Pending] = []
    for path in map(Path, paths):
        try:
            checked = pending_or_skipped(path, source, out)
        except Exception as exc:
            settled.append(unaccounted(path, exc))
            continue
        (pending.append if isinstance(checked, Pending) else settled.append)(checked)  # type: ignore[arg-type]
    gate = asyncio.Semaphore(max(1, concurrency))
    settled += await run_chunk(pending, source, out, held_back, options, gate, asyncio.Semaphore(max(1, concurrency)),
                               embed_together)
    counts: dict[str, int] = {}
    for s in settled:
        counts[s.outcome] = counts.get(s.outcome, 0) + 1
    get_run_logger().info("chunk %s: %s", chunk_label, counts)
    return counts
