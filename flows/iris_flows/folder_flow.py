"""`process_folder`: the nightly batch. Every file found ends as succeeded, failed or skipped: the ledger checks it.

Documents without a current result run in chunks of EMBED_BATCH_SIZE: phase 1 runs ahead for a chunk, its pages
are embedded with ONE /embed request (`embed_batching`), then each document's phase tasks run in this flow run
(`run_document`, what a `process_document` run does) with its vector, while the next chunk is looked ahead.
EMBED_BATCH_SIZE=0 (or `embed_batch_size=0`) embeds per document. `concurrency` bounds the documents in flight,
and the look-ahead's phase-1 calls apart from them (a document's own phase 1 is then a cache hit, so
image-processor still sees at most that many).
"""

import asyncio
import hashlib
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from prefect import flow, get_run_logger
from prefect.artifacts import (
    acreate_markdown_artifact,
    acreate_progress_artifact,
    acreate_table_artifact,
    aupdate_progress_artifact,
)
from prefect.utilities.annotations import quote

from iris_common.settings import ClientSettings
from iris_flows.batch_summary import FIELDS_CSV, Manifest, digest_markdown, read_manifest, write_fields_csv
from iris_flows.client import iris_client
from iris_flows.chunk_flow import CLAIMED, Settled, pending_or_skipped, run_chunk, unaccounted
from iris_flows.embed_batching import Pending, chunks
from iris_flows.fanout import FanOut
from iris_flows.naming import named_after
from iris_flows.outputs import find_documents, stored_embedding
from iris_flows.policies import flow_options, phase_key
from iris_flows.settings import LOCAL, BatchSettings
from iris_flows.tasks import cluster

ProgressListener = Callable[[int, int, str, str], None]
_listeners: list[ProgressListener] = []

# One chunk's pages are preprocessed and embedded while the previous chunk's documents run;
# also bounds the processed pages held in memory to two chunks.
CHUNKS_IN_FLIGHT = 2
PROGRESS_INTERVAL_SECONDS = 1.0


def add_progress_listener(listener: ProgressListener) -> None:
    """In-process observers (the CLI's progress bar) called as (done, total, file, outcome)."""
    _listeners.append(listener)


# every file found ends as one of these; rejected: not read at all (outputs.find_documents)
OUTCOMES = ("succeeded", "failed", "skipped", "rejected")


class LedgerMismatch(RuntimeError):
    pass


@flow(name="process-folder", flow_run_name=named_after("batch", "input_dir"), **flow_options())
async def process_folder(
    input_dir: str,
    output_dir: str,
    pattern: str = "**/*",
    concurrency: int | None = None,
    quarantine_dir: str | None = None,
    cluster_k: int | None = None,
    apply_unwarping: bool = True,
    enhance_quality: bool = True,
    confidence_threshold: float = 0.5,
    embed_batch_size: int | None = None,
    full_results: bool = False,
    dispatch: str | None = None,
    documents_per_run: int | None = None,
) -> dict[str, Any]:
    """`embed_batch_size`: pages per /embed request (None: EMBED_BATCH_SIZE, default 16; 0: one per document).
    `concurrency`: documents in flight (None: IRIS_CONCURRENCY, default two per core; the services bound their own
    computations at once: iris_common.threads).
    `full_results`: each result JSON also holds the page's embedding and the OCR lines of every page (by default
    they are left out: the vector goes to a hidden side file beside the result, the lines are not kept).
    `dispatch`: "local" (None: IRIS_DISPATCH, default local) runs the documents' tasks in this flow run;
    "<flow>/<deployment>" fans them out, `documents_per_run` (None: IRIS_DOCUMENTS_PER_RUN) per flow run of that
    deployment, to its work pool (`fanout`)."""
    logger = get_run_logger()
    source, out = Path(input_dir), Path(output_dir)
    if not source.is_dir():
        raise FileNotFoundError(f"input folder {source} does not exist")
    quarantine = Path(quarantine_dir) if quarantine_dir else out / "_quarantine"
    settings = ClientSettings()
    batch_size = settings.embed_batch_size if embed_batch_size is None else embed_batch_size
    concurrency = settings.concurrency if concurrency is None else concurrency
    batch = BatchSettings()
    found = find_documents(source, pattern, follow_symlinks=batch.follow_symlinks)
    documents = found.documents
    total = len(documents) + len(found.rejected)
    logger.info("found %d documents under %s (pattern %s), concurrency %d, embed batch size %d", total, source, pattern,
                concurrency, batch_size)
    progress_id = await acreate_progress_artifact(progress=0.0, key="batch-progress", description=f"{source}: {total} documents")
    options = {"apply_unwarping": apply_unwarping, "enhance_quality": enhance_quality, "confidence_threshold": confidence_threshold,
               "full": full_results}
    gate, lanes = asyncio.Semaphore(max(1, concurrency)), asyncio.Semaphore(max(1, concurrency))
    in_flight = asyncio.Semaphore(CHUNKS_IN_FLIGHT)
    outcomes: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []  # only these stay in memory: a settled document's record goes to the manifest

    last_progress = [0.0]
    manifest = Manifest(out)

    async def settle(document: Path, outcome: str, record: dict[str, Any]) -> None:
        outcomes[outcome] += 1
        manifest.add(outcome, record)
        if outcome == "failed":  # rejected files are listed apart (found.rejected)
            failures.append(record["error"] | {"file": record["file"]})
        done = sum(outcomes.values())
        logger.info("progress %d/%d: %s %s", done, total, document.name, outcome)
        # one API call per PROGRESS_INTERVAL_SECONDS, not per document (a re-run skips hundreds a second)
        if done == total or time.monotonic() - last_progress[0] >= PROGRESS_INTERVAL_SECONDS:
            last_progress[0] = time.monotonic()
            await aupdate_progress_artifact(progress_id, progress=100.0 * done / max(total, 1))
        for listener in _listeners:
            listener(done, total, str(document), outcome)

    async def settle_all(done: list[Settled]) -> None:
        for item in done:
            await settle(item.document, item.outcome, item.record)

    async def settle_unless_claimed(done: Settled) -> None:
        if done.outcome != CLAIMED:
            await settle(done.document, done.outcome, done.record)

    async def run_here(chunk: list[Pending]) -> None:
        async with in_flight:
            done = await run_chunk(chunk, source, out, quarantine, options, gate, lanes, embed_together=bool(batch_size),
                                   on_settled=settle_unless_claimed)
        if claimed := [item for item, d in zip(chunk, done, strict=True) if d.outcome == CLAIMED]:
            await settle_all(await fan_out.settle_claimed(claimed))  # another live run holds them: wait for its output

    dispatch = dispatch or batch.dispatch
    fan_out = FanOut(dispatch if dispatch != LOCAL else "", batch.document_runs_limit, input_dir=source, output_dir=out,
                     quarantine_dir=quarantine, poll_seconds=batch.run_poll_seconds, claim_wait_seconds=batch.claim_wait_seconds,
                     run_timeout_seconds=batch.run_timeout_seconds,
                     parameters={"input_dir": str(source), "output_dir": str(out), "quarantine_dir": str(quarantine),
                                 "concurrency": concurrency, "embed_together": bool(batch_size), "apply_unwarping": apply_unwarping,
                                 "enhance_quality": enhance_quality, "confidence_threshold": confidence_threshold,
                                 "full_results": full_results})
    if dispatch != LOCAL:
        await fan_out.check()
    slots = asyncio.Semaphore(fan_out.slots)

    async def run_there(chunk: list[Pending], label: str) -> None:
        async with slots:
            done = await fan_out.dispatch(chunk, label)
        await settle_all(done)

    with manifest:
        for path, reason in found.rejected:
            logger.warning("rejected %s: %s", path, reason)
            await settle(path, "rejected", {"file": str(path), "error": {"phase": "find", "code": "VAL001", "message": reason}})
        pending: list[Pending] = []
        for document in documents:
            try:
                checked = pending_or_skipped(document, source, out)
            except Exception as exc:
                checked = unaccounted(document, exc)
            if isinstance(checked, Pending):
                pending.append(checked)
            else:
                await settle(document, checked.outcome, checked.record)
        if dispatch == LOCAL:
            batches = chunks(pending, batch_size, first=concurrency) if batch_size else [pending]
            await asyncio.gather(*(run_here(chunk) for chunk in batches))
        else:
            per_run = documents_per_run or batch.documents_per_run
            batches = [pending[i:i + per_run] for i in range(0, len(pending), per_run)]
            logger.info("fanning %d documents out to %s: %d flow runs of up to %d, at most %d at once (limit %s)",
                        len(pending), dispatch, len(batches), per_run, fan_out.slots, batch.document_runs_limit)
            await asyncio.gather(*(run_there(chunk, f"{source.name}-{i + 1:05d}") for i, chunk in enumerate(batches)))
    fields_csv = write_fields_csv(manifest.path, manifest.dir / FIELDS_CSV)
    await acreate_markdown_artifact(markdown=digest_markdown(manifest.path), key="batch-summary",
                                    description=f"documents per type, failures by phase and code, slowest documents; {fields_csv}")

    try:
        clusters = await _cluster_batch(manifest.path, cluster_k, batch.cluster_sample)
    except Exception:  # the ledger and the files are what the batch is for; its clusters are a description
        logger.exception("the batch's clustering failed: no clusters published")
        clusters = None
    ledger = {"found": total, **{outcome: outcomes[outcome] for outcome in OUTCOMES}}
    ledger["balanced"] = ledger["found"] == sum(outcomes[outcome] for outcome in OUTCOMES)
    await acreate_table_artifact(table=[ledger], key="batch-ledger",
                                 description="files found = succeeded + failed + skipped + rejected")
    if failures:
        await acreate_table_artifact(
            table=[{k: f.get(k) for k in ("file", "phase", "code", "request_id", "message")} for f in failures],
            key="batch-failures", description="documents written to quarantine")
    if found.rejected:
        await acreate_table_artifact(table=[{"file": str(p), "reason": r} for p, r in found.rejected], key="batch-rejected",
                                     description="files the batch refused to read")
    logger.info("ledger: %s", ledger)
    logger.info("service calls of this process: %s", iris_client().snapshot())
    if not ledger["balanced"]:
        raise LedgerMismatch(f"ledger does not balance: {ledger}")
    return {"ledger": ledger, "output_dir": str(out), "quarantine_dir": str(quarantine), "clusters": clusters,
            "failures": failures, "rejected": [{"file": str(p), "reason": r} for p, r in found.rejected],
            "manifest": str(manifest.path), "fields_csv": str(fields_csv)}


def even_sample(items: list[Any], at_most: int) -> list[Any]:
    """At most `at_most` items spread evenly over `items`, in order, the same ones every time."""
    if len(items) <= at_most:
        return items
    return [items[i * len(items) // at_most] for i in range(at_most)]


async def _cluster_batch(manifest: Path, k: int | None, sample: int) -> dict[str, Any] | None:
    """Cluster the documents with an embedding (new and skipped alike), the vectors read from their side files as
    the manifest lists them, at most `sample` of them (every n-th in file order: a 100,000-document night is
    described by an even sample rather than one request the size of the batch); publish each cluster and the
    new-type candidates. A clustering that fails is logged and left out: the documents are already written."""
    # only what the request needs per document, in file order, so that the same batch is the same request
    # (and, run again, a cache hit of the cluster task)
    rows = sorted((r["file"], r["output"], str(r.get("document_type")),
                   float(r["classify_confidence"] if r.get("classify_confidence") is not None else 1.0))
                  for r in read_manifest(manifest) if r["outcome"] in ("succeeded", "skipped") and r.get("output"))
    if len(rows) > sample:
        get_run_logger().info("clustering an even sample of %d of the batch's %d documents", sample, len(rows))
        rows = even_sample(rows, sample)
    kept = [(r, vector) for r in rows if (vector := stored_embedding(Path(r[1]))) is not None]
    if len(kept) < 2:
        return None
    vectors = np.stack([vector for _, vector in kept]).astype(np.float32)
    names = [Path(r[0]).name for r, _ in kept]
    types = [r[2] for r, _ in kept]
    confidences = [r[3] for r, _ in kept]
    describe = {"names": names, "types": types, "confidences": confidences}
    info = await iris_client().info("ml-embeddings")
    key = phase_key(hashlib.sha256(vectors.tobytes()).hexdigest(), "cluster", {"k": k, "describe": describe},
                    info.get("models") if info else {"unreachable": uuid.uuid4().hex})
    outcome = await cluster(quote(vectors.tolist()), k, phase_key=key, request_id=f"iris-batch-{uuid.uuid4().hex[:12]}",
                            describe=describe)
    data = outcome["data"]
    labels = data["labels"]
    rows = [{"cluster": c["cluster"], "size": c["size"], "majority_type": c["majority_type"], "types": c["types"],
             "examples": ", ".join(c["examples"]), "mean_distance": c["mean_distance"]} for c in data.get("clusters", [])]
    candidates = [{"file": c["name"], "cluster": c["cluster"], "distance": c["distance"], "reasons": "; ".join(c["reasons"])}
                  for c in data.get("new_type_candidates", [])]
    await acreate_table_artifact(table=rows, key="batch-clusters",
                                 description="clusters of the batch's page embeddings: size, members nearest the centre, majority type")
    if candidates:
        await acreate_table_artifact(table=candidates, key="batch-new-type-candidates",
                                     description="documents far from every cluster centre, alone, or classified with low confidence")
    await acreate_markdown_artifact(
        markdown=(f"k = {data['k']}, quality ({data.get('quality_metric')}) = {data.get('quality')}, "
                  f"{len(candidates)} new-type candidate(s), outlier distance threshold {data.get('distance_threshold')}"),
        key="batch-cluster-quality")
    return {"k": data["k"], "quality": data.get("quality"), "clusters": rows, "new_type_candidates": candidates,
            "labels": {name: label for name, label in zip(names, labels)}}
