"""Phases 2-4 on real documents: default classifier accuracy, few-shot accuracy, clustering ARI, new-type flags, speed.

Reads ../shared/data (doc_types.csv + warped/photos); prints a skip message and exits 0 when it is absent.
The default model is trained here from generated documents only (docgen; never ../shared) into a temporary
models dir, exactly as `iris setup` does, so the figures do not depend on what is installed in ~/.iris.
Every accuracy is printed twice, side by side: from the image alone, and with the page's words (the
PaddleOCR text the pipeline reads in phase 5; cached per file under --ocr-cache, ~0.9 s a page the first time).

    IRIS_CPU_THREADS=2 .venv/bin/python benchmarks/phases24_benchmark.py [--per-class 56] [--shots 10] [--seeds 0,1,2]
"""

import argparse
import hashlib
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from iris_common.io.images import DecodeLimits, decode_document
from iris_common.settings import ServiceSettings
from ml_classifier.core import training
from ml_classifier.core.evaluation import LabelledFile, format_report, from_csv, score
from ml_classifier.models.prepare import prepare
from ml_classifier.models.runtime import ClassifierRuntime
from ml_classifier.settings import ClassifierSettings
from ml_embeddings.core.clustering import cluster, describe
from ocr_extractor.models.runtime import OcrRuntime
from ocr_extractor.settings import OcrExtractorSettings

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
TARGET_LABELS = {"receipt", "form", "invoice"}
LIMITS = DecodeLimits(max_pixels=200_000_000, min_side=8, max_pdf_pages=1)


def source_of(item: LabelledFile) -> str:
    """The folder a page came from (finer than the CSV's source, which merges the two VRDU sets)."""
    rel = item.path.resolve().relative_to(DATA.resolve()).parts
    return rel[1] if rel[0] == "doc_types" else rel[0]


def first_page(path: Path) -> np.ndarray:
    return decode_document(path.read_bytes(), LIMITS)[1][0]


def page_texts(paths: list[Path], pages: list[np.ndarray], cache: Path) -> list[str]:
    """PaddleOCR text of each page (what ocr-extractor /ocr returns), cached by file content."""
    cache.mkdir(parents=True, exist_ok=True)
    runtime: OcrRuntime | None = None
    texts = []
    for path, page in zip(paths, pages):
        entry = cache / (hashlib.sha256(path.read_bytes()).hexdigest()[:24] + ".json")
        if not entry.is_file():
            if runtime is None:
                runtime = OcrRuntime(OcrExtractorSettings(LOG_LEVEL="WARNING"))
                runtime.load()
                if runtime.engine is None:
                    raise SystemExit(f"OCR engine not available: {runtime.error}")
            entry.write_text(json.dumps({"path": str(path), "text": runtime.recognize([page]).text}))
        texts.append(json.loads(entry.read_text())["text"])
    return texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-class", type=int, default=None, help="generated pages per class (default: iris setup's)")
    parser.add_argument("--shots", type=int, default=10)
    parser.add_argument("--seeds", default="0,1,2", help="few-shot draws (comma-separated seeds)")
    parser.add_argument("--ocr-cache", type=Path, default=ServiceSettings().iris_home / "cache" / "phases24-ocr")
    args = parser.parse_args()
    if not (DATA / "doc_types.csv").is_file():
        print(f"SKIP: {DATA / 'doc_types.csv'} not found (../shared/data is absent)")
        return 0

    tmp = Path(tempfile.mkdtemp(prefix="iris-phases24-"))
    installed = ServiceSettings().models_dir / "embeddings"
    if installed.is_dir():
        shutil.copytree(installed, tmp / "embeddings")  # reuse the exported ONNX encoder (prepare checks it)
    settings = ClassifierSettings(IRIS_MODELS_DIR=str(tmp), OPENCLIP_MODEL=None, OPENCLIP_PRETRAINED=None, LOG_LEVEL="WARNING")
    started = time.perf_counter()
    kwargs = {"per_class": args.per_class} if args.per_class else {}
    default = prepare(tmp, settings=settings, **kwargs)
    print(f"default model {default['version']} trained on generated pages in {time.perf_counter() - started:.0f}s: "
          f"{default['metadata']['training_size']}")
    runtime = ClassifierRuntime(settings)
    runtime.load()

    items = [i for i in from_csv(DATA / "doc_types.csv") if i.path.is_file()]
    warped = sorted((DATA / "warped" / "photos").glob("*.*"))
    pages = [first_page(i.path) for i in items]
    warped_pages = [first_page(p) for p in warped]
    started = time.perf_counter()
    texts = page_texts([i.path for i in items], pages, args.ocr_cache)
    warped_texts = page_texts(warped, warped_pages, args.ocr_cache)
    print(f"page texts (PaddleOCR, cache {args.ocr_cache}): {time.perf_counter() - started:.0f}s for {len(texts)} pages")

    # time per page: embedding + classification of one decoded page at a time (what /classify does per upload)
    sample = list(range(0, len(pages), max(1, len(pages) // 40)))
    per_page: dict[str, tuple[float, float]] = {}
    for mode in ("image", "image+text"):
        t0, c0 = time.perf_counter(), time.process_time()
        for k in sample:
            runtime.classify_images([pages[k]], [texts[k]] if mode == "image+text" else None)
        per_page[mode] = ((time.perf_counter() - t0) / len(sample), (time.process_time() - c0) / len(sample))
    t0 = time.perf_counter()
    runtime.embed([pages[k] for k in sample])
    batch_rate = len(sample) / (time.perf_counter() - t0)

    vectors = runtime.embed(pages)
    warped_vectors = runtime.embed(warped_pages)
    target = [k for k, i in enumerate(items) if i.label in TARGET_LABELS]
    truth = [items[k].label for k in target]
    sources = [source_of(items[k]) for k in target]
    default: dict[str, float] = {}
    results = runtime.classify_embeddings(vectors, texts)  # as the pipeline classifies: feeds the new-type flags below
    for mode, mode_texts in (("image", None), ("image+text", texts)):
        predicted = [r.predicted_class for r in runtime.classify_embeddings(vectors[target], None if mode_texts is None else [mode_texts[k] for k in target])]
        report = score(truth, predicted, sources)
        default[mode] = report.accuracy
        print(f"\n== default model (generated training data only), {mode}, on doc_types.csv receipt/form/invoice ==")
        print(format_report(report))

    # few-shot: `shots` real examples per class (one draw per seed), evaluated on the rest
    base = runtime.store.load_base_set()
    assert base is not None and base.texts is not None, "the default model's base set (with texts) is missing"
    by_label: dict[str, list[int]] = {}
    for k in target:
        by_label.setdefault(items[k].label, []).append(k)
    seeds = [int(x) for x in args.seeds.split(",")]
    few: dict[tuple[str, str], list[float]] = {}
    for seed in seeds:
        rng = random.Random(seed)
        shots = sorted(k for label in sorted(by_label) for k in rng.sample(by_label[label], args.shots))
        rest = [k for k in target if k not in set(shots)]
        shot_labels = [items[k].label for k in shots]
        for name, (x, y, t) in {
            "few-shot only": (vectors[shots], shot_labels, [texts[k] for k in shots]),
            "few-shot + generated base": (np.vstack([vectors[shots], base.embeddings]), shot_labels + base.labels,
                                          [texts[k] for k in shots] + base.texts),
        }.items():
            estimator = training.fit(x, y, c=settings.classifier_c, texts=t, text_weight=settings.classifier_text_weight)
            for mode, rest_texts in (("image", None), ("image+text", [texts[k] for k in rest])):
                pred = [training.best_of(sc)[0] for sc in training.predict_scores(estimator, vectors[rest], rest_texts)]
                report = score([items[k].label for k in rest], pred, [source_of(items[k]) for k in rest])
                few.setdefault((name, mode), []).append(report.accuracy)
                if seed == seeds[0] and name == "few-shot + generated base":
                    print(f"\n== {name}, {args.shots}/class (seed {seed}), {mode}, on the other {len(rest)} pages ==")
                    print(format_report(report))

    # clustering of the mixed batch (every labelled page), automatic k
    t0 = time.perf_counter()
    clustering = cluster(vectors, None, max_k=10, threads=settings.cpu_threads)
    ari = adjusted_rand_score([i.label for i in items], clustering.labels)
    ari_target = adjusted_rand_score([items[k].label for k in target], [clustering.labels[k] for k in target])
    all_vectors = np.vstack([vectors, warped_vectors])
    names = [source_of(i) + "/" + i.path.name for i in items] + ["warped/" + p.name for p in warped]
    all_results = results + runtime.classify_embeddings(warped_vectors, warped_texts)
    batch = cluster(all_vectors, None, max_k=10, threads=settings.cpu_threads)
    described = describe(all_vectors, batch, names=names, types=[r.predicted_class for r in all_results],
                         confidences=[r.confidence for r in all_results])
    cluster_seconds = time.perf_counter() - t0
    flagged = {c["index"] for c in described.candidates}
    truth_all = [i.label for i in items] + ["warped"] * len(warped)
    print(f"\n== clustering: {len(items)} labelled pages, automatic k ==")
    print(f"k = {clustering.k} (silhouette {clustering.quality}); ARI vs labels = {ari:.3f} (all 5 labels); "
          f"ARI on receipt/form/invoice pages = {ari_target:.3f}")
    print(f"\n== batch with the {len(warped)} warped photos added: k = {batch.k}, outlier threshold {described.threshold} ==")
    print(f"{'cluster':<8}{'size':>5}  {'majority type':<14} {'types':<45} nearest to centre")
    for c in described.clusters:
        print(f"{c['cluster']:<8}{c['size']:>5}  {str(c['majority_type']):<14} {str(c['types']):<45} {', '.join(c['examples'])}")
    print("\nnew-type candidates flagged, by true label:")
    for label in sorted(set(truth_all)):
        members = [k for k, t in enumerate(truth_all) if t == label]
        print(f"  {label:<24} {sum(k in flagged for k in members):>3} / {len(members)}")
    for c in described.candidates:
        if truth_all[c["index"]] == "warped":
            print(f"  {c['name']}: {'; '.join(c['reasons'])}")

    def accuracies(values: list[float]) -> str:
        return " / ".join(f"{v:.3f}" for v in values) + (f" (min {min(values):.3f})" if len(values) > 1 else "")

    print("\n== summary (image only | image + page text) ==")
    rows = [
        ("default model accuracy (never trained on ../shared)", f"{default['image']:.3f}", f"{default['image+text']:.3f}", ">= 0.90"),
    ]
    for name in ("few-shot only", "few-shot + generated base"):
        rows.append((f"after training with {args.shots}/class: {name} (seeds {args.seeds})",
                     accuracies(few[(name, "image")]), accuracies(few[(name, "image+text")]), ">= 0.97"))
    rows += [
        ("clustering ARI vs labels (automatic k, all labelled pages)", f"{ari:.3f} (k={clustering.k})", "", ">= 0.80"),
        ("warped photos flagged as new-type candidates", f"{sum(k in flagged for k in range(len(items), len(truth_all)))}/{len(warped)}", "", "flagged"),
        ("handwritten + scientific pages flagged",
         f"{sum(k in flagged for k, t in enumerate(truth_all) if t in ('handwritten', 'scientific_publication'))}/"
         f"{sum(t in ('handwritten', 'scientific_publication') for t in truth_all)}", "", "flagged"),
        ("receipt/form/invoice pages flagged (false alarms)", f"{sum(k in flagged for k in target)}/{len(target)}", "", "low"),
        ("classification time per page (embed + classify, 1 page per call; OCR not included)",
         f"{per_page['image'][0]:.3f} s wall ({per_page['image'][1]:.3f} CPU-s)",
         f"{per_page['image+text'][0]:.3f} s wall ({per_page['image+text'][1]:.3f} CPU-s)", "<= 0.1 s"),
        ("embedding throughput: one page per call vs one batch", f"{1 / per_page['image'][0]:.1f} vs {batch_rate:.1f} pages/s", "", ""),
        ("clustering + description of the batch", f"{cluster_seconds:.2f} s for {len(all_vectors)} pages", "", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure':<{width}} | image only | image + text | target |")
    for measure, image_value, text_value, goal in rows:
        print(f"| {measure:<{width}} | {image_value} | {text_value} | {goal} |")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
