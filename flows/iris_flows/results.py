"""The pipeline result (the shape of the original IRIS design) and its rendering as Prefect artifacts."""

from typing import Any, Literal

from pydantic import BaseModel, Field

# "2": the page is read (phase 5, ocr) before it is classified; a batch re-run redoes outputs written by "1"
# "3": every page of a document goes through the pipeline, and the extractor routes the type (`routing`)
PIPELINE_VERSION = "3"


class PhaseRecord(BaseModel):
    status: Literal["completed", "cached", "failed", "skipped"]
    processing_time: float = Field(description="seconds the phase took in this run (a cache hit takes ~0)")
    service_time: float | None = Field(default=None, description="seconds the service spent, as it reported")
    result: dict[str, Any] = Field(default_factory=dict)
    error: dict[str, Any] | None = None

    def merged_with(self, later: "PhaseRecord") -> "PhaseRecord":
        """This phase's record after one more page: times add up, page lists join, and it is `cached` only if
        every page was a cache hit."""
        status = "cached" if self.status == later.status == "cached" else "completed"
        service = None if self.service_time is None and later.service_time is None else (self.service_time or 0.0) + (later.service_time or 0.0)
        result = dict(self.result)
        for key, value in later.result.items():
            if isinstance(value, list) and isinstance(result.get(key), list):
                result[key] = [*result[key], *value]
            elif isinstance(value, dict) and key == "timings":
                result[key] = {k: round(result[key].get(k, 0.0) + v, 4) for k, v in value.items()}
            else:
                result.setdefault(key, value)
        return PhaseRecord(status=status, processing_time=self.processing_time + later.processing_time, service_time=service, result=result)


class BatchedEmbedding(BaseModel):
    """Phase 2 of one document done by `process_folder` in a batch /embed call. Given to `process_document`, it
    is recorded as the document's embed phase instead of a call of its own (one request per batch, not per page)."""

    content_sha256: str = Field(description="of the scan whose page was embedded: a document changed since is embedded again")
    embedding: list[float]
    backend: str
    model_id: str
    dimension: int
    batch_size: int = Field(description="pages in the /embed request this vector came from")
    batch_request_id: str = Field(description="X-Request-ID of that request (one per batch, logged with each document's id)")
    seconds: float = Field(description="this document's share of the batch call's wall time")
    service_seconds: float | None = Field(default=None, description="this document's share of the service's reported time")

    def record(self) -> PhaseRecord:
        """The embed phase as a per-document call records it (same keys, count 1), plus where it came from."""
        result = {"backend": self.backend, "model_id": self.model_id, "dimension": self.dimension, "count": 1,
                  "embedding": self.embedding, "batch": {"size": self.batch_size, "request_id": self.batch_request_id}}
        return PhaseRecord(status="completed", processing_time=self.seconds, service_time=self.service_seconds, result=result)


class PipelineSummary(BaseModel):
    phases_completed: int
    average_phase_time: float
    bottleneck_phase: str | None


class PipelineResult(BaseModel):
    pipeline_id: str
    pipeline_version: str = PIPELINE_VERSION
    source: str
    content_sha256: str
    request_id: str
    page_count: int = 1
    phases: dict[str, PhaseRecord]
    document_type: str | None = Field(description="the type extracted: given, or chosen by routing")
    document_type_confidence: float | None = Field(default=None, description="calibrated probability that the type is right (routing.confidence; null when given)")
    document_type_needs_review: bool = Field(default=False, description="the type is uncertain: check it before trusting the fields")
    routing: dict[str, Any] | None = Field(default=None, description="the extractor's record of the types tried and why one was chosen")
    final_extraction: dict[str, Any] | None
    total_processing_time: float
    pipeline_summary: PipelineSummary


def summarise(phases: dict[str, PhaseRecord]) -> PipelineSummary:
    done = {name: p for name, p in phases.items() if p.status in ("completed", "cached")}
    times = {name: p.processing_time for name, p in done.items()}
    return PipelineSummary(
        phases_completed=len(done),
        average_phase_time=round(sum(times.values()) / len(times), 4) if times else 0.0,
        bottleneck_phase=max(times, key=times.__getitem__) if times else None,
    )


def for_output(result: dict[str, Any], full: bool = False) -> dict[str, Any]:
    """The result as a user reads it: fields, types, timings and phase summaries. The bulky data (the page's
    embedding, ~31 KB of JSON per page; the OCR lines of every page when the run kept them) stays in it only with
    `full`; the extract phase's record drops the copies of `final_extraction` and `routing` either way."""
    phases = dict(result.get("phases") or {})
    if not full:
        if isinstance(embed := phases.get("embed"), dict) and "embedding" in (embed.get("result") or {}):
            phases["embed"] = {**embed, "result": {k: v for k, v in embed["result"].items() if k != "embedding"}}
        if isinstance(ocr := phases.get("ocr"), dict) and "pages_read" in (ocr.get("result") or {}):
            phases["ocr"] = {**ocr, "result": {k: v for k, v in ocr["result"].items() if k != "pages_read"}}
    if isinstance(extract := phases.get("extract"), dict) and isinstance(extract.get("result"), dict):
        kept = {k: v for k, v in extract["result"].items() if k not in ("structured_document", "routing")}
        phases["extract"] = {**extract, "result": kept}
    return {**result, "phases": phases}


def embedding_of(result: dict[str, Any]) -> list[float] | None:
    """The page-0 vector a result carries in memory (phase 2), if any."""
    vector = ((result.get("phases") or {}).get("embed") or {}).get("result", {}).get("embedding")
    return vector or None


def fields_table(extraction: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One row per extracted field: name, value, confidence, needs_review."""
    rows = []
    for name, field in ((extraction or {}).get("fields") or {}).items():
        if isinstance(field, dict):
            value = field.get("value")
            rows.append({"field": name, "value": "" if value is None else str(value)[:120], "page": int(field.get("page") or 0),
                         "confidence": round(float(field.get("confidence") or 0.0), 3),
                         "needs_review": bool(field.get("needs_review", False))})
    return rows


def timings_table(phases: dict[str, PhaseRecord]) -> list[dict[str, Any]]:
    return [{"phase": name, "status": p.status, "seconds": round(p.processing_time, 3),
             "service_seconds": None if p.service_time is None else round(p.service_time, 3)} for name, p in phases.items()]
