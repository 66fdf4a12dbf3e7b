"""Phases 2-4 on real documents: default classifier accuracy, few-shot accuracy, clustering ARI, new-type flags, speed.

Reads ../shared/data (doc_types.csv + warped/photos); prints a skip message and exits 0 when it is absent.
The default model is trained here from generated documents only (docgen; never ../shared) into a temporary
models dir, exactly as `iris setup` does, so the figures do not depend on what is installed in ~/.iris.

    IRIS_CPU_THREADS=2 .venv/bin/python benchmarks/phases24_benchmark.py [--per-class 56] [--shots 10] [--seed 0]
"""

import argparse
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

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
TARGET_LABELS = {"receipt", "form", "invoice"}
LIMITS = DecodeLimits(max_pixels=200_000_000, min_side=8, max_pdf_pages=1)


def source_of(item: LabelledFile) -> str:
    """The folder a page came from (finer than the CSV's source, which merges the two VRDU sets)."""
    rel = item.path.resolve().relative_to(DATA.resolve()).parts
    return rel[1] if rel[0] == "doc_types" else rel[0]


def first_page(path: Path) -> np.ndarray:
    return decode_document(path.read_bytes(), LIMITS)[1][0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-class", type=int, default=None, help="generated pages per class (default: iris setup's)")
    parser.add_argument("--shots", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
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

    # time per page: embedding + classification of one decoded page at a time (what /classify does per upload)
    sample = pages[:: max(1, len(pages) // 40)]
    t0, c0 = time.perf_counter(), time.process_time()
    for page in sample:
        runtime.classify_images([page])
    per_page = (time.perf_counter() - t0) / len(sample)
    cpu_per_page = (time.process_time() - c0) / len(sample)
    t0 = time.perf_counter()
    batch_vectors = runtime.embed(sample)
    batch_rate = len(sample) / (time.perf_counter() - t0)

    vectors = runtime.embed(pages)
    warped_vectors = runtime.embed(warped_pages)
    results = runtime.classify_embeddings(vectors)
    predicted = [r.predicted_class for r in results]
    target = [k for k, i in enumerate(items) if i.label in TARGET_LABELS]
    report = score([items[k].label for k in target], [predicted[k] for k in target], [source_of(items[k]) for k in target])
    print("\n== default model (generated training data only) on doc_types.csv receipt/form/invoice ==")
    print(format_report(report))

    # few-shot: `shots` real examples per class (fixed seed), evaluated on the rest
    rng = random.Random(args.seed)
    by_label: dict[str, list[int]] = {}
    for k in target:
        by_label.setdefault(items[k].label, []).append(k)
    shots = sorted(k for label in sorted(by_label) for k in rng.sample(by_label[label], args.shots))
    rest = [k for k in target if k not in set(shots)]
    base_vectors, base_labels = runtime.store.load_base_set()
    few_rows = []
    for name, (x, y) in {
        "few-shot only": (vectors[shots], [items[k].label for k in shots]),
        "few-shot + generated base set": (np.vstack([vectors[shots], base_vectors]), [items[k].label for k in shots] + base_labels),
    }.items():
        estimator = training.fit(x, y, c=settings.classifier_c)
        pred = [training.best_of(s)[0] for s in training.predict_scores(estimator, vectors[rest])]
        few = score([items[k].label for k in rest], pred, [source_of(items[k]) for k in rest])
        few_rows.append((name, few))
    print(f"\n== after training with {args.shots} real examples per class (seed {args.seed}), on the other {len(rest)} pages ==")
    for name, few in few_rows:
        print(f"\n-- {name} --")
        print(format_report(few))

    # clustering of the mixed batch (every labelled page), automatic k
    t0 = time.perf_counter()
    clustering = cluster(vectors, None, max_k=10, threads=settings.cpu_threads)
    ari = adjusted_rand_score([i.label for i in items], clustering.labels)
    ari_target = adjusted_rand_score([items[k].label for k in target], [clustering.labels[k] for k in target])
    all_vectors = np.vstack([vectors, warped_vectors])
    names = [source_of(i) + "/" + i.path.name for i in items] + ["warped/" + p.name for p in warped]
    all_results = results + runtime.classify_embeddings(warped_vectors)
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

    print("\n== summary ==")
    few_only, few_base = few_rows[0][1], few_rows[1][1]
    rows = [
        ("default model accuracy (never trained on ../shared)", f"{report.accuracy:.3f}", ">= 0.90"),
        (f"after training with {args.shots}/class: few-shot only", f"{few_only.accuracy:.3f}", ">= 0.97"),
        (f"after training with {args.shots}/class: few-shot + generated base", f"{few_base.accuracy:.3f}", ">= 0.97"),
        ("clustering ARI vs labels (automatic k, all labelled pages)", f"{ari:.3f} (k={clustering.k})", ">= 0.80"),
        ("warped photos flagged as new-type candidates", f"{sum(k in flagged for k in range(len(items), len(truth_all)))}/{len(warped)}", "flagged"),
        ("handwritten + scientific pages flagged",
         f"{sum(k in flagged for k, t in enumerate(truth_all) if t in ('handwritten', 'scientific_publication'))}/"
         f"{sum(t in ('handwritten', 'scientific_publication') for t in truth_all)}", "flagged"),
        ("receipt/form/invoice pages flagged (false alarms)", f"{sum(k in flagged for k in target)}/{len(target)}", "low"),
        ("classification time per page (embed + classify, 1 page per call)", f"{per_page:.3f} s wall ({cpu_per_page:.3f} CPU-s)", "<= 0.1 s"),
        ("embedding throughput: one page per call vs one batch", f"{1 / per_page:.1f} vs {batch_rate:.1f} pages/s", ""),
        ("clustering + description of the batch", f"{cluster_seconds:.2f} s for {len(all_vectors)} pages", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"| {'measure':<{width}} | value | target |")
    for measure, value, goal in rows:
        print(f"| {measure:<{width}} | {value} | {goal} |")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
