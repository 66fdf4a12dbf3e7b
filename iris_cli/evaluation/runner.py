"""Running one labelled document through the services: preprocess -> ocr -> embed -> classify -> extract.

A document of several pages (PDF, multi-page TIFF) is run whole: phase 1 processes every page, the processed
pages travel as one multi-page TIFF to /ocr and /extract_json (one matrix per page in `source_transform`), the
embedding is of the first page, the classifier reads every page's text.

Why over HTTP with `IrisClient` and not through the Prefect flow `process_document`: an evaluation wants the
extraction of THIS code on THIS document, every time. The flow caches each phase under the content hash and
model versions, so a re-run after changing extraction code that keeps the model version scores the old output
(measured on 3 generated receipts, shared 2-core machine under load: direct calls 10.4 / 16.0 / 11.6 s per
document, the flow 8.3 / 9.1 / 10.1 s on first run and 1.25 / 1.25 / 1.45 s on the re-run, all cache hits: its
bookkeeping overhead is below the noise of the shared cores; its cache is the reason). It also publishes
artifacts and needs a Prefect API. The steps below are the flow's own: the same endpoints, the same
form fields, the processed page passed to the later phases, the classifier's answer recorded beside the type
used for extraction; the calls go through the same resilient client (per-service timeouts, circuit breakers,
X-Request-ID), with one retry of a retryable failure instead of Prefect's task retries.
"""

import asyncio
import base64
import io
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from iris_common.client import IrisClient, ServiceCallError
from iris_common.settings import ClientSettings


@dataclass
class PipelineRun:
    """What the services returned for one document (extractions keyed by OCR URL)."""

    classification: dict[str, Any] | None = None
    extraction_type: str | None = None
    transform: list[list[float]] | None = None  # phase 1's map from the uploaded first page to the processed one
    transforms: list[list[list[float]] | None] = field(default_factory=list)  # the same, one per page
    extractions: dict[str, dict[str, Any]] = field(default_factory=dict)
    phase_seconds: dict[str, float] = field(default_factory=dict)  # wall time of each call, seen from here
    extract_seconds: dict[str, float] = field(default_factory=dict)  # per OCR URL: reading + extraction, comparable across engines
    seconds: float = 0.0  # preprocess + ocr + embed + classify + extract with the first OCR URL
    error: str | None = None
    classify_error: str | None = None  # embed/classify failed while the type was known: recorded, not fatal
    request_id: str = ""


def pack_tiff(pages: list[bytes]) -> bytes:
    """The processed pages (PNG) as one multi-page TIFF: /ocr and /extract_json read every frame, so the whole
    document is read and extracted in one call (lines and words carry their `page`)."""
    images = [Image.open(io.BytesIO(png)) for png in pages]
    out = io.BytesIO()
    images[0].save(out, format="TIFF", save_all=True, append_images=images[1:], compression="tiff_deflate")
    return out.getvalue()


class PipelineRunner:
    """Calls the running services; `ocr_urls` lists the ocr-extractor(s) to extract with (the first is the one
    whose time counts as the document's pipeline time; the others are for engine comparisons)."""

    def __init__(self, ocr_urls: list[str | None] | None = None, *, confidence_threshold: float = 0.5,
                 apply_unwarping: bool = True, enhance_quality: bool = True, settings: ClientSettings | None = None) -> None:
        self.settings = settings or ClientSettings()
        self.client = IrisClient(self.settings)
        self.ocr_urls = [url or self.settings.url("ocr-extractor") for url in (ocr_urls or [None])]
        self.ocr_clients = {url: self.client if url == self.settings.url("ocr-extractor")
                            else IrisClient(self.settings.model_copy(update={"ocr_extractor_url": url})) for url in self.ocr_urls}
        self.confidence_threshold = confidence_threshold
        self.options = {"apply_unwarping": str(apply_unwarping).lower(), "enhance_quality": str(enhance_quality).lower()}

    async def aclose(self) -> None:
        for client in {id(c): c for c in [self.client, *self.ocr_clients.values()]}.values():
            await client.aclose()

    async def _call(self, client: IrisClient, service: str, path: str, request_id: str, **request: Any) -> dict[str, Any]:
        """One call, retried once when the failure is retryable (a restarting service, a timeout)."""
        try:
            return (await client.call(service, "POST", path, request_id=request_id, **request))["data"]
        except ServiceCallError as exc:
            if not exc.retryable:
                raise
            await asyncio.sleep(2.0)
            return (await client.call(service, "POST", path, request_id=request_id, **request))["data"]

    def _extract_form(self, run: PipelineRun) -> dict[str, str]:
        """The extract request's form fields; phase 1's transform lets the service map boxes back onto the upload
        (a service without that option ignores the field)."""
        form = {"document_type": run.extraction_type or "other", "confidence_threshold": str(self.confidence_threshold)}
        if len(run.transforms) > 1 and all(run.transforms):
            form["source_transform"] = json.dumps(run.transforms)  # one matrix per page of the packed TIFF
        elif run.transform:
            form["source_transform"] = json.dumps(run.transform)
        return form

    async def run(self, path: Path, document_type: str | None) -> PipelineRun:
        """`document_type` None extracts with the classifier's answer (as the flow does without one)."""
        run = PipelineRun(request_id=f"iris-eval-{uuid.uuid4().hex[:12]}")
        started = time.perf_counter()
        phase = "preprocess"
        try:
            t = time.perf_counter()
            pre = await self._call(self.client, "image-processor", "/process", run.request_id,
                                   files={"file": (path.name, path.read_bytes())}, data=self.options)
            run.phase_seconds["preprocess"] = time.perf_counter() - t
            pages = [base64.b64decode(page["image_base64"]) for page in pre["pages"]]
            run.transforms = [page.get("transform") for page in pre["pages"]]
            run.transform = run.transforms[0]
            first_page = {"file": (f"{path.name}.png", pages[0], "image/png")}
            upload = first_page if len(pages) == 1 else {"file": (f"{path.name}.tiff", pack_tiff(pages), "image/tiff")}

            # phase 5 as the pipeline runs it: the first engine reads the page once; the classifier uses its words
            # and that engine's extraction reuses the reading (engines compared with it read the page themselves)
            first = self.ocr_urls[0]
            phase, t = f"ocr ({first})", time.perf_counter()
            read = (await self._call(self.ocr_clients[first], "ocr-extractor", "/ocr", run.request_id, files=upload))["ocr"]
            run.phase_seconds["ocr"] = time.perf_counter() - t

            try:
                phase, t = "embed", time.perf_counter()
                emb = await self._call(self.client, "ml-embeddings", "/embed", run.request_id, files=first_page)
                run.phase_seconds["embed"] = time.perf_counter() - t

                phase, t = "classify", time.perf_counter()
                run.classification = await self._call(self.client, "ml-classifier", "/classify", run.request_id,
                                                      json_body={"embedding": emb["items"][0]["embedding"], "text": read["text"]})
                run.phase_seconds["classify"] = time.perf_counter() - t
            except ServiceCallError as exc:
                if document_type is None:
                    raise
                # the type is known: extraction is what is measured, the classifier's answer is only recorded
                run.classify_error = f"{phase}: {exc.code.value} {exc.message}"
            run.extraction_type = document_type or run.classification["predicted_class"]

            for i, url in enumerate(self.ocr_urls):
                phase, t = f"extract ({url})", time.perf_counter()
                form = self._extract_form(run) | ({"ocr": json.dumps(read)} if url == first else {})
                run.extractions[url] = await self._call(
                    self.ocr_clients[url], "ocr-extractor", "/extract_json", run.request_id, files=upload, data=form)
                run.extract_seconds[url] = time.perf_counter() - t + (run.phase_seconds["ocr"] if url == first else 0.0)
                if i == 0:
                    run.phase_seconds["extract"] = time.perf_counter() - t
                    run.seconds = time.perf_counter() - started
        except ServiceCallError as exc:
            run.error = f"{phase}: {exc.code.value} {exc.message} (request_id={run.request_id})"
        except (OSError, KeyError, IndexError, ValueError) as exc:
            run.error = f"{phase}: {type(exc).__name__}: {exc} (request_id={run.request_id})"
        if not run.seconds:
            run.seconds = time.perf_counter() - started
        return run
