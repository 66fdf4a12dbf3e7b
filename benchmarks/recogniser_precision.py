"""The recogniser's precision, fp32 vs int8, side by side in one run (issue 11: a faster recogniser that keeps
SROIE CER within +0.3 points and the extraction F1 within -0.005).

The 60 SROIE receipts of ../shared/data/sroie go once through phase 1 (the image-processor's pipeline in this
process, its line reader on the fp32 recogniser as the service runs it); then, for each column, the ocr-extractor's
own `PaddleEngine` (OCR_REC_PRECISION=fp32 | int8, both folders prepared by `iris setup` from the rapidocr wheel,
`iris_models.ocr_weights`) reads the processed pages in worker processes of this benchmark, each at one thread
(onnxruntime, OpenMP and OpenCV at 1):

- s/receipt @1 thread: one worker alone, the receipts one after the other; the median and the mean of
  `engine.recognize` wall time per receipt (the page is decoded before the clock starts).
- receipts/min, 2 x 1 thread: two such workers sharing a queue of the 60 receipts; 60 / wall seconds x 60.
- CER: the OCR lines mapped back onto the scan (phase 1's transform), in reading order, case-folded, whitespace
  removed, Levenshtein distance / reference length summed over the receipts, against the SROIE box/*.csv lines
  (as benchmarks/phase1_benchmark.py measures it); and `iris eval`'s aligned CER of the same reads.
- field F1: company, address, date, total: `extract_document` (receipt, threshold 0.5, the calibration of the
  models folder) in this process on each column's reads, scored by `iris_cli.evaluation` as benchmarks/dev_sets.py
  scores them; micro F1 over the four fields and each field's F1.

The "delta" column is int8 - fp32 with the targets' verdicts (CER <= +0.3 points, F1 >= -0.005).

    .venv/bin/python benchmarks/recogniser_precision.py                      # fp32 vs int8, ~6 min on 2 cores
    .venv/bin/python benchmarks/recogniser_precision.py --limit 10           # quick
    .venv/bin/python benchmarks/recogniser_precision.py --column q=/tmp/models:fp32   # another models folder

Models come from IRIS_MODELS_DIR (run `iris setup` first: the int8 folder is made there).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _measure import stop_workers  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SROIE = DATA / "sroie"
THRESHOLD = 0.5
CER_BUDGET = 0.003  # +0.3 points
F1_BUDGET = -0.005


def _worker(models_dir: str, precision: str, tasks: Any, results: Any) -> None:
    """One single-thread OCR engine reading the processed pages it is sent: (index, lines, seconds)."""
    os.environ.update({"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    import cv2
    import numpy as np

    from ocr_extractor.core.layout import build_ocr_result
    from ocr_extractor.models.engines import PaddleEngine
    from ocr_extractor.settings import OcrExtractorSettings

    cv2.setNumThreads(1)
    settings = OcrExtractorSettings(IRIS_MODELS_DIR=models_dir, OCR_REC_PRECISION=precision, IRIS_CPU_THREADS=1,
                                    LOG_LEVEL="WARNING")
    engine = PaddleEngine(settings)
    engine.recognize(np.full((64, 256, 3), 255, dtype=np.uint8))
    results.put(("ready", os.getpid(), engine.describe()["models"][1]))
    for index, path in iter(tasks.get, None):
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        started = time.perf_counter()
        page = engine.recognize(image)
        seconds = time.perf_counter() - started
        results.put(("done", index, (build_ocr_result("paddleocr", [page]).model_dump(mode="json"), seconds)))


def run_workers(models_dir: str, precision: str, pages: list[str], workers: int) -> tuple[dict[int, Any], float, dict]:
    """(index -> (OcrResult JSON, seconds), wall seconds of the whole queue, the recogniser's describe() entry)."""
    ctx = multiprocessing.get_context("spawn")
    tasks, results = ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(models_dir, precision, tasks, results), daemon=True) for _ in range(workers)]
    for proc in procs:
        proc.start()
    try:
        described = [results.get(timeout=300)[2] for _ in procs][0]
        started = time.perf_counter()
        for item in enumerate(pages):
            tasks.put(item)
        out = {}
        for _ in pages:
            _, index, value = results.get(timeout=600)
            out[index] = value
        wall = time.perf_counter() - started
    finally:
        stop_workers(tasks, procs)
    return out, wall, described


def phase1(docs: list[Any], work: Path) -> tuple[list[str], list[list[list[float]]]]:
    """Each receipt through the image-processor's pipeline in process: processed page PNG + transform."""
    import cv2

    from image_processor.core.pipeline import process_page
    from image_processor.models.runtime import ImageProcessorRuntime
    from image_processor.settings import ImageProcessorSettings
    from iris_common.io.images import decode_pages
    from iris_common.web.uploads import limits_of

    settings = ImageProcessorSettings(LOG_LEVEL="WARNING")
    runtime = ImageProcessorRuntime(settings.cpu_threads, settings.models_dir, settings.auto_orient)
    runtime.load()
    if runtime.error or runtime.reader_error:
        raise SystemExit(f"image-processor runtime: {runtime.error or runtime.reader_error}")
    config, limits = settings.pipeline_config(apply_unwarping=True, enhance_quality=True), limits_of(settings)
    read, calls = runtime.read_lines, []

    def recorded(crops):  # noqa: ANN001, ANN202 - the orientation step's crops, kept to replay on each precision
        calls.append(list(crops))
        return read(crops)

    paths, transforms, seconds = [], [], []
    for i, doc in enumerate(docs):
        page = decode_pages(doc.image.read_bytes(), limits, 0).pages[0]
        started = time.perf_counter()
        result = process_page(page, config, recorded if read is not None else None)
        seconds.append(time.perf_counter() - started)
        path = work / f"{i:03d}.png"
        cv2.imwrite(str(path), result.image)
        paths.append(str(path))
        transforms.append([[float(v) for v in row] for row in result.transform])
    return paths, transforms, {"seconds": seconds, "calls": calls, "threads": settings.cpu_threads,
                               "models_dir": settings.models_dir}


def line_reader(phase: dict[str, Any], precisions: list[tuple[str, str, str]]) -> dict[str, dict[str, float]]:
    """The image-processor's orientation reader (LineRecognizer) replayed on phase 1's crops with each column's
    recognition file: its seconds per receipt and how far its confidences move from the first column's."""
    import numpy as np

    from image_processor.models.line_reader import LineRecognizer
    from iris_models.ocr_weights import rec_dir

    out: dict[str, dict[str, float]] = {}
    base = None
    for label, folder, precision in precisions:
        reader = LineRecognizer(rec_dir(Path(folder), precision) / "inference.onnx", 1)
        reader.confidences(phase["calls"][0] if phase["calls"] else [])
        started = time.perf_counter()
        values = [reader.confidences(crops) for crops in phase["calls"]]
        seconds = time.perf_counter() - started
        flat = np.concatenate(values) if values else np.zeros(0)
        base = flat if base is None else base
        out[label] = {"seconds": seconds / max(len(phase["seconds"]), 1),
                      "max_diff": float(np.abs(flat - base).max()) if flat.size else 0.0}
    return out


def score(docs: list[Any], reads: dict[int, Any], transforms: list[Any]) -> dict[str, Any]:
    """CER (reading order, as phase1_benchmark; and iris eval's aligned CER) and the field F1 of one column."""
    from iris_cli.evaluation.report import score_document
    from iris_cli.evaluation.scoring import edit_distance, reading_order_text
    from iris_common.contract.extraction import DocumentType, OcrResult
    from ocr_extractor.core.document import extract_document
    from ocr_extractor.core.geometry import as_matrix, to_original
    from ocr_extractor.models.calibrate import load_calibration
    from ocr_extractor.settings import OcrExtractorSettings

    settings = OcrExtractorSettings()
    try:
        calibration = load_calibration(settings.models_dir)
    except (OSError, ValueError):
        calibration = None
    edits = chars = aligned_edits = aligned_chars = 0
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for i, doc in enumerate(docs):
        ocr = OcrResult.model_validate(reads[i][0])
        structured = extract_document(ocr, DocumentType.RECEIPT, confidence_threshold=THRESHOLD,
                                      default_day_first=settings.date_day_first, calibration=calibration)
        ocr, structured = to_original(ocr, structured, [as_matrix(transforms[i])])
        predicted = reading_order_text([(line.text, list(line.bbox)) for line in ocr.lines])
        reference = reading_order_text([(text, box) for text, box in doc.lines if box is not None])
        edits += edit_distance(predicted, reference)
        chars += max(len(reference), 1)
        extraction = {"structured_document": structured.model_dump(mode="json"), "ocr": ocr.model_dump(mode="json")}
        outcomes, _, doc_cer, _ = score_document(doc, extraction, transforms[i])
        for o in outcomes:
            c = counts[o.name]
            c[0], c[1], c[2] = c[0] + o.tp, c[1] + o.fp, c[2] + o.fn
        if doc_cer:
            aligned_edits, aligned_chars = aligned_edits + doc_cer[0], aligned_chars + doc_cer[1]

    def f1(tp: int, fp: int, fn: int) -> float:
        return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

    total = [sum(c[k] for c in counts.values()) for k in range(3)]
    return {"cer": edits / max(chars, 1), "cer_aligned": aligned_edits / max(aligned_chars, 1), "f1": f1(*total),
            "fields": {name: f1(*c) for name, c in sorted(counts.items())}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="only the first N receipts")
    parser.add_argument("--column", action="append", default=[], metavar="LABEL=MODELS_DIR:PRECISION",
                        help="a column of its own (default: fp32 and int8 of IRIS_MODELS_DIR)")
    parser.add_argument("--skip-single", action="store_true", help="no 1-worker run (s/receipt), only the 2-worker one")
    args = parser.parse_args()
    if not (SROIE / "img").is_dir():
        print(f"{SROIE} absent: nothing to measure")
        return 0

    from iris_cli.evaluation.readers import read_labels
    from iris_common.settings import ServiceSettings

    models_dir = str(ServiceSettings().models_dir)
    columns = []
    for spec in args.column or [f"fp32={models_dir}:fp32", f"int8={models_dir}:int8"]:
        label, rest = spec.split("=", 1)
        folder, precision = rest.rsplit(":", 1)
        columns.append((label, folder, precision))
    docs = read_labels(SROIE, "sroie").documents
    docs = docs[: args.limit] if args.limit else docs
    print(f"{len(docs)} SROIE receipts; phase 1 in process ...", flush=True)
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="iris-recprec-") as tmp:
        pages, transforms, phase = phase1(docs, Path(tmp))
        readers = line_reader(phase, columns)
        print(f"phase 1: {statistics.fmean(phase['seconds']):.3f} s/receipt at {phase['threads']} thread(s); orientation "
              "reader on its crops: " + ", ".join(f"{k} {v['seconds']:.3f} s/receipt (max |conf - {columns[0][0]}| "
                                                  f"{v['max_diff']:.4f})" for k, v in readers.items()), flush=True)
        for label, folder, precision in columns:
            row: dict[str, Any] = {}
            if not args.skip_single:
                reads, _, described = run_workers(folder, precision, pages, 1)
                seconds = [reads[i][1] for i in range(len(pages))]
                row.update(s_median=statistics.median(seconds), s_mean=statistics.fmean(seconds))
            reads2, wall, described = run_workers(folder, precision, pages, 2)
            row["rate2"] = len(pages) / wall * 60
            row.update(score(docs, reads if not args.skip_single else reads2, transforms))
            row["sha256"] = str(described.get("sha256", "?"))[:12]
            rows[label] = row
            print(f"  {label}: " + ", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
                                             if k != "fields"), flush=True)

    labels = list(rows)
    fields = sorted({f for r in rows.values() for f in r["fields"]})
    metrics = [("CER (reading order)", "cer", "{:.4f}"), ("CER (iris eval, aligned)", "cer_aligned", "{:.4f}"),
               ("field F1 (micro, 4 fields)", "f1", "{:.4f}")]
    metrics += [(f"  F1 {f}", f, "{:.4f}") for f in fields]
    if not args.skip_single:
        metrics += [("s/receipt @1 thread, median", "s_median", "{:.3f}"), ("s/receipt @1 thread, mean", "s_mean", "{:.3f}")]
    metrics += [("receipts/min, 2 x 1 thread", "rate2", "{:.1f}"), ("recogniser sha256", "sha256", "{}")]
    base = labels[0]
    print(f"\n{len(docs)} SROIE receipts, OCR of the processed pages; delta = column - {base}")
    w = max(14, max(len(label) for label in labels) + 2)
    dw = max(16, max(len(label) for label in labels) + 8)
    print(f"{'':<30}" + "".join(f"{label:>{w}}" for label in labels) + "".join(f"{'delta ' + l:>{dw}}" for l in labels[1:]))
    for title, key, fmt in metrics:
        values = [rows[l][key] if key in rows[l] else rows[l]["fields"].get(key) for l in labels]
        line = f"{title:<30}" + "".join(f"{fmt.format(v) if v is not None else '-':>{w}}" for v in values)
        for v in values[1:]:
            if isinstance(v, float) and isinstance(values[0], float):
                delta = v - values[0]
                verdict = ""
                if key == "cer":
                    verdict = " ok" if delta <= CER_BUDGET else " OVER"
                elif key == "f1":
                    verdict = " ok" if delta >= F1_BUDGET else " OVER"
                elif key in ("s_median", "s_mean", "rate2"):
                    verdict = f" {v / values[0] - 1:+.0%}"
                line += f"{delta:>+{dw - 5}.4f}{verdict:<5}"
        print(line)
    print(f"targets: CER within +{CER_BUDGET * 100:.1f} points, field F1 within {F1_BUDGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
