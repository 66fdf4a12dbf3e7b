"""Phase 1 (image-processor) measured on real documents: without phase 1 | with phase 1 | target, in one table.

Reads ../shared/data (skips cleanly when absent). Geometry rows run the image-processor's pipeline in process on
every SROIE and FUNSD scan; OCR rows use the ocr-extractor's own PaddleOCR engine (PP-OCRv6, prepared by
`iris setup`) in process on fixed-seed subsets (sizes printed), so no HTTP is involved.

- orientation: each scan turned by 90, 180 and 270 degrees; correct when the processed page is upright
  (the composed transform's rotation is within 45 degrees of none). Upright scans: share left unturned.
- skew: each scan rotated by a random angle in [-15, 15]; residual = |angle applied by phase 1 - (rotation + the
  unrotated scan's own text-line angle)|, the scan's own angle measured by the same estimator (no ground truth
  angle exists for these scans; synthetic pages with known angles are in the unit tests).
- OCR CER: text in reading order, case-folded, whitespace removed, Levenshtein distance / reference length,
  summed over pages. References: SROIE box/*.csv lines, FUNSD annotation words, WildReceipt annotation text.
- time per page: wall time of the whole pipeline (enhancement included) at IRIS_CPU_THREADS (default 2), and the
  CPU time (process time, all threads) per page, which depends less on what else runs on the machine; the load
  average is printed beside it.

    .venv/bin/python benchmarks/phase1_benchmark.py [--ocr-pages 12] [--photos 56] [--flat 20] [--geometry-step 1]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
EVIDENCE = Path(os.environ.get("IRIS_EVIDENCE_DIR", Path.home() / ".iris" / "evidence"))


def rotation_of(matrix: np.ndarray) -> float:
    """Rotation angle (degrees, counter-clockwise as displayed) of a 3x3 transform's linear part."""
    return float(np.degrees(np.arctan2(-matrix[1, 0], matrix[0, 0])))


def sroie_reference(image_path: Path) -> list[tuple[str, list[float]]]:
    items = []
    with (image_path.parent.parent / "box" / f"{image_path.stem}.csv").open(encoding="utf-8", errors="ignore") as handle:
        for row in csv.reader(handle):
            try:
                xs, ys = [float(v) for v in row[0:8:2]], [float(v) for v in row[1:8:2]]
            except ValueError:
                continue
            items.append((",".join(row[8:]), [min(xs), min(ys), max(xs), max(ys)]))
    return items


def funsd_reference(image_path: Path) -> list[tuple[str, list[float]]]:
    form = json.loads((image_path.parent.parent / "annotations" / f"{image_path.stem}.json").read_text())["form"]
    return [(w["text"], [float(v) for v in w["box"]]) for entity in form for w in entity["words"]]


def wildreceipt_items() -> list[tuple[Path, list[tuple[str, list[float]]]]]:
    root = DATA / "wildreceipt"
    out = []
    for name in ("test_subset.txt", "spanish_subset.txt"):
        for line in (root / name).read_text().splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            items = []
            for a in record["annotations"]:
                xs, ys = a["box"][0::2], a["box"][1::2]
                items.append((a["text"], [min(xs), min(ys), max(xs), max(ys)]))
            out.append((root / record["file_name"], items))
    return out


class Ocr:
    """The ocr-extractor's PaddleOCR engine, in process; CER against a reference in reading order."""

    def __init__(self) -> None:
        from ocr_extractor.models.engines import PaddleEngine
        from ocr_extractor.settings import OcrExtractorSettings

        self.engine = PaddleEngine(OcrExtractorSettings())

    def text(self, image: np.ndarray) -> str:
        from iris_cli.evaluation.scoring import reading_order_text

        page = self.engine.recognize(image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
        items = []
        for line in page.lines:
            xs, ys = [p[0] for p in line.polygon], [p[1] for p in line.polygon]
            items.append((line.text, [min(xs), min(ys), max(xs), max(ys)]))
        return reading_order_text(items)

    @staticmethod
    def errors(predicted: str, reference_items: list[tuple[str, list[float]]]) -> tuple[int, int]:
        from iris_cli.evaluation.scoring import edit_distance, reading_order_text

        reference = reading_order_text(reference_items)
        return edit_distance(predicted, reference), max(len(reference), 1)


def side_by_side(path: Path, before: np.ndarray, after: np.ndarray, height: int = 900) -> None:
    """Before | after, scaled to one height, for a visual check (saved outside the repository)."""
    tiles = []
    for image in (before, after):
        image = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        scale = height / image.shape[0]
        tiles.append(cv2.resize(image, (max(1, round(image.shape[1] * scale)), height), interpolation=cv2.INTER_AREA))
    gap = np.full((height, 16, 3), 255, np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.hstack([tiles[0], gap, tiles[1]]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ocr-pages", type=int, default=12, help="rotated SROIE and FUNSD scans OCR'd, each")
    parser.add_argument("--photos", type=int, default=56, help="WildReceipt photos OCR'd")
    parser.add_argument("--flat", type=int, default=20, help="flat SROIE scans OCR'd")
    parser.add_argument("--geometry-step", type=int, default=1, help="every n-th scan for the orientation/skew rows")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"skipped: {DATA} is absent")
        return 0

    from image_processor.core.geometry import quarter_turn, rotation
    from image_processor.core.pipeline import process_page
    from image_processor.models.runtime import ImageProcessorRuntime
    from image_processor.settings import ImageProcessorSettings

    settings = ImageProcessorSettings()
    runtime = ImageProcessorRuntime(settings.cpu_threads, settings.models_dir, settings.auto_orient)
    runtime.load()
    if runtime.reader is None:
        print(f"orientation model missing ({runtime.reader_error}): run `iris setup`")
        return 1
    full = settings.pipeline_config(apply_unwarping=True, enhance_quality=True)
    geometric = settings.pipeline_config(apply_unwarping=True, enhance_quality=False)

    def run(image: np.ndarray, config=full):  # noqa: ANN001, ANN202
        return process_page(image, config, runtime.read_lines)

    cpu_times: list[float] = []

    def timed(image: np.ndarray):  # noqa: ANN202
        """The full pipeline, timed: wall (into `times`) and CPU of the process (into `cpu_times`)."""
        cpu, started = time.process_time(), time.perf_counter()
        result = run(image)
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu)
        return result

    load_start = os.getloadavg()

    rng = np.random.default_rng(args.seed)
    sroie = sorted((DATA / "sroie" / "img").glob("*.jpg"))
    funsd = sorted((DATA / "funsd" / "training_data" / "images").glob("*.png"))
    scans = (sroie + funsd)[:: args.geometry_step]

    # orientation and skew on every scan
    oriented = upright_kept = 0
    residuals, skew_before = [], []
    times: list[float] = []
    for path in scans:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        base = run(image, geometric)
        upright_kept += abs(rotation_of(base.transform)) < 45
        own_angle = base.skew.angle
        for turns in (1, 2, 3):
            turned, to_turned = quarter_turn(image, turns)
            result = run(turned, geometric)
            oriented += abs(rotation_of(result.transform @ to_turned)) < 45
        angle = float(rng.uniform(-15, 15))
        rotated, to_rotated = rotation(image, angle)
        result = run(rotated, geometric)
        applied = rotation_of(result.transform)  # counter-clockwise rotation phase 1 applied
        residuals.append(abs(applied + angle + own_angle))
        skew_before.append(abs(angle + own_angle))
    n_turned = 3 * len(scans)

    ocr = Ocr()
    cer: dict[str, list[int]] = {k: [0, 0] for k in ("orig", "rot_without", "rot_with", "flat_without", "flat_with")}

    def add(key: str, errors: tuple[int, int]) -> None:
        cer[key][0] += errors[0]
        cer[key][1] += errors[1]

    # OCR on turned + skewed scans (fixed-seed subset of each set)
    sub_rng = np.random.default_rng(args.seed + 1)
    subset = [(p, sroie_reference) for p in sub_rng.choice(sroie, min(args.ocr_pages, len(sroie)), replace=False)]
    subset += [(p, funsd_reference) for p in sub_rng.choice(funsd, min(args.ocr_pages, len(funsd)), replace=False)]
    evidence_rotated = None
    for path, reference in subset:
        path = Path(path)
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        ref = reference(path)
        add("orig", ocr.errors(ocr.text(image), ref))
        turned, _ = quarter_turn(image, int(sub_rng.integers(1, 4)))
        turned, _ = rotation(turned, float(sub_rng.uniform(-15, 15)))
        add("rot_without", ocr.errors(ocr.text(turned), ref))
        result = timed(turned)
        add("rot_with", ocr.errors(ocr.text(result.image), ref))
        if evidence_rotated is None:
            evidence_rotated = (turned, result.image)

    # flat SROIE scans: phase 1 must not hurt
    for path in sorted(sroie, key=lambda p: p.name)[: args.flat]:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        ref = sroie_reference(path)
        add("flat_without", ocr.errors(ocr.text(image), ref))
        result = timed(image)
        add("flat_with", ocr.errors(ocr.text(result.image), ref) if result.steps else ocr.errors(ocr.text(image), ref))

    # photographed receipts
    photos = wildreceipt_items()
    photos = [photos[i] for i in sorted(np.random.default_rng(args.seed + 2).choice(len(photos), min(args.photos, len(photos)), replace=False))]
    lower = equal = higher = 0
    photo_cer = {"without": [0, 0], "with": [0, 0]}
    evidence_photo, best_gain = None, (False, -1.0)  # an unwarped photo first, then the largest OCR gain
    for path, ref in photos:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        e0 = ocr.errors(ocr.text(image), ref)
        result = timed(image)
        e1 = ocr.errors(ocr.text(result.image), ref) if result.steps else e0
        for key, e in (("without", e0), ("with", e1)):
            photo_cer[key][0] += e[0]
            photo_cer[key][1] += e[1]
        lower += e1[0] < e0[0]
        equal += e1[0] == e0[0]
        higher += e1[0] > e0[0]
        gain = (e0[0] - e1[0]) / e0[1]
        if result.steps and (result.unwarped, gain) > best_gain:
            evidence_photo, best_gain = (image, result.image, path.name), (result.unwarped, gain)

    # warped photos: no reference text for these pages; report what phase 1 did
    warped_notes = []
    for path in sorted((DATA / "warped" / "photos").glob("*")):
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        result = timed(image)
        warped_notes.append(f"{path.name}: {[s.name for s in result.steps]}")

    rate = {k: v[0] / v[1] for k, v in cer.items()}
    rows = [
        ("orientation accuracy, SROIE+FUNSD turned 90/180/270", f"0.000 (of {n_turned})", f"{oriented / n_turned:.4f}", ">= 0.98"),
        ("upright scans left unturned", "1.000", f"{upright_kept / len(scans):.4f} (of {len(scans)})", "1.0 (no false turns)"),
        ("residual skew, rotated [-15, 15] deg (median)", f"{statistics.median(skew_before):.2f} deg",
         f"{statistics.median(residuals):.3f} deg (p90 {np.percentile(residuals, 90):.2f})", "<= 0.3 deg"),
        (f"OCR CER turned+skewed scans ({len(subset)}) / unrotated ({rate['orig']:.4f})",
         f"{rate['rot_without'] / rate['orig']:.2f}x (CER {rate['rot_without']:.4f})",
         f"{rate['rot_with'] / rate['orig']:.3f}x (CER {rate['rot_with']:.4f})", "<= 1.1x"),
        (f"OCR CER WildReceipt photos ({len(photos)}): lower with phase 1",
         f"CER {photo_cer['without'][0] / photo_cer['without'][1]:.4f}",
         f"lower on {lower / len(photos):.0%} (equal {equal}, higher {higher}); CER {photo_cer['with'][0] / photo_cer['with'][1]:.4f}",
         ">= 70% of photos"),
        ("OCR CER warped photos (3)", "n/a: no reference", "n/a: no reference", "lower on >= 70%"),
        (f"OCR CER flat SROIE scans ({args.flat})", f"{rate['flat_without']:.4f}",
         f"{rate['flat_with']:.4f} ({rate['flat_with'] / rate['flat_without']:.3f}x)", "<= 1.02x"),
        (f"time per page, {settings.cpu_threads} threads ({len(times)} pages, median / mean)", "0",
         f"{statistics.median(times):.3f} / {statistics.mean(times):.3f} s", "<= 0.3 s"),
        ("CPU time per page (process time, median / mean)", "0",
         f"{statistics.median(cpu_times):.3f} / {statistics.mean(cpu_times):.3f} CPU-s", ""),
    ]
    widths = [max(len(r[i]) for r in rows + [("measure", "without phase 1", "with phase 1", "target")]) for i in range(4)]
    header = ("measure", "without phase 1", "with phase 1", "target")
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(row, widths)))
    print("warped photos:", "; ".join(warped_notes))
    load_end = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores; load average (1/5/15 min) at start {', '.join(f'{v:.2f}' for v in load_start)}, "
          f"at end {', '.join(f'{v:.2f}' for v in load_end)}")
    if evidence_rotated is not None:
        side_by_side(EVIDENCE / "phase1_rotated_before_after.png", *evidence_rotated)
    if evidence_photo is not None:
        side_by_side(EVIDENCE / "phase1_photo_before_after.png", evidence_photo[0], evidence_photo[1])
        print(f"evidence: {EVIDENCE / 'phase1_rotated_before_after.png'}, {EVIDENCE / 'phase1_photo_before_after.png'} ({evidence_photo[2]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
