"""Batch throughput, from the OCR alone to `iris batch`: where the time and the CPU go (issue 11's instrument).

One run, the same documents in every stage: the 60 SROIE receipts of ../shared/data/sroie/img, and a mixed folder
of generated documents (docgen receipts, invoices and forms in several scan variants, English and Spanish, and a
3-page PDF invoice), written to a temporary folder. For each set, four stages:

(a) OCR alone: the ocr-extractor's own engine (`PaddleEngine(OcrExtractorSettings())`, PP-OCRv6 small on
    onnxruntime, as benchmarks/phase1_benchmark.py uses it) in worker processes of this benchmark, on the original
    files, decoded as the services decode an upload (every page of a PDF). `--ocr-alone workers` (default): one
    single-thread worker per core (onnxruntime, OpenMP and OpenCV at 1 thread), what the OCR allows on this
    machine; `--ocr-alone service`: one worker at the service's IRIS_CPU_THREADS, one page at a time, as the
    ocr-extractor runs it. The table says which.
(b) phases in process: the four services' runtime objects loaded in this process (image-processor pipeline,
    encoder, classifier, OCR, then extraction with routing as /extract does it), no HTTP, no Prefect, no PNG,
    base64 or JSON in between: arrays go from one phase to the next. Scheduled as `process_folder` schedules
    (--concurrency documents in flight, phase 1 run ahead for a chunk whose pages are embedded in one encoder call,
    then OCR page by page, classification, extraction; one clustering of the batch's vectors at the end); each
    computation runs in a worker thread, as FastAPI runs the services' sync routes. Threads per model: those of
    the running services (OpenCV's, from the image-processor's /health; IRIS_CPU_THREADS overrides), also for
    `--ocr-alone service`. One untimed document of each set goes through first (first calls allocate).
(c) services over HTTP: the same schedule, with the calls and payloads of the flow's tasks (GET /info of every
    service per chunk and per document, /process page by page, /embed of a chunk, /ocr, /classify, /extract,
    /cluster) through `IrisClient`, without Prefect.
(d) `iris batch`: `process_folder` as `iris batch` runs it, through Prefect (a temporary local server, as
    pipeline_eval.py), cold cache (task results under a fresh IRIS_HOME in the work folder). Then the same folder
    twice more with the same cache: into the same output folder (what a second `iris batch` does: every result
    is current and skipped) and into a new one (every phase a Prefect cache hit, but the embed batch, which is
    not cached by design, runs again).
Last, one warm document through `process_document` (everything loaded and warmed up, but each repetition a new
copy of the first single-page file of the first set with a different byte suffix after the image data: the same
pixels, another content hash, so no phase is a cache hit): --latency-reps repetitions, p50.

The numbers
- docs/min: documents / wall seconds of the stage x 60. The models of (a) and (b) are loaded and warmed before the
  clock starts (the services loaded theirs at start-up). "ratio": the stage's docs/min / (a)'s on the same set.
- CPU s/doc: user + system CPU seconds of each process over the stage (/proc/<pid>/stat) / documents. Services and
  the Prefect server with their waited-for children; this process ("this proc": the HTTP client in (c), the flow
  process in (d)) by its own threads only, since its children (the (a) workers, the temporary Prefect server) have
  columns of their own. A stage counts only the processes it uses: (a) the OCR workers + this process, (b) this
  process, (c) the services + this process, (d) the services + the Prefect server + this process. "all" is
  their sum; "other" is what the machine's cores spent busy beyond it (/proc/stat): other work on a shared box.
- orchestration share, for (c) and (d):
      compute   = this process's CPU in (b) on the same set (the four phase computations and nothing else)
      services  = the four services' CPU in the stage
      transport = max(0, services - compute): their CPU beyond the computation (HTTP, decoding uploads, PNG and
                  base64 encoding, JSON and pydantic, logging)
      share     = (Prefect server + this process + transport) / (services + Prefect server + this process)
  In (c) the Prefect server term is 0. Without (b) in the run it is not computed. How threads wait on each other
  differs between one process and four, so the share is good to a few points, not to the decimal.
- RSS per service: peak = VmHWM during the stage, reset at the stage's start (/proc/<pid>/clear_refs); "since
  start" = VmHWM read before the first reset (model loading included); final = VmRSS at the end of the run. The sum
  of the four peaks is an upper bound of the peak of the sum.
- cached re-run factor: (d)'s cold wall seconds / the re-run's.
- per phase: seconds per document in each phase, the sum of the calls' wall time / documents (calls overlap with
  several documents in flight); "service" is the time the service reported for its own work, the rest of a call
  is transport, queueing and (in (d)) Prefect's task machinery.
- targets of issue 11 beside the figures, MET / NOT MET.

    .venv/bin/iris up                      # the four services (URLs: IMAGE_PROCESSOR_URL ...; pids: $IRIS_HOME/run)
    .venv/bin/python benchmarks/batch_throughput.py --limit 5                # quick: 5 documents of each set
    .venv/bin/python benchmarks/batch_throughput.py --json /tmp/bt.json      # everything (~15 min on 2 cores)
    .venv/bin/python benchmarks/batch_throughput.py --skip a,b --generated 0 # SROIE only, services only

Without PREFECT_API_URL (and no `iris up --prefect` server) Prefect starts its temporary server as a child of this
process (~20 s, before the clock starts), measured as "prefect". Without ../shared/data only the generated folder
is measured. Stages (c) and (d) are skipped, with a message, when the services do not answer.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import multiprocessing
import os
import queue
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import (  # noqa: E402
    batch_on_running_services,
    cpu_seconds,
    machine_busy_seconds,
    proc_kb,
    reset_peak,
    service_pids,
    stop_workers,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
STAGES = {"a": "OCR alone", "b": "phases in process", "c": "services over HTTP", "d": "iris batch (Prefect)"}
SERVICES = ("image-processor", "ml-embeddings", "ml-classifier", "ocr-extractor")
SELF, PREFECT, WORKERS = "this proc", "prefect", "OCR workers"
CPU_COLUMNS = (*SERVICES, PREFECT, SELF, WORKERS)
THRESHOLD = 0.5  # the flow's default confidence_threshold
GENERATED_KINDS = ("receipt", "invoice", "form")
GENERATED_VARIANTS = ("clean", "noisy", "flatbed", "fax", "rotated", "photo", "thermal")
WORKER_TIMEOUT = 900.0  # seconds a stage (a) worker may take to load or to answer


@dataclass(frozen=True)
class Target:
    name: str
    threshold: float
    at_least: bool = True  # False: at most
    unit: str = ""


TARGETS = {
    "ratio_d": Target("iris batch / OCR alone, (d)/(a)", 0.9),
    "ratio_b": Target("phases in process / OCR alone, (b)/(a)", 0.9),
    "sroie_rate": Target("SROIE receipts/min through iris batch (d)", 45.0),
    "orchestration": Target("orchestration share of CPU in (d)", 0.10, at_least=False),
    "rerun_same": Target("cached re-run factor, same output folder", 50.0, unit="x"),
    "rerun_cache": Target("cached re-run factor, new output folder (Prefect cache hits)", 50.0, unit="x"),
    "latency": Target("warm single document p50 through the flow", 1.5, at_least=False, unit=" s"),
    "rss": Target("services' peak RSS, sum of the four, in (d)", 3072.0, at_least=False, unit=" MB"),
}


# --- documents -------------------------------------------------------------------------------------------------

@dataclass
class DocSet:
    """A folder holding exactly these files (what `iris batch` is pointed at)."""

    name: str
    folder: Path
    files: list[Path]
    pages: int


def sroie_set(data: Path, work: Path, limit: int | None) -> DocSet | None:
    """Symlinks to the SROIE receipts (the first `limit`), or None when the data is absent."""
    images = sorted((data / "sroie" / "img").glob("*.jpg"))[:limit]
    if not images:
        return None
    folder = work / "sets" / "sroie"
    folder.mkdir(parents=True)
    files = []
    for image in images:
        (folder / image.name).symlink_to(image.resolve())
        files.append(folder / image.name)
    return DocSet("sroie", folder, files, len(files))


def generated_set(work: Path, count: int, limit: int | None) -> DocSet | None:
    """`count` docgen documents: a 3-page PDF invoice first (so a --limit run has it too), then receipts (JPEG),
    invoices and forms (PNG) in turn, scan variants and languages mixed; fixed seeds."""
    import cv2

    import docgen
    from docgen.multipage import render_multipage_invoice

    count = min(count, limit) if limit else count
    if count <= 0:
        return None
    folder = work / "sets" / "generated"
    folder.mkdir(parents=True)
    pdf = folder / "00-invoice-3-pages.pdf"
    pdf.write_bytes(render_multipage_invoice(seed=11, lang="en").pdf_bytes())
    files, pages = [pdf], 3
    for i in range(1, count):
        kind, lang = GENERATED_KINDS[(i - 1) % len(GENERATED_KINDS)], ("en", "es")[(i // 3) % 2]
        variant = GENERATED_VARIANTS[(i - 1) % len(GENERATED_VARIANTS)]
        path = folder / f"{i:02d}-{kind}-{lang}-{variant}.{'jpg' if kind == 'receipt' else 'png'}"
        cv2.imwrite(str(path), docgen.render(kind, seed=100 + i, lang=lang, variant=variant).image)
        files.append(path)
        pages += 1
    return DocSet("generated", folder, files, pages)


# --- measuring -------------------------------------------------------------------------------------------------

@dataclass
class StageRun:
    stage: str
    set: str
    documents: int
    pages: int
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # column -> CPU seconds over the stage
    other_cpu: float | None = None  # the machine's busy CPU seconds beyond the counted processes
    peak_mb: dict[str, float] = field(default_factory=dict)  # process -> VmHWM during the stage
    peak_reset: bool = True
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    phases: dict[str, dict[str, float]] = field(default_factory=dict)  # phase -> calls, seconds, service_seconds
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def docs_per_min(self) -> float | None:
        return 60 * self.documents / self.seconds if self.seconds else None


class Meter:
    """CPU seconds and peak RSS of named processes over a block (the columns of one stage)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids

    def _cpu(self) -> dict[str, float | None]:
        me = os.getpid()
        return {name: cpu_seconds(pid, children=pid != me) for name, pid in self.pids.items()}

    def __enter__(self) -> Meter:
        self.reset = all([reset_peak(pid) for pid in self.pids.values()])
        self.before, self.busy = self._cpu(), machine_busy_seconds()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
        after, busy = self._cpu(), machine_busy_seconds()
        self.cpu = {name: round(after[name] - self.before[name], 2) for name in self.pids
                    if after[name] is not None and self.before[name] is not None}
        self.peak_mb = {name: round(kb / 1024, 1) for name, pid in self.pids.items() if (kb := proc_kb(pid, "VmHWM")) is not None}
        self.other = round(busy - self.busy - sum(self.cpu.values()), 1) if busy is not None and self.busy is not None else None

    def fill(self, run: StageRun) -> StageRun:
        run.seconds, run.cpu, run.other_cpu = round(self.seconds, 2), dict(self.cpu), self.other
        run.peak_mb, run.peak_reset = self.peak_mb, self.reset
        return run


def prefect_server_pid(home: Path) -> int | None:
    """The Prefect server this process talks to: `iris up --prefect`'s, Prefect's temporary one (a child of this
    process), or whatever listens on PREFECT_API_URL's port."""
    from urllib.parse import urlparse

    import psutil

    if (pid := service_pids(home).get("prefect-server")) is not None and psutil.pid_exists(pid):
        return pid
    for child in psutil.Process().children(recursive=True):
        try:
            if "prefect.server" in " ".join(child.cmdline()):
                return child.pid
        except psutil.Error:
            continue
    port = urlparse(os.environ.get("PREFECT_API_URL", "")).port
    try:
        for conn in psutil.net_connections(kind="tcp") if port else []:
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return int(conn.pid)
    except psutil.AccessDenied:
        return None
    return None


# --- (a) the OCR alone -----------------------------------------------------------------------------------------

def _ocr_worker(home: str, threads: int, single: bool, tasks: Any, results: Any) -> None:
    """A worker process: the ocr-extractor's engine at `threads`, reading every page of the files it is sent."""
    if single:  # before numpy/OpenCV/onnxruntime load: nothing may start a second thread pool
        os.environ.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    import cv2
    import numpy as np

    from iris_common.io.images import decode_pages
    from iris_common.web.uploads import limits_of
    from ocr_extractor.models.engines import PaddleEngine
    from ocr_extractor.settings import OcrExtractorSettings

    if single:
        cv2.setNumThreads(1)
    settings = OcrExtractorSettings(IRIS_HOME=home, IRIS_CPU_THREADS=threads, LOG_LEVEL="WARNING")
    engine = PaddleEngine(settings)
    engine.recognize(np.full((64, 256, 3), 255, dtype=np.uint8))  # the warm-up OcrRuntime.load does
    limits = limits_of(settings)
    results.put(("ready", os.getpid(), ""))
    for path in iter(tasks.get, None):
        try:
            lines = 0
            for page in decode_pages(Path(path).read_bytes(), limits).pages:
                lines += len(engine.recognize(page if page.ndim == 3 else cv2.cvtColor(page, cv2.COLOR_GRAY2BGR)).lines)
            results.put(("done", path, str(lines)))
        except Exception as exc:  # noqa: BLE001 - counted as a failed document by the parent
            results.put(("failed", path, f"{type(exc).__name__}: {exc}"))


def ocr_alone(sets: list[DocSet], home: Path, mode: str) -> list[StageRun]:
    """Stage (a) on every set with the same warmed-up workers."""
    from ocr_extractor.settings import OcrExtractorSettings

    cores = len(os.sched_getaffinity(0))
    workers, threads = (cores, 1) if mode == "workers" else (1, OcrExtractorSettings(IRIS_HOME=str(home)).cpu_threads)
    label = f"{workers} worker(s) x {threads} thread(s)" + (" (one per core)" if mode == "workers" else " (the service's setting)")
    print(f"(a) OCR alone: {label}; loading ...", flush=True)
    ctx = multiprocessing.get_context("spawn")
    tasks, results = ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=_ocr_worker, args=(str(home), threads, mode == "workers", tasks, results), daemon=True)
             for _ in range(workers)]
    for proc in procs:
        proc.start()
    runs = []
    try:
        pids = [int(_answer(results, procs)[1]) for _ in procs]
        for docset in sets:
            run = StageRun("a", docset.name, len(docset.files), docset.pages, extra={"ocr_alone": label})
            meter = Meter({SELF: os.getpid(), **{f"ocr-worker-{i}": pid for i, pid in enumerate(pids)}})
            with meter:
                for path in docset.files:
                    tasks.put(str(path))
                for _ in docset.files:
                    kind, path, detail = _answer(results, procs)
                    if kind == "failed":
                        run.failed += 1
                        run.failures.append(f"{Path(path).name}: {detail}")
            meter.fill(run)
            worker_names = [n for n in run.cpu if n.startswith("ocr-worker-")]
            run.cpu[WORKERS] = round(sum(run.cpu.pop(n) for n in worker_names), 2)
            run.peak_mb[WORKERS] = max((run.peak_mb.pop(n) for n in worker_names), default=0.0)
            runs.append(run)
            print(f"(a) {docset.name}: {run.documents} documents in {run.seconds:.1f} s = {run.docs_per_min:.1f}/min", flush=True)
    finally:
        stop_workers(tasks, procs)
    return runs


def _answer(results: Any, procs: list[Any]) -> tuple[str, str, str]:
    """The next message of a worker; RuntimeError when one died or none answers in time."""
    deadline = time.monotonic() + WORKER_TIMEOUT
    while time.monotonic() < deadline:
        try:
            return results.get(timeout=5)
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in procs):
                raise RuntimeError(f"an OCR worker died (exit codes {[p.exitcode for p in procs]})") from None
    raise RuntimeError(f"no answer from the OCR workers in {WORKER_TIMEOUT:.0f} s")


# --- (b) and (c): process_folder's schedule over two implementations of the phases ----------------------------

@dataclass
class Page:
    """One processed page: an array in process, PNG bytes over HTTP."""

    image: Any
    page_count: int
    transform: list[list[float]] | None


class Phases:
    """The timing both implementations share: each call is timed under its phase's name (the computation, or the
    HTTP call with the time the service reported for its own work)."""

    def __init__(self) -> None:
        self.timings: dict[str, dict[str, float]] = {}

    @contextmanager
    def timed(self, phase: str, service_seconds: list[float] | None = None) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            rec = self.timings.setdefault(phase, {"calls": 0, "seconds": 0.0, "service_seconds": 0.0})
            rec["calls"] += 1
            rec["seconds"] += time.perf_counter() - started
            rec["service_seconds"] += sum(service_seconds or [])


class InProcess(Phases):
    """Stage (b): the services' runtime objects in this process; every computation in a worker thread."""

    def __init__(self, home: Path) -> None:
        super().__init__()
        from image_processor.models.runtime import ImageProcessorRuntime
        from image_processor.settings import ImageProcessorSettings
        from iris_common.web.uploads import limits_of
        from ml_classifier.models.runtime import ClassifierRuntime
        from ml_classifier.settings import ClassifierSettings
        from ml_embeddings.models.runtime import EncoderRuntime
        from ml_embeddings.settings import EmbeddingsSettings
        from ocr_extractor.models.runtime import OcrRuntime
        from ocr_extractor.settings import OcrExtractorSettings

        env = {"IRIS_HOME": str(home), "LOG_LEVEL": "WARNING"}
        ip = ImageProcessorSettings(**env)
        self.ip_limits, self.ip_config = limits_of(ip), ip.pipeline_config(apply_unwarping=True, enhance_quality=True)
        self.ip = ImageProcessorRuntime(ip.cpu_threads, ip.models_dir, ip.auto_orient)
        self.emb_settings = EmbeddingsSettings(**env)
        self.emb = EncoderRuntime(self.emb_settings)
        self.clf = ClassifierRuntime(ClassifierSettings(**env))
        self.ocr_settings = OcrExtractorSettings(**env)
        self.ocr_rt = OcrRuntime(self.ocr_settings)
        for runtime in (self.ip, self.emb, self.clf, self.ocr_rt):
            runtime.load()
        problems = [p for p in (self.ip.error, self.ip.reader_error, self.emb.error, self.clf.encoder_error, self.clf.model_error,
                                self.ocr_rt.error) if p]
        if problems:
            raise RuntimeError("; ".join(problems))

    async def keys(self) -> None:
        """Nothing to ask: the models are this process's own."""

    async def close(self) -> None:
        """The runtimes go with the object."""

    async def preprocess(self, document: bytes, name: str, page: int, rid: str) -> Page:
        with self.timed("preprocess"):
            return await asyncio.to_thread(self._preprocess, document, page)

    def _preprocess(self, document: bytes, page: int) -> Page:
        import cv2

        from image_processor.core.pipeline import process_page
        from iris_common.io.images import decode_pages

        decoded = decode_pages(document, self.ip_limits, page)
        result = process_page(decoded.pages[0], self.ip_config, self.ip.read_lines)
        # what the next services get after decoding the PNG: three channels
        image = result.image if result.image.ndim == 3 else cv2.cvtColor(result.image, cv2.COLOR_GRAY2BGR)
        return Page(image, decoded.page_count, [[float(v) for v in row] for row in result.transform])

    async def embed(self, pages: list[tuple[str, Any]], rid: str, batch: bool = False) -> list[Any]:
        with self.timed("embed"):
            return list(await asyncio.to_thread(self.emb.encoder.encode, [image for _, image in pages]))

    async def ocr(self, image: Any, name: str, rid: str) -> Any:
        with self.timed("ocr"):
            return await asyncio.to_thread(self.ocr_rt.recognize, [image])

    def text(self, read: Any) -> str:
        return read.text

    async def classify(self, vector: Any, text: str, rid: str) -> dict[str, Any]:
        with self.timed("classify"):
            result = await asyncio.to_thread(self.clf.classify_embedding, vector, text)
        return {"predicted_class": result.predicted_class, "confidence": result.confidence, "scores": result.scores}

    async def extract(self, reads: list[Any], candidates: dict[str, float], transforms: list[Any], rid: str) -> str:
        with self.timed("extract"):
            return await asyncio.to_thread(self._extract, reads, candidates, transforms)

    def _extract(self, reads: list[Any], candidates: dict[str, float], transforms: list[Any]) -> str:
        """What POST /extract computes (`ocr_extractor.service.structured_document`): the pages joined, the
        candidate types extracted and compared (routing), the answer checked against its schema, its boxes mapped
        back to the upload's pixels."""
        from iris_common.contract.extraction import DocumentType
        from ocr_extractor.core.geometry import as_matrix
        from ocr_extractor.core.layout import join_pages
        from ocr_extractor.service import structured_document

        _, decision = structured_document(
            self.ocr_rt, join_pages(reads), THRESHOLD, [as_matrix(m) if m is not None else None for m in transforms],
            day_first=self.ocr_settings.date_day_first, candidates={DocumentType(k): v for k, v in candidates.items()})
        return decision.chosen.value

    async def cluster(self, vectors: list[Any], names: list[str], types: list[str], confidences: list[float]) -> None:
        with self.timed("cluster"):
            await asyncio.to_thread(self._cluster, vectors, names, types, confidences)

    def _cluster(self, vectors: list[Any], names: list[str], types: list[str], confidences: list[float]) -> None:
        import numpy as np

        from ml_embeddings.core.clustering import cluster, describe

        matrix = np.asarray(vectors, dtype=float)
        result = cluster(matrix, None, max_k=self.emb_settings.cluster_max_k, threads=self.emb_settings.cpu_threads)
        describe(matrix, result, names=names, types=types, confidences=confidences)


class OverHttp(Phases):
    """Stage (c): the flow tasks' calls and payloads (iris_flows/tasks) through an `IrisClient`, no Prefect."""

    def __init__(self) -> None:
        super().__init__()
        from iris_common.client import IrisClient
        from iris_common.settings import ClientSettings

        self.client = IrisClient(ClientSettings())

    async def _post(self, phase: str, service: str, path: str, rid: str, **request: Any) -> dict[str, Any]:
        served: list[float] = []
        with self.timed(phase, served):
            envelope = await self.client.call(service, "POST", path, request_id=rid, **request)
            served.append(float(envelope.get("processing_time") or 0.0))
        return envelope["data"]

    async def keys(self) -> None:
        with self.timed("info"):  # model_keys(): what each service loaded, part of every cache key
            await asyncio.gather(*(self.client.info(name) for name in SERVICES))

    async def preprocess(self, document: bytes, name: str, page: int, rid: str) -> Page:
        data = await self._post("preprocess", "image-processor", "/process", rid, files={"file": (name, document)},
                                data={"apply_unwarping": "true", "enhance_quality": "true", "page": str(page)})
        first = data["pages"][0]
        return Page(base64.b64decode(first["image_base64"]), int(data.get("page_count", 1)), first.get("transform"))

    async def embed(self, pages: list[tuple[str, Any]], rid: str, batch: bool = False) -> list[Any]:
        """`batch`: the embed_batch task's `files` (a chunk), else the embed task's one `file`."""
        files: Any = ([("files", (f"{name}.png", png, "image/png")) for name, png in pages] if batch
                      else {"file": (f"{pages[0][0]}.png", pages[0][1], "image/png")})
        data = await self._post("embed", "ml-embeddings", "/embed", rid, files=files)
        if len(data["items"]) != len(pages):
            raise RuntimeError(f"/embed returned {len(data['items'])} vectors for {len(pages)} pages")
        return [item["embedding"] for item in data["items"]]

    async def ocr(self, image: Any, name: str, rid: str) -> Any:
        data = await self._post("ocr", "ocr-extractor", "/ocr", rid, files={"file": (f"{name}.png", image, "image/png")})
        return data["ocr"]

    def text(self, read: Any) -> str:
        return read["text"]

    async def classify(self, vector: Any, text: str, rid: str) -> dict[str, Any]:
        return await self._post("classify", "ml-classifier", "/classify", rid, json_body={"embedding": vector, "text": text})

    async def extract(self, reads: list[Any], candidates: dict[str, float], transforms: list[Any], rid: str) -> str:
        body = {"pages": reads, "document_type": None, "candidates": candidates, "confidence_threshold": THRESHOLD,
                "source_transforms": transforms}
        data = await self._post("extract", "ocr-extractor", "/extract", rid, json_body=body)
        return str(data["routing"]["chosen"])

    async def cluster(self, vectors: list[Any], names: list[str], types: list[str], confidences: list[float]) -> None:
        await self._post("cluster", "ml-embeddings", "/cluster", f"bt-batch-{uuid.uuid4().hex[:12]}",
                         json_body={"embeddings": vectors, "k": None, "names": names, "types": types, "confidences": confidences})

    async def close(self) -> None:
        await self.client.aclose()


def candidates_of(classification: dict[str, Any]) -> dict[str, float]:
    """The classifier's scores rounded as the flow rounds them for /extract (document_flow._candidates)."""
    scores = classification.get("scores") or {classification["predicted_class"]: 1.0}
    return {label: round(float(p), 4) for label, p in scores.items()}


async def run_schedule(phases: InProcess | OverHttp, files: list[Path], concurrency: int, batch_size: int) -> list[str]:
    """`process_folder`'s schedule (iris_flows.folder_flow, embed_batching) over `phases`; returns the failures.
    Chunks of `batch_size` (the first of `concurrency`), CHUNKS_IN_FLIGHT at a time; a chunk's phase 1 runs ahead
    (at most `concurrency` at once) and its pages are embedded together; then each document (at most
    `concurrency` at once) runs its pages' phase 1 (page 0's was done ahead) and OCR, classification, extraction."""
    from iris_flows.embed_batching import chunks
    from iris_flows.folder_flow import CHUNKS_IN_FLIGHT

    gate, lanes, in_flight = asyncio.Semaphore(concurrency), asyncio.Semaphore(concurrency), asyncio.Semaphore(CHUNKS_IN_FLIGHT)
    failures: list[str] = []
    done: list[tuple[str, Any, str, float]] = []

    async def ahead(path: Path) -> Page | None:
        async with lanes:
            try:
                return await phases.preprocess(path.read_bytes(), path.name, 0, f"bt-{uuid.uuid4().hex[:12]}")
            except Exception:  # noqa: BLE001 - the document then runs its own phase 1, as in the flow
                return None

    async def document(path: Path, first: Page | None, vector: Any) -> None:
        rid = f"bt-{uuid.uuid4().hex[:12]}"
        async with gate:
            try:
                await phases.keys()
                data = path.read_bytes()
                reads, transforms, page, count = [], [], 0, 1
                while page < count:
                    pre = first if page == 0 and first is not None else await phases.preprocess(data, path.name, page, rid)
                    count = pre.page_count
                    transforms.append(pre.transform)
                    if page == 0 and vector is None:
                        vector = (await phases.embed([(path.name, pre.image)], rid))[0]
                    reads.append(await phases.ocr(pre.image, path.name, rid))
                    del pre
                    page += 1
                first = None
                cls = await phases.classify(vector, "\n".join(phases.text(r) for r in reads), rid)
                chosen = await phases.extract(reads, candidates_of(cls), transforms, rid)
                done.append((path.name, vector, chosen, float(cls["confidence"])))
            except Exception as exc:  # noqa: BLE001 - a failed document is counted, the others go on
                failures.append(f"{path.name}: {type(exc).__name__}: {exc}"[:300])

    async def run_chunk(chunk: list[Path]) -> None:
        async with in_flight:
            firsts: dict[Path, Page] = {}
            vectors: dict[Path, Any] = {}
            if batch_size:
                await phases.keys()
                pages = await asyncio.gather(*(ahead(p) for p in chunk))
                firsts = {p: page for p, page in zip(chunk, pages, strict=True) if page is not None}
                if firsts:
                    try:
                        got = await phases.embed([(p.name, page.image) for p, page in firsts.items()], f"bt-{uuid.uuid4().hex[:12]}",
                                                batch=True)
                        vectors = dict(zip(firsts, got, strict=True))
                    except Exception:  # noqa: BLE001 - they embed one by one, as in the flow
                        vectors = {}
            await asyncio.gather(*(document(p, firsts.pop(p, None), vectors.get(p)) for p in chunk))

    batches = chunks(files, batch_size, first=concurrency) if batch_size else [files]  # type: ignore[arg-type]
    await asyncio.gather(*(run_chunk(chunk) for chunk in batches))
    if len(done) >= 2:
        try:
            await phases.cluster([d[1] if isinstance(d[1], list) else [float(v) for v in d[1]] for d in done],
                                 [d[0] for d in done], [d[2] for d in done], [d[3] for d in done])
        except Exception as exc:  # noqa: BLE001
            failures.append(f"(cluster): {type(exc).__name__}: {exc}"[:300])
    return failures


async def schedule_stage(stage: str, phases: InProcess | OverHttp, sets: list[DocSet], pids: dict[str, int], concurrency: int,
                         batch_size: int) -> list[StageRun]:
    runs = []
    for docset in sets:
        phases.timings = {}
        run = StageRun(stage, docset.name, len(docset.files), docset.pages)
        meter = Meter(pids)
        with meter:
            run.failures = await run_schedule(phases, docset.files, concurrency, batch_size)
        meter.fill(run)
        run.failed = sum(1 for f in run.failures if not f.startswith("(cluster)"))
        run.phases = {k: {kk: round(vv, 3) for kk, vv in v.items()} for k, v in phases.timings.items()}
        runs.append(run)
        print(f"({stage}) {docset.name}: {run.documents} documents in {run.seconds:.1f} s = {run.docs_per_min:.1f}/min, "
              f"{run.failed} failed{': ' + run.failures[0] if run.failures else ''}", flush=True)
    return runs


# --- (d) iris batch through Prefect ----------------------------------------------------------------------------

async def start_prefect(home: Path) -> int | None:
    """Run a no-op flow so that Prefect's temporary server (when it is the one used) is up and the engine warm
    before any clock starts; returns the server's pid."""
    from prefect import flow

    @flow(name="batch-throughput-warm-up", persist_result=False)
    async def warm_up() -> None:
        return None

    await warm_up()
    return prefect_server_pid(home)


async def batch_folder(input_dir: Path, output_dir: Path, concurrency: int) -> Any:
    """`process_folder` with the arguments `iris batch` passes (its --glob default, --concurrency)."""
    from iris_flows.folder_flow import process_folder

    return await process_folder(input_dir=str(input_dir), output_dir=str(output_dir), pattern="**/*", concurrency=concurrency,
                                return_state=True)


def ledger_of(state: Any, summary: dict[str, Any] | None) -> tuple[int, list[str]]:
    """Documents not processed (failed or rejected: a set's rate means nothing without them) and why."""
    if summary is None:
        return -1, [f"process_folder ended {state.name}: {state.message}"]
    ledger = summary["ledger"]
    reasons = [f"{Path(f['file']).name}: {f.get('code')}: {f.get('message')}"[:300] for f in summary.get("failures", [])]
    reasons += [f"{Path(r['file']).name}: rejected: {r.get('reason')}"[:300] for r in summary.get("rejected", [])]
    return int(ledger["failed"]) + int(ledger.get("rejected", 0)), reasons


async def batch_stage(sets: list[DocSet], work: Path, pids: dict[str, int], concurrency: int) -> list[StageRun]:
    from iris_flows.outputs import output_path

    runs = []
    for docset in sets:
        run = StageRun("d", docset.name, len(docset.files), docset.pages)
        out = work / "batch" / docset.name
        meter = Meter(pids)
        with meter:
            state = await batch_folder(docset.folder, out / "out", concurrency)
        meter.fill(run)
        summary = await state.aresult() if state.is_completed() else None
        run.failed, run.failures = ledger_of(state, summary)
        run.phases = flow_phases([output_path(out / "out", docset.folder, f) for f in docset.files])
        print(f"(d) {docset.name}: {run.documents} documents in {run.seconds:.1f} s = {run.docs_per_min:.1f}/min, "
              f"{run.failed} failed{': ' + run.failures[0] if run.failures else ''}", flush=True)
        for key, target in (("rerun_same", out / "out"), ("rerun_cache", out / "out-again")):
            started = time.perf_counter()
            state = await batch_folder(docset.folder, target, concurrency)
            seconds = time.perf_counter() - started
            summary = await state.aresult() if state.is_completed() else None
            ledger = (summary or {}).get("ledger", {})
            run.extra[key] = {"seconds": round(seconds, 2), "factor": round(run.seconds / seconds, 1) if seconds else None,
                              "skipped": ledger.get("skipped"), "succeeded": ledger.get("succeeded"), "failed": ledger.get("failed")}
            print(f"(d) {docset.name} again ({'same' if key == 'rerun_same' else 'new'} output folder): {seconds:.1f} s "
                  f"({run.extra[key]['factor']}x)", flush=True)
        runs.append(run)
    return runs


def flow_phases(result_files: list[Path]) -> dict[str, dict[str, float]]:
    """Per phase, from the result JSONs: calls, seconds (the task's wall time in the flow), service seconds."""
    out: dict[str, dict[str, float]] = {}
    for path in result_files:
        try:
            phases = json.loads(path.read_text(encoding="utf-8")).get("phases") or {}
        except (OSError, ValueError):
            continue
        for name, record in phases.items():
            if not isinstance(record, dict):
                continue
            rec = out.setdefault(name, {"calls": 0, "seconds": 0.0, "service_seconds": 0.0})
            rec["calls"] += 1
            rec["seconds"] = round(rec["seconds"] + float(record.get("processing_time") or 0.0), 3)
            rec["service_seconds"] = round(rec["service_seconds"] + float(record.get("service_time") or 0.0), 3)
    return out


async def warm_latency(source: Path, work: Path, reps: int) -> dict[str, Any]:
    """`process_document` on `reps` copies of `source`, each with another byte suffix (same pixels, new hash)."""
    from iris_flows.document_flow import process_document

    folder = work / "latency"
    folder.mkdir(parents=True, exist_ok=True)
    seconds, failures = [], []
    for i in range(reps):
        copy = folder / f"{source.stem}-{i}{source.suffix}"
        copy.write_bytes(source.read_bytes() + f"\0batch-throughput {uuid.uuid4().hex}".encode())
        started = time.perf_counter()
        state = await process_document(path=str(copy), publish_artifacts=False, return_state=True)
        seconds.append(round(time.perf_counter() - started, 3))
        if not state.is_completed():
            failures.append(f"{state.name}: {state.message}"[:300])
    print(f"warm latency of {source.name}: {seconds} s", flush=True)
    return {"document": source.name, "seconds": seconds, "p50": statistics.median(seconds) if seconds else None, "failures": failures}


# --- report ----------------------------------------------------------------------------------------------------

def orchestration_share(run: StageRun, compute: float | None) -> tuple[float | None, float | None]:
    """(share, transport CPU seconds) as the module docstring defines them; None without (b)."""
    if compute is None or run.stage not in ("c", "d"):
        return None, None
    services = sum(run.cpu.get(s, 0.0) for s in SERVICES)
    transport = max(0.0, services - compute)
    total = services + run.cpu.get(PREFECT, 0.0) + run.cpu.get(SELF, 0.0)
    return ((run.cpu.get(PREFECT, 0.0) + run.cpu.get(SELF, 0.0) + transport) / total if total else None), round(transport, 2)


def _f(value: float | None, fmt: str = ".2f") -> str:
    return "-" if value is None else format(value, fmt)


def throughput_rows(runs: list[StageRun]) -> tuple[list[str], list[list[str]]]:
    base = {r.set: r.docs_per_min for r in runs if r.stage == "a"}
    compute = {r.set: r.cpu.get(SELF) for r in runs if r.stage == "b"}
    headers = ["set", "stage", "docs", "pages", "failed", "wall s", "docs/min", "ratio to (a)",
               *[f"CPU s/doc {c}" if i == 0 else c for i, c in enumerate(CPU_COLUMNS)], "all", "other", "orchestration share"]
    rows = []
    for r in runs:
        n = r.documents or 1
        share, _ = orchestration_share(r, compute.get(r.set))
        ratio = r.docs_per_min / base[r.set] if base.get(r.set) and r.docs_per_min else None
        rows.append([r.set, f"({r.stage}) {STAGES[r.stage]}", r.documents, r.pages, r.failed, _f(r.seconds, ".1f"),
                     _f(r.docs_per_min, ".1f"), _f(ratio), *[_f(r.cpu[c] / n) if c in r.cpu else "-" for c in CPU_COLUMNS],
                     _f(sum(r.cpu.values()) / n), _f(r.other_cpu / n if r.other_cpu is not None else None),
                     "-" if share is None else f"{share:.1%}"])
    return headers, rows


def phase_rows(runs: list[StageRun]) -> tuple[list[str], list[list[str]]]:
    stages = [r for r in runs if r.phases]
    names = list(dict.fromkeys(p for r in stages for p in r.phases))
    headers = ["phase (s/doc)", *[f"{r.set} ({r.stage}) {kind}" for r in stages for kind in (["call"] if r.stage == "b" else ["call", "service"])]]
    rows = []
    for name in names:
        row = [name]
        for r in stages:
            rec, n = r.phases.get(name), r.documents or 1
            row.append(_f(rec["seconds"] / n, ".3f") if rec else "-")
            if r.stage != "b":
                row.append(_f(rec["service_seconds"] / n, ".3f") if rec and rec["service_seconds"] else "-")
        rows.append(row)
    return headers, rows


def rss_rows(runs: list[StageRun], since_start: dict[str, float | None], final: dict[str, float | None]
             ) -> tuple[list[str], list[list[str]]]:
    stages = [r for r in runs if r.stage in ("c", "d")]
    headers = ["RSS MB", "since start", *[f"{r.set} ({r.stage}) peak" for r in stages], "final"]
    rows = [[name, _f(since_start.get(name), ".0f"), *[_f(r.peak_mb.get(name), ".0f") for r in stages], _f(final.get(name), ".0f")]
            for name in SERVICES]
    rows.append(["sum of the four", _f(_sum(since_start.values()), ".0f"), *[_f(services_peak(r), ".0f") for r in stages],
                 _f(_sum(final.values()), ".0f")])
    return headers, rows


def _sum(values: Any) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) if values else None


def services_peak(run: StageRun) -> float | None:
    return _sum(run.peak_mb.get(s) for s in SERVICES)


def targets(runs: list[StageRun], latency: dict[str, Any] | None) -> list[dict[str, Any]]:
    found: list[tuple[str, str, float | None]] = []
    by = {(r.stage, r.set): r for r in runs}
    compute = {r.set: r.cpu.get(SELF) for r in runs if r.stage == "b"}
    for name in dict.fromkeys(r.set for r in runs):
        a, b, d = by.get(("a", name)), by.get(("b", name)), by.get(("d", name))
        if a and a.docs_per_min:
            for key, run in (("ratio_d", d), ("ratio_b", b)):
                if run and run.docs_per_min:
                    found.append((key, name, run.docs_per_min / a.docs_per_min))
        if d:
            if name == "sroie":
                found.append(("sroie_rate", name, d.docs_per_min))
            found.append(("orchestration", name, orchestration_share(d, compute.get(name))[0]))
            for key in ("rerun_same", "rerun_cache"):
                if key in d.extra:
                    found.append((key, name, d.extra[key]["factor"]))
            found.append(("rss", name, services_peak(d)))
    if latency and latency.get("p50") is not None:
        found.append(("latency", latency["document"], latency["p50"]))
    out = []
    for key, where, value in found:
        t = TARGETS[key]
        met = None if value is None else (value >= t.threshold if t.at_least else value <= t.threshold)
        shown = "-" if value is None else (f"{value:.1%}" if key == "orchestration" else f"{value:.2f}{t.unit}")
        limit = f"{t.threshold:.0%}" if key == "orchestration" else f"{t.threshold:g}{t.unit}"
        out.append({"target": t.name, "on": where, "value": value, "shown": shown,
                    "threshold": f"{'>=' if t.at_least else '<='} {limit}",
                    "verdict": "not measured" if met is None else ("MET" if met else "NOT MET")})
    return out


def render(runs: list[StageRun], since_start: dict[str, float | None], final: dict[str, float | None],
           latency: dict[str, Any] | None, checks: list[dict[str, Any]], header: str) -> str:
    from iris_cli.table import render_table

    out = [header, "", render_table(*throughput_rows(runs))]
    if any(r.phases for r in runs):
        out += ["", "seconds per document in each phase: the calls' wall time (several documents in flight overlap); "
                    "service = the time the service reported for its work; in (d) from the result JSONs, where preprocess "
                    "is the subflow's cache hit of the chunk's look-ahead (whose own time no result records) and embed "
                    "the document's share of its chunk's call", render_table(*phase_rows(runs))]
    if any(r.stage in ("c", "d") for r in runs):
        reset = all(r.peak_reset for r in runs if r.stage in ("c", "d"))
        out += ["", "services' RSS: peak during each stage (VmHWM " + ("reset at the stage's start" if reset else
                "NOT reset: peaks since start") + "), since start (before this run's first reset), final (VmRSS at the end)",
                render_table(*rss_rows(runs, since_start, final))]
    for r in runs:
        for key, label in (("rerun_same", "same output folder"), ("rerun_cache", "new output folder")):
            if key in r.extra:
                e = r.extra[key]
                out.append(f"{r.set}: cached re-run, {label}: {e['seconds']} s vs {r.seconds} s cold = {e['factor']}x "
                           f"(succeeded {e['succeeded']}, skipped {e['skipped']}, failed {e['failed']})")
    if latency:
        out.append(f"warm single document ({latency['document']}) through process_document: p50 {_f(latency['p50'], '.2f')} s "
                   f"of {latency['seconds']}" + (f"; failures: {latency['failures']}" if latency["failures"] else ""))
    for r in runs:
        for failure in r.failures[:3]:
            out.append(f"failed in ({r.stage}) {r.set}: {failure}")
    if checks:
        out += ["", "targets (issue 11)", render_table(["target", "on", "value", "threshold", ""],
                                                      [[c["target"], c["on"], c["shown"], c["threshold"], c["verdict"]] for c in checks])]
    return "\n".join(out)


# --- main ------------------------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="holds sroie/img (default ../shared/data)")
    parser.add_argument("--generated", type=int, default=25, help="documents in the generated folder (one is the 3-page PDF; 0: none)")
    parser.add_argument("--limit", type=int, default=None, help="first N documents of each set (quick runs)")
    parser.add_argument("--skip", default="", help="stages to skip, e.g. a,b")
    parser.add_argument("--ocr-alone", choices=["workers", "service"], default="workers", help="stage (a)'s set-up (see above)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="documents in flight (as `iris batch --concurrency`; default IRIS_CONCURRENCY: two per core)")
    parser.add_argument("--latency-reps", type=int, default=5, help="repetitions of the warm single document (0: none)")
    parser.add_argument("--json", type=Path, default=None, help="write every figure here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (documents, result JSONs)")
    args = parser.parse_args(argv)
    if args.concurrency is None:
        from iris_common.settings import ClientSettings

        args.concurrency = ClientSettings().concurrency
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if unknown := args.skip - set(STAGES):
        parser.error(f"unknown stage(s) {sorted(unknown)}; stages are {', '.join(STAGES)}")
    return args


async def services_answer() -> list[str]:
    """The services that do not answer GET /info."""
    from iris_common.client import IrisClient
    from iris_common.settings import ClientSettings

    client = IrisClient(ClientSettings())
    try:
        infos = await asyncio.gather(*(client.info(name) for name in SERVICES))
    finally:
        await client.aclose()
    return [name for name, info in zip(SERVICES, infos) if info is None]


def service_threads() -> int | None:
    """Threads per model call of the running services: OpenCV's, as the image-processor's /health reports it."""
    import httpx

    from iris_common.settings import ClientSettings

    try:
        body = httpx.get(f"{ClientSettings().url('image-processor')}/health", timeout=5).json()
        return int(body["checks"]["opencv"]["info"]["threads"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


def memory_now(pids: dict[str, int], key: str) -> dict[str, float | None]:
    return {name: (round(kb / 1024, 1) if (kb := proc_kb(pid, key)) is not None else None) for name, pid in pids.items()}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path("/proc/self/stat").is_file():
        print("cannot run: CPU and RSS are read from /proc (Linux only)")
        return 0
    from iris_cli.prefect_env import use_local_prefect_if_running
    from iris_common.settings import IrisHomeSettings

    home = IrisHomeSettings().iris_home
    batch_on_running_services()  # before IRIS_HOME moves below
    use_local_prefect_if_running()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    work = Path(tempfile.mkdtemp(prefix="batch-throughput-", dir=home if home.is_dir() else None))
    # a cold cache: task results persist under $IRIS_HOME/prefect-results, read when the flow modules are imported;
    # a fresh home for this process only (models, pids and the services' state stay in `home`)
    os.environ["IRIS_HOME"] = str(work / "home")
    began = time.perf_counter()
    try:
        sets = [s for s in (sroie_set(args.data, work, args.limit) if args.data.is_dir() else None,
                            generated_set(work, args.generated, args.limit)) if s is not None]
        if not args.data.is_dir() or not any(s.name == "sroie" for s in sets):
            print(f"no SROIE receipts under {args.data / 'sroie' / 'img'}: measuring the generated folder only")
        if not sets:
            print("no documents to measure (pass --generated N)")
            return 0
        report = measure(args, sets, home, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report["wall_seconds"] = round(time.perf_counter() - began, 1)
    print(report["table"])
    print(f"\nthe whole run took {report['wall_seconds'] / 60:.1f} min")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        print(f"JSON: {args.json}")
    return 0


def measure(args: argparse.Namespace, sets: list[DocSet], home: Path, work: Path) -> dict[str, Any]:
    from ocr_extractor.settings import OcrExtractorSettings

    from iris_common.settings import ClientSettings

    services = {n: p for n, p in service_pids(home).items() if n in SERVICES}
    threads_from = "IRIS_CPU_THREADS"
    if "IRIS_CPU_THREADS" not in os.environ and (threads := service_threads()) is not None:
        # (a) at the service's setting and (b) at the running services' threads, whatever this tree's default is now
        os.environ["IRIS_CPU_THREADS"], threads_from = str(threads), "the running image-processor's /health"
    since_start = memory_now(services, "VmHWM")
    header = (f"batch throughput: sets {', '.join(f'{s.name} ({len(s.files)} documents, {s.pages} pages)' for s in sets)}; "
              f"{len(os.sched_getaffinity(0))} cores; concurrency {args.concurrency}; threads per model "
              f"{OcrExtractorSettings(IRIS_HOME=str(home)).cpu_threads} (from {threads_from}); embed batch {ClientSettings().embed_batch_size}; "
              f"stages {', '.join(k for k in STAGES if k not in args.skip) or 'none'}; load average at start "
              f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(header, flush=True)
    runs: list[StageRun] = []
    if "a" not in args.skip:
        runs += ocr_alone(sets, home, args.ocr_alone)

    async def later_stages() -> dict[str, Any]:
        out: dict[str, Any] = {"latency": None, "prefect_pid": None}
        if "b" not in args.skip:
            print("(b) loading the four runtimes in this process ...", flush=True)
            try:
                phases = InProcess(home)
            except Exception as exc:  # noqa: BLE001 - a model not prepared, a module moved: said, and the rest measured
                print(f"(b) not measured: {type(exc).__name__}: {exc}", flush=True)
            else:
                # first calls allocate (new input shapes, PDF rendering): one untimed document of each set first,
                # as the long-running services are warm
                await run_schedule(phases, [s.files[0] for s in sets], args.concurrency, ClientSettings().embed_batch_size)
                runs.extend(await schedule_stage("b", phases, sets, {SELF: os.getpid()}, args.concurrency,
                                                 ClientSettings().embed_batch_size))
                del phases
                gc.collect()  # the runtimes' memory, before the services are measured
        if {"c", "d"} <= args.skip:
            return out
        if missing := await services_answer():
            print(f"(c), (d) skipped: {', '.join(missing)} do not answer (start them: .venv/bin/iris up)", flush=True)
            return out
        if not services:
            print(f"(no pid files under {home / 'run'}: the services' CPU and RSS are not measured)", flush=True)
        if "c" not in args.skip:
            http = OverHttp()
            try:
                runs.extend(await schedule_stage("c", http, sets, {**services, SELF: os.getpid()}, args.concurrency,
                                                 ClientSettings().embed_batch_size))
            finally:
                await http.close()
        if "d" not in args.skip:
            print("(d) starting Prefect ...", flush=True)
            prefect_pid = out["prefect_pid"] = await start_prefect(home)
            if prefect_pid is None:
                print("(the Prefect server's pid was not found: its CPU is not counted)", flush=True)
            pids = {**services, SELF: os.getpid(), **({PREFECT: prefect_pid} if prefect_pid else {})}
            runs.extend(await batch_stage(sets, work, pids, args.concurrency))
            single = next((f for s in sets for f in s.files if f.suffix.lower() in (".jpg", ".jpeg", ".png")), None)
            if args.latency_reps > 0 and single is not None:
                out["latency"] = await warm_latency(single, work, args.latency_reps)
        return out

    later = asyncio.run(later_stages())
    order = {s.name: i for i, s in enumerate(sets)}
    runs.sort(key=lambda r: (order[r.set], r.stage))
    final = memory_now(services, "VmRSS")
    checks = targets(runs, later["latency"])
    table = render(runs, since_start, final, later["latency"], checks, header)
    compute = {r.set: r.cpu.get(SELF) for r in runs if r.stage == "b"}
    stages = []
    for r in runs:
        share, transport = orchestration_share(r, compute.get(r.set))
        services_cpu = sum(r.cpu.get(n, 0.0) for n in SERVICES)
        stages.append({**asdict(r), "docs_per_min": r.docs_per_min, "orchestration_share": share, "transport_cpu": transport,
                       "services_minus_compute_cpu": round(services_cpu - compute[r.set], 2) if r.stage in ("c", "d") and
                       compute.get(r.set) is not None else None, "services_peak_mb": services_peak(r)})
    return {"sets": {s.name: {"documents": len(s.files), "pages": s.pages, "files": [f.name for f in s.files]} for s in sets},
            "args": {k: (sorted(v) if isinstance(v, set) else str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "service_pids": services, "prefect_pid": later["prefect_pid"], "stages": stages,
            "rss_mb": {"since_start": since_start, "final": final}, "latency": later["latency"], "targets": checks, "table": table}


if __name__ == "__main__":
    sys.exit(main())
