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
from prefect.utilities.annotations import quote

from iris_common.client import ServiceCallError
from iris_common.settings import SERVICE_NAMES
from iris_flows.client import iris_client
from iris_flows.naming import named_after
from iris_flows.policies import flow_options, phase_key
from iris_flows.results import BatchedEmbedding, PhaseRecord, PipelineResult, fields_table, summarise, timings_table
from iris_flows.tasks import classify, embed, extract, ocr, preprocess


class PhaseFailed(RuntimeError):
    """Raised by the flow so the run's message names the phase (and page), the IRIS error code and the request id."""

    def __init__(self, phase: str, error: BaseException, request_id: str, page: int | None = None) -> None:
        code = error.code.value if isinstance(error, ServiceCallError) else ("TIMEOUT" if isinstance(error, TimeoutError) else "GEN001")
        message = error.message if isinstance(error, ServiceCallError) else str(error)
        self.phase, self.code, self.request_id, self.page = phase, code, request_id, page
        self.details = error.details if isinstance(error, ServiceCallError) else {}
        where = f"phase '{phase}'" + (f" (page {page})" if page is not None else "")
        super().__init__(f"{where} failed with {code}: {message} (request_id={request_id})")


async def model_keys() -> dict[str, Any]:
    """What each service has loaded; part of every cache key, so a new model version is a cache miss.
    A service we cannot ask gets a unique key: no stale cache hit, and its phase task reports the real error."""
    infos = await asyncio.gather(*(iris_client().info(name) for name in SERVICE_NAMES))
    return {name: (info.get("models") if info else f"unreachable-{uuid.uuid4()}") for name, info in zip(SERVICE_NAMES, infos)}


async def _run_phase(name: str, call: Any, phases: dict[str, PhaseRecord], request_id: str, page: int | None = None
                     ) -> dict[str, Any]:
    """Run one phase task, record it (a page's record is merged into its phase's), turn its failure into PhaseFailed."""
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
        if page is not None:
            record_error["page"] = page
        phases[name] = PhaseRecord(status="failed", processing_time=elapsed + _time_of(phases.get(name)), error=record_error)
        raise PhaseFailed(name, error, request_id, page)
    output = await state.aresult()
    record = PhaseRecord(status="cached" if state.name == "Cached" else "completed", processing_time=elapsed,
                         service_time=output.get("processing_time"), result=output["data"])
    phases[name] = record if name not in phases else phases[name].merged_with(record)
    return output["data"]


def _time_of(record: PhaseRecord | None) -> float:
    return record.processing_time if record is not None else 0.0


def new_request_id(sha: str) -> str:
    """One X-Request-ID per document run: the content hash prefix finds the document, the suffix the run."""
    return f"iris-{sha[:12]}-{uuid.uuid4().hex[:8]}"


def preprocess_key(sha: str, apply_unwarping: bool, enhance_quality: bool, models: dict[str, Any], page: int = 0) -> str:
    """Phase 1's cache key for one page, the root of every later phase's key for that page; `process_folder` runs
    page 0's phase 1 ahead under it."""
    return phase_key(sha, "preprocess", {"unwarp": apply_unwarping, "enhance": enhance_quality, "page": page}, models["image-processor"])


def processed_page_png(preprocess_data: dict[str, Any]) -> bytes:
    """The processed page of a one-page /process answer as PNG bytes: what phases 2-6 work on."""
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
    full: bool = False,
) -> dict[str, Any]:
    """Scan -> preprocess -> embed -> ocr -> classify -> extract, for a document of one or more pages (PDF, TIFF),
    as a flow run of its own (`iris process`, the `process-document` deployment): see `run_document`."""
    return await run_document(path, apply_unwarping=apply_unwarping, enhance_quality=enhance_quality,
                              confidence_threshold=confidence_threshold, document_type=document_type,
                              publish_artifacts=publish_artifacts, request_id=request_id, embedding=embedding, full=full)


async def run_document(
    path: str,
    *,
    apply_unwarping: bool = True,
    enhance_quality: bool = True,
    confidence_threshold: float = 0.5,
    document_type: str | None = None,
    publish_artifacts: bool = True,
    request_id: str | None = None,
    embedding: BatchedEmbedding | None = None,
    full: bool = False,
) -> dict[str, Any]:
    """One document's phase tasks inside the current flow run: `process_document`'s own, or `process_folder`'s
    (a batch runs its documents' tasks in its own run instead of a subflow run each: on Prefect's SQLite
    server most subflow starts met a "database is locked" 503 and waited ~2 s for the client's retry,
    benchmarks/prefect_overhead.py). Raises `PhaseFailed` naming the phase that failed.

    Page by page: phase 1 and OCR (phase 5) run for each page in turn, each cached under the page's content key,
    and only one processed page is held at a time. The first page's image is embedded (phase 2); the document is
    classified once (phases 3-4) from that embedding and the words of every page; extraction (phase 6) reads the
    OCR of all pages together, and, unless `document_type` is given, chooses among the classifier's candidate
    types the one whose schema fills best (`routing` in the result records every type tried and why).
    `document_type` fixes the type for extraction (the classifier still runs and its answer is recorded).

    `request_id` and `embedding` are set by `process_folder`: the X-Request-ID its phase-1 look-ahead used for
    this document, and page 0's vector from a batch /embed call (no /embed call of its own is then made and
    the batch is recorded). Run alone, leave both unset. `full` keeps the OCR lines of every page in the result
    (`phases.ocr.result.pages_read`); the returned result always carries the page's embedding, which
    `results.for_output` leaves out of what is written or printed unless asked. `pipeline_id` is the flow run the
    tasks ran in."""
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
    if embedding is not None and embedding.content_sha256 != sha:
        logger.warning("the batch embedded another version of %s: embedding it again request_id=%s", name, request_id)
        embedding = None

    page_count, page, vector = 1, 0, None
    reads: list[dict[str, Any]] = []
    transforms: list[list[list[float]] | None] = []
    ocr_keys: list[str] = []
    key2 = ""
    while page < page_count:
        key1 = preprocess_key(sha, apply_unwarping, enhance_quality, models, page)
        pre = await _run_phase("preprocess", preprocess(document, name, apply_unwarping, enhance_quality, phase_key=key1,
                                                        request_id=request_id, page=page, return_state=True),
                               phases, request_id, page)
        page_count = int(pre.get("page_count", 1))
        page_png = processed_page_png(pre)
        phases["preprocess"].result = _without_images(phases["preprocess"].result)
        transforms.append(pre["pages"][0].get("transform"))
        if page == 0:
            key2 = phase_key(key1, "embed", {}, models["ml-embeddings"])
            if embedding is None:
                vector = await _embed_phase(page_png, name, key2, phases, request_id)
            else:
                phases["embed"] = embedding.record()
                vector = embedding.embedding
                logger.info("phase 2 embed %s: done in a batch of %d, request_id=%s", name, embedding.batch_size, embedding.batch_request_id)
        key_ocr = phase_key(key1, "ocr", {}, models["ocr-extractor"])
        read = await _run_phase("ocr", ocr(page_png, name, phase_key=key_ocr, request_id=request_id, page=page, return_state=True),
                                phases, request_id, page)
        del page_png  # one processed page in memory at a time
        reads.append(read["ocr"])
        ocr_keys.append(key_ocr)
        page += 1
    phases["ocr"].result = _ocr_summary(reads, phases["ocr"])  # the lines themselves went to the extract phase
    if full:
        phases["ocr"].result["pages_read"] = reads
    text_key = phase_key(ocr_keys[0], "ocr-pages", {"pages": ocr_keys}, {})

    # the vector (2576 floats) and the OCR reads are passed `quote`d: Prefect would otherwise walk every element
    # looking for futures (a quarter of the flow process's CPU in a profile); their cache key is the phase key
    key3 = phase_key(key2, "classify", {"text": text_key}, models["ml-classifier"])
    text = "\n".join(read["text"] for read in reads)
    cls = await _run_phase("classify", classify(quote(vector), name, phase_key=key3, request_id=request_id, text=text, return_state=True),
                           phases, request_id)

    candidates = None if document_type else _candidates(cls)
    key4 = phase_key(text_key, "extract", {"type": document_type, "candidates": candidates, "threshold": confidence_threshold},
                     models["ocr-extractor"])
    ext = await _run_phase("extract", extract(quote(reads), name, confidence_threshold, phase_key=key4, request_id=request_id,
                                              document_type=document_type, candidates=candidates, source_transforms=transforms,
                                              return_state=True), phases, request_id)
    routing = ext["routing"]
    chosen = routing["chosen"]
    type_confidence = routing["confidence"] if document_type is None else None
    result = PipelineResult(
        pipeline_id=str(get_run_context().flow_run.id),  # type: ignore[union-attr]
        source=str(source),
        content_sha256=sha,
        request_id=request_id,
        page_count=page_count,
        phases=phases,
        document_type=chosen,
        document_type_confidence=type_confidence,
        document_type_needs_review=document_type is None and bool(routing["needs_review"]),
        routing=routing,
        final_extraction=ext.get("structured_document"),
        total_processing_time=round(time.perf_counter() - started, 4),
        pipeline_summary=summarise(phases),
    )
    logger.info("document %s (%d page(s)) done as %s in %.2fs (bottleneck: %s) request_id=%s", name, page_count, chosen,
                result.total_processing_time, result.pipeline_summary.bottleneck_phase, request_id)
    logger.debug("service calls of this process: %s", iris_client().snapshot())
    if publish_artifacts:
        await _publish(result)
    return result.model_dump(mode="json")


def _candidates(classification: dict[str, Any]) -> dict[str, float]:
    """The classifier's probabilities, rounded so that the extract phase's cache key is stable."""
    scores = classification.get("scores") or {classification["predicted_class"]: 1.0}
    return {label: round(float(p), 4) for label, p in scores.items()}


def _ocr_summary(reads: list[dict[str, Any]], record: PhaseRecord) -> dict[str, Any]:
    """Phase-5 record for the result JSON: what was read on each page, not the lines again."""
    per_page = [{"page": i, "language": r["language"], "mean_confidence": r["mean_confidence"], "lines": len(r["lines"]),
                 "characters": len(r["text"])} for i, r in enumerate(reads)]
    lines = sum(p["lines"] for p in per_page)
    mean = sum(p["mean_confidence"] * p["lines"] for p in per_page) / lines if lines else 0.0
    timings = record.result.get("timings", {}) if isinstance(record.result, dict) else {}
    return {"engine": reads[0]["engine"], "language": reads[0]["language"], "mean_confidence": round(mean, 4), "lines": lines,
            "characters": sum(p["characters"] for p in per_page), "timings": timings, "pages": per_page}


async def _embed_phase(page_png: bytes, name: str, key: str, phases: dict[str, PhaseRecord], request_id: str) -> list[float]:
    """Phase 2 with a call of its own; returns the page's vector."""
    emb = await _run_phase("embed", embed(page_png, name, phase_key=key, request_id=request_id, return_state=True), phases, request_id)
    vector: list[float] = emb["items"][0]["embedding"]
    # the vector stays in the result: the batch flow clusters it, also for documents skipped on a later run
    phases["embed"].result = {k: v for k, v in emb.items() if k != "items"} | {"embedding": vector}
    return vector


async def _publish(result: PipelineResult) -> None:
    rows = fields_table(result.final_extraction)
    routing = result.routing or {}
    review = " (type needs review)" if result.document_type_needs_review else ""
    lines = [f"### {Path(result.source).name}: {result.document_type}{review}", "",
             f"{result.page_count} page(s), request id `{result.request_id}`, {result.total_processing_time:.2f} s", "",
             f"type: {routing.get('reason', '')}", "",
             "| field | value | page | confidence | needs review |", "|---|---|---|---|---|"]
    lines += [f"| {r['field']} | {r['value'].replace('|', '/')} | {r['page']} | {r['confidence']:.2f} | {'yes' if r['needs_review'] else ''} |"
              for r in rows]
    await acreate_markdown_artifact(markdown="\n".join(lines), key="extracted-fields", description="Fields extracted from the document")
    await acreate_table_artifact(table=timings_table(result.phases), key="phase-timings", description="Seconds per phase")
