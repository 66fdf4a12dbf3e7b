"""`process_document`: one document through the four phases, one Prefect task per phase."""

import asyncio
import base64
import hashlib
import time
import uuid
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.context import get_run_context
from prefect.states import State

from iris_common.client import ServiceCallError
from iris_common.settings import SERVICE_NAMES
from iris_flows.client import iris_client
from iris_flows.naming import named_after
from iris_flows.policies import flow_options, phase_key
from iris_flows.results import BatchedEmbedding, PhaseRecord, PipelineResult, fields_table, summarise, timings_table
from iris_flows.tasks import classify, embed, extract, ocr, preprocess


class PhaseFailed(RuntimeError):
    """Raised by the flow so the run's message names the phase, the IRIS error code and the request id."""

    def __init__(self, phase: str, error: BaseException, request_id: str) -> None:
        code = error.code.value if isinstance(error, ServiceCallError) else ("TIMEOUT" if isinstance(error, TimeoutError) else "GEN001")
        message = error.message if isinstance(error, ServiceCallError) else str(error)
        self.phase, self.code, self.request_id = phase, code, request_id
        self.details = error.details if isinstance(error, ServiceCallError) else {}
        super().__init__(f"phase '{phase}' failed with {code}: {message} (request_id={request_id})")


async def model_keys() -> dict[str, Any]:
    """What each service has loaded; part of every cache key, so a new model version is a cache miss.
    A service we cannot ask gets a unique key: no stale cache hit, and its phase task reports the real error."""
    infos = await asyncio.gather(*(iris_client().info(name) for name in SERVICE_NAMES))
    return {name: (info.get("models") if info else f"unreachable-{uuid.uuid4()}") for name, info in zip(SERVICE_NAMES, infos)}


async def _run_phase(name: str, call: Any, phases: dict[str, PhaseRecord], request_id: str) -> dict[str, Any]:
    """Run one phase task, record it, and turn its failure into PhaseFailed."""
    started = time.perf_counter()
    state: State[Any] = await call
    elapsed = time.perf_counter() - started
    if not state.is_completed():
        error = await state.aresult(raise_on_failure=False)
        if not isinstance(error, BaseException):
            error = RuntimeError(state.message or f"{name} ended {state.name}")
        record_error = {"code": getattr(error, "code", None), "message": str(error)}
        if isinstance(error, ServiceCallError):
            record_error = {"code": error.code.value, "message": error.message, "details": error.details, "retryable": error.retryable}
        phases[name] = PhaseRecord(status="failed", processing_time=elapsed, error=record_error)
        raise PhaseFailed(name, error, request_id)
    output = await state.aresult()
    phases[name] = PhaseRecord(status="cached" if state.name == "Cached" else "completed", processing_time=elapsed,
                               service_time=output.get("processing_time"), result=output["data"])
    return output["data"]


def new_request_id(sha: str) -> str:
    """One X-Request-ID per document run: the content hash prefix finds the document, the suffix the run."""
    return f"iris-{sha[:12]}-{uuid.uuid4().hex[:8]}"


def preprocess_key(sha: str, apply_unwarping: bool, enhance_quality: bool, models: dict[str, Any]) -> str:
    """Phase 1's cache key, the root of every later phase's key; `process_folder` runs phase 1 ahead under it."""
    return phase_key(sha, "preprocess", {"unwarp": apply_unwarping, "enhance": enhance_quality}, models["image-processor"])


def processed_page_png(preprocess_data: dict[str, Any]) -> bytes:
    """The first processed page as PNG bytes: what phases 2-6 work on."""
    return base64.b64decode(preprocess_data["pages"][0]["image_base64"])


def _without_images(preprocess_data: dict[str, Any]) -> dict[str, Any]:
    """Phase-1 record for the result JSON: everything but the (large) image payloads."""
    pages = [{k: v for k, v in page.items() if k != "image_base64"} for page in preprocess_data.get("pages", [])]
    return {**preprocess_data, "pages": pages}


@flow(name="process-document", flow_run_name=named_after("document", "path"), **flow_options())
async def process_document(
    path: str,
    apply_unwarping: bool = True,
    enhance_quality: bool = True,
    confidence_threshold: float = 0.5,
    document_type: str | None = None,
    publish_artifacts: bool = True,
    request_id: str | None = None,
    embedding: BatchedEmbedding | None = None,
) -> dict[str, Any]:
    """Scan -> preprocess -> embed -> ocr -> classify -> extract. The page is read (phase 5) before it is
    classified: the classifier uses its words, and extraction (phase 6) reuses the same OCR result.
    `document_type` skips the classifier's decision only for extraction (the classifier still runs and its
    answer is recorded).

    `request_id` and `embedding` are set by `process_folder`: the X-Request-ID its phase-1 look-ahead used for
    this document, and the page's vector from a batch /embed call (this run then makes no /embed call of its
    own and records the batch). Run alone, leave both unset."""
    logger = get_run_logger()
    source = Path(path)
    document = source.read_bytes()
    sha = hashlib.sha256(document).hexdigest()
    request_id = request_id or new_request_id(sha)
    started = time.perf_counter()
    logger.info("document %s sha256=%s request_id=%s", source, sha[:16], request_id)
    models = await model_keys()
    phases: dict[str, PhaseRecord] = {}
    name = source.name

    key1 = preprocess_key(sha, apply_unwarping, enhance_quality, models)
    pre = await _run_phase("preprocess", preprocess(document, name, apply_unwarping, enhance_quality, phase_key=key1,
                                                    request_id=request_id, return_state=True), phases, request_id)
    page_png = processed_page_png(pre)
    phases["preprocess"].result = _without_images(pre)

    key2 = phase_key(key1, "embed", {}, models["ml-embeddings"])
    if embedding is not None and embedding.content_sha256 != sha:
        logger.warning("the batch embedded another version of %s: embedding it again request_id=%s", name, request_id)
        embedding = None
    if embedding is None:
        vector = await _embed_phase(page_png, name, key2, phases, request_id)
    else:
        phases["embed"] = embedding.record()
        vector = embedding.embedding
        logger.info("phase 2 embed %s: done in a batch of %d, request_id=%s", name, embedding.batch_size, embedding.batch_request_id)

    key_ocr = phase_key(key1, "ocr", {}, models["ocr-extractor"])
    read = await _run_phase("ocr", ocr(page_png, name, phase_key=key_ocr, request_id=request_id, return_state=True), phases, request_id)
    phases["ocr"].result = _ocr_summary(read)  # the lines themselves are in the extract phase, on the original scan

    key3 = phase_key(key2, "classify", {"text": key_ocr}, models["ml-classifier"])
    cls = await _run_phase("classify", classify(vector, name, phase_key=key3, request_id=request_id, text=read["ocr"]["text"],
                                                return_state=True), phases, request_id)
    doc_type = document_type or cls["predicted_class"]

    key4 = phase_key(key_ocr, "extract", {"type": doc_type, "threshold": confidence_threshold}, models["ocr-extractor"])
    ext = await _run_phase("extract", extract(page_png, name, doc_type, confidence_threshold, phase_key=key4,
                                              request_id=request_id, source_transform=pre["pages"][0].get("transform"),
                                              ocr=read["ocr"], return_state=True), phases, request_id)

    result = PipelineResult(
        pipeline_id=str(get_run_context().flow_run.id),  # type: ignore[union-attr]
        source=str(source),
        content_sha256=sha,
        request_id=request_id,
        phases=phases,
        document_type=doc_type,
        final_extraction=ext.get("structured_document"),
        total_processing_time=round(time.perf_counter() - started, 4),
        pipeline_summary=summarise(phases),
    )
    logger.info("document %s done as %s in %.2fs (bottleneck: %s) request_id=%s", name, doc_type,
                result.total_processing_time, result.pipeline_summary.bottleneck_phase, request_id)
    logger.debug("service calls of this process: %s", iris_client().snapshot())
    if publish_artifacts:
        await _publish(result)
    return result.model_dump(mode="json")


def _ocr_summary(read: dict[str, Any]) -> dict[str, Any]:
    """Phase-5 record for the result JSON: what was read, not the lines again."""
    found = read["ocr"]
    return {"engine": found["engine"], "language": found["language"], "mean_confidence": found["mean_confidence"],
            "lines": len(found["lines"]), "characters": len(found["text"]), "timings": read.get("timings", {})}


async def _embed_phase(page_png: bytes, name: str, key: str, phases: dict[str, PhaseRecord], request_id: str) -> list[float]:
    """Phase 2 with a call of its own; returns the page's vector."""
    emb = await _run_phase("embed", embed(page_png, name, phase_key=key, request_id=request_id, return_state=True), phases, request_id)
    vector: list[float] = emb["items"][0]["embedding"]
    # the vector stays in the result: the batch flow clusters it, also for documents skipped on a later run
    phases["embed"].result = {k: v for k, v in emb.items() if k != "items"} | {"embedding": vector}
    return vector


async def _publish(result: PipelineResult) -> None:
    rows = fields_table(result.final_extraction)
    lines = [f"### {Path(result.source).name}: {result.document_type}", "",
             f"request id `{result.request_id}`, {result.total_processing_time:.2f} s", "",
             "| field | value | confidence | needs review |", "|---|---|---|---|"]
    lines += [f"| {r['field']} | {r['value'].replace('|', '/')} | {r['confidence']:.2f} | {'yes' if r['needs_review'] else ''} |" for r in rows]
    await acreate_markdown_artifact(markdown="\n".join(lines), key="extracted-fields", description="Fields extracted from the document")
    await acreate_table_artifact(table=timings_table(result.phases), key="phase-timings", description="Seconds per phase")
