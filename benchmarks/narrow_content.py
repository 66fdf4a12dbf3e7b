"""Phase 1's narrow-content crop measured on real pages: which pages it crops, and what the OCR reads on them.

Reads ../shared/data (skips cleanly when absent); runs the image-processor's pipeline and the ocr-extractor's
PaddleOCR engine in process (no HTTP), so it needs `iris setup` and nothing running.

- Ink span: `geometry.ink_span` of every page of doc_types.csv as a share of the page's width, per label: how many
  fall under `PipelineConfig.crop_narrow_below` (the pages phase 1 crops) and the smallest shares.
- OCR on the pages phase 1 crops: the OCR's mean line confidence and line count, three ways on each page:
  not cropped (`crop_narrow_below=0`), cropped with the clean-up decided on the whole page's measures (what phase 1
  does), and cropped with the clean-up decided on the crop's own measures (what it did first: the crop is mostly
  ink, so its noise/contrast measures cross thresholds the page does not).

    .venv/bin/python benchmarks/narrow_content.py [--labels receipt,form] [--limit 0]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def mean_confidence(engine, image: np.ndarray) -> tuple[float, int]:  # noqa: ANN001
    """Mean recognition confidence over the lines the OCR finds, and how many it finds."""
    page = engine.recognize(image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
    scores = [line.confidence for line in page.lines]
    return (statistics.fmean(scores) if scores else 0.0), len(scores)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--labels", default="", help="comma-separated doc_types.csv labels to OCR (default: every label)")
    parser.add_argument("--limit", type=int, default=0, help="at most this many cropped pages OCR'd (0: all)")
    args = parser.parse_args()
    if not (DATA / "doc_types.csv").is_file():
        print(f"skipped: {DATA / 'doc_types.csv'} is absent")
        return 0

    from image_processor.core import geometry
    from image_processor.core.enhance import enhance
    from image_processor.core.pipeline import process_page
    from image_processor.core.quality import measure
    from image_processor.models.runtime import ImageProcessorRuntime
    from image_processor.settings import ImageProcessorSettings
    from ocr_extractor.models.engines import PaddleEngine
    from ocr_extractor.settings import OcrExtractorSettings

    settings = ImageProcessorSettings()
    runtime = ImageProcessorRuntime(settings.cpu_threads, settings.models_dir, settings.auto_orient)
    runtime.load()
    full = settings.pipeline_config(apply_unwarping=True, enhance_quality=True)
    below = full.crop_narrow_below

    rows = list(csv.DictReader((DATA / "doc_types.csv").open(encoding="utf-8")))
    shares: dict[str, list[tuple[float, str]]] = {}
    pdfs = [row for row in rows if row["path"].lower().endswith(".pdf")]
    for row in rows:
        if row in pdfs:
            continue
        image = cv2.imread(str(DATA / row["path"]))
        if image is None:
            print(f"  not readable: {row['path']}", file=sys.stderr)
            continue
        box = geometry.ink_span(image, geometry.paper_colour(image))
        shares.setdefault(row["label"], []).append((box[2] / image.shape[1] if box else 1.0, row["path"]))

    print(f"ink span as a share of the page's width (geometry.ink_span), doc_types.csv, crop below {below:.2f} "
          f"({len(pdfs)} born-digital PDFs left out: phase 1 renders them, they lie on no scanner bed)")
    print(f"{'label':22} {'pages':>5} {'< ' + format(below, '.2f'):>6}  smallest shares")
    for label, values in sorted(shares.items()):
        values.sort()
        narrow = sum(share < below for share, _ in values)
        print(f"{label:22} {len(values):5} {narrow:6}  {', '.join(f'{s:.2f}' for s, _ in values[:5])}")

    wanted = set(filter(None, args.labels.split(",")))
    cropped = [(label, path) for label, values in sorted(shares.items()) if not wanted or label in wanted
               for share, path in values if share < below]
    if args.limit:
        cropped = cropped[: args.limit]
    if not cropped:
        return 0
    engine = PaddleEngine(OcrExtractorSettings())
    uncropped = replace(full, crop_narrow_below=0.0)
    geometric = replace(full, enhance_quality=False)
    print(f"\nOCR mean line confidence (lines) on the {len(cropped)} pages phase 1 crops: "
          "not cropped | cropped, clean-up on the page's measures (phase 1) | cropped, clean-up on the crop's measures")
    columns: list[list[float]] = [[], [], []]
    for label, path in cropped:
        image = cv2.imread(str(DATA / path))
        plain = process_page(image, uncropped, runtime.read_lines).image
        served = process_page(image, full, runtime.read_lines).image
        crop = process_page(image, geometric, runtime.read_lines).image
        on_crop, _ = enhance(crop, measure(crop), full.thresholds)
        read = [mean_confidence(engine, page) for page in (plain, served, on_crop)]
        for column, (confidence, _) in zip(columns, read):
            column.append(confidence)
        cells = " | ".join(f"{c:.2f} ({n:3})" for c, n in read)
        print(f"  {label:8} {Path(path).name[-34:]:34} {image.shape[1]}x{image.shape[0]} -> {served.shape[1]}x{served.shape[0]}  {cells}")
    means = " | ".join(f"{statistics.fmean(c):.3f}" for c in columns)
    lowest = " | ".join(f"{min(c):.2f}" for c in columns)
    print(f"  mean over pages: {means}\n  lowest page:     {lowest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
