"""Type routing on real pages: the classifier's top type alone vs the type `core.routing` chooses, and the constants.

Every page of ../shared/data/doc_types.csv (plus the German receipts and the first pages of the DeepForm ad-buys,
labelled invoice) is preprocessed (page 0), read and embedded once by the RUNNING services (`iris up`), and cached
as JSON under --cache; then each page is classified over HTTP (the running ml-classifier, so its current default
model) and routed in process with the extractor's own code, for the shipped constants and a small grid around them.
Labels handwritten / scientific_publication count as `other`.

It also measures the document-type confidence (core.type_confidence): the expected calibration error of the
classifier's probability, of the shipped map, and of a map refitted here in sample and leave-one-source-out (each
source's pages scored by a map fitted on the other sources: what to expect on a kind of page not seen), and what
the review flag catches. `--fit-type-calibration FILE` writes the map fitted on every page (the shipped artifact is
services/ocr_extractor/models/type_calibration.json).

    .venv/bin/python benchmarks/routing_study.py                 # cache in /tmp/iris-routing-cache, all pages
    .venv/bin/python benchmarks/routing_study.py --limit 120     # the first 120 pages, sources interleaved
    .venv/bin/python benchmarks/routing_study.py --no-grid --show-errors
    .venv/bin/python benchmarks/routing_study.py --no-grid --fit-type-calibration services/ocr_extractor/models/type_calibration.json

The end-to-end effect (the flow, the services, field F1) is measured by benchmarks/pipeline_eval.py.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import itertools
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

from iris_common.contract.extraction import DocumentType, OcrResult, StructuredDocument
from iris_common.settings import ClientSettings, ServiceSettings
from ocr_extractor.core import routing
from ocr_extractor.core.calibration import Calibration, ece, fit
from ocr_extractor.core.document import extract_document
from ocr_extractor.core.titles import titled_type
from ocr_extractor.core.type_confidence import TYPE_FEATURES, type_features
from ocr_extractor.models.calibrate import load_calibration, load_type_calibration, type_calibration_path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
AS_OTHER = {"handwritten", "scientific_publication"}
TYPE_C = (0.03, 0.1, 0.3, 1.0, 3.0)  # penalties tried for the type map; the best leave-one-source-out ECE is kept
GRID = {"PRIOR_WEIGHT": [0.15, 0.25, 0.5], "OTHER_FILL": [0.35, 0.45, 0.55], "SURE_ABOVE": [0.9, 1.01], "TITLE_FACTOR": [1.0, 4.0, 8.0, 16.0]}


def labelled_pages(data: Path) -> list[dict[str, str]]:
    """doc_types.csv, the German receipts and the DeepForm first pages, interleaved by source so that --limit keeps
    every source."""
    rows = list(csv.DictReader((data / "doc_types.csv").open(encoding="utf-8")))
    known = {r["path"] for r in rows}
    for folder, label, source in (("german_receipts", "receipt", "german_receipts"), ("deepform/images", "invoice", "deepform")):
        rows += [{"path": f"{folder}/{p.name}", "label": label, "source": source}
                 for p in sorted((data / folder).glob("*")) if p.suffix.lower() in (".jpg", ".jpeg", ".png")
                 and f"{folder}/{p.name}" not in known]
    by_source: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_source.setdefault(row["source"], []).append(row)
    rng = random.Random(0)
    for group in by_source.values():
        rng.shuffle(group)
    order = []
    while any(by_source.values()):
        for group in by_source.values():
            if group:
                order.append(group.pop())
    return order


def read_page(client: httpx.Client, settings: ClientSettings, path: Path) -> dict:
    """Phase 1 (page 0), OCR and embedding of one page, from the running services."""
    pre = client.post(f"{settings.url('image-processor')}/process", files={"file": (path.name, path.read_bytes())}, data={"page": "0"})
    pre.raise_for_status()
    png = base64.b64decode(pre.json()["data"]["pages"][0]["image_base64"])
    upload = {"file": ("page.png", png, "image/png")}
    ocr = client.post(f"{settings.url('ocr-extractor')}/ocr", files=upload)
    ocr.raise_for_status()
    emb = client.post(f"{settings.url('ml-embeddings')}/embed", files=upload)
    emb.raise_for_status()
    return {"ocr": ocr.json()["data"]["ocr"], "embedding": emb.json()["data"]["items"][0]["embedding"]}


def load_cached(pages: list[dict[str, str]], cache: Path, data: Path, client: httpx.Client, settings: ClientSettings) -> list[dict]:
    cache.mkdir(parents=True, exist_ok=True)
    out, started = [], time.perf_counter()
    for i, row in enumerate(pages):
        file = cache / f"{hashlib.sha1(row['path'].encode()).hexdigest()[:16]}.json"
        if not file.exists():
            try:
                file.write_text(json.dumps({**row, **read_page(client, settings, data / row["path"])}))
            except (httpx.HTTPError, KeyError, OSError) as exc:
                print(f"  not read: {row['path']}: {exc}", file=sys.stderr)
                continue
            if (i + 1) % 20 == 0:
                print(f"  read {i + 1}/{len(pages)} pages ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
        out.append(json.loads(file.read_text()))
    return out


def extractions(ocr: OcrResult, calibration) -> dict[DocumentType, StructuredDocument]:  # noqa: ANN001
    return {t: extract_document(ocr, t, confidence_threshold=0.5, calibration=calibration) for t in DocumentType}


def evaluate(items: list[tuple[dict, dict, dict, DocumentType | None]], **constants: float) -> tuple[Counter, list[tuple[str, str, str, str]]]:
    saved = {name: getattr(routing, name) for name in constants}
    for name, value in constants.items():
        setattr(routing, name, value)
    counts: Counter = Counter()
    errors = []
    try:
        for page, cls, docs, titled in items:
            truth = "other" if page["label"] in AS_OTHER else page["label"]
            chosen, _ = routing.route({DocumentType(k): v for k, v in cls["scores"].items()}, docs.__getitem__, titled=titled)
            counts["pages"] += 1
            counts["classifier_right"] += cls["predicted_class"] == truth
            counts["routed_right"] += chosen.document_type.value == truth
            group = "deepform" if page["source"] == "deepform" else "doc_types"
            counts[f"{group}_pages"] += 1
            counts[f"{group}_classifier"] += cls["predicted_class"] == truth
            counts[f"{group}_routed"] += chosen.document_type.value == truth
            if truth == "receipt":
                counts["receipts"] += 1
                counts["receipts_classifier"] += cls["predicted_class"] == "receipt"
                counts["receipts_routed"] += chosen.document_type.value == "receipt"
            if chosen.document_type.value != truth:
                errors.append((page["path"], truth, cls["predicted_class"], chosen.document_type.value))
    finally:
        for name, value in saved.items():
            setattr(routing, name, value)
    return counts, errors


def type_samples(items: list[tuple[dict, dict, dict, DocumentType | None]], served: Calibration | None) -> list[dict]:
    """Each page's routing decision with the shipped constants: its features, whether the type is right, and the
    confidence the service would give it with the served map (`served`) and without any map."""
    samples = []
    for page, cls, docs, titled in items:
        truth = "other" if page["label"] in AS_OTHER else page["label"]
        scores = {DocumentType(k): v for k, v in cls["scores"].items()}
        chosen, decision = routing.route(scores, docs.__getitem__, titled=titled, type_calibration=served)
        top = max(scores, key=scores.__getitem__)
        samples.append({"source": page["source"], "x": type_features(decision.trials, top, titled),
                        "right": int(chosen.document_type.value == truth), "served": decision.confidence,
                        "prior": decision.trials[0].prior})
    return samples


def leave_one_source_out(samples: list[dict], c: float) -> list[float]:
    """Each sample's confidence from a map fitted on every other source's pages."""
    out = [0.0] * len(samples)
    for source in {s["source"] for s in samples}:
        train = [s for s in samples if s["source"] != source]
        cal = fit([s["x"] for s in train], [s["right"] for s in train], c=c, names=TYPE_FEATURES)
        for i, s in enumerate(samples):
            if s["source"] == source:
                out[i] = cal.probability(s["x"])
    return out


def review_line(name: str, probs: list[float], right: list[int]) -> str:
    flagged = [p < routing.REVIEW_BELOW for p in probs]
    wrong = sum(1 - r for r in right)
    caught = sum(f and not r for f, r in zip(flagged, right, strict=True))
    return (f"  {name:34} ECE {ece(probs, right):.3f}  mean {sum(probs) / len(probs):.3f}  flagged {sum(flagged):3} "
            f"(wrong among them {caught} of {wrong} wrong)")


def report_type_confidence(samples: list[dict], served: Calibration | None, fit_to: Path | None, classifier: str) -> None:
    """ECE and review flags of the type confidence; `classifier` (the model version that scored the pages) is
    recorded in a written map, which must be refitted when the default classifier changes."""
    right = [s["right"] for s in samples]
    print(f"\ndocument-type confidence on {len(samples)} pages (right {sum(right)}), review below {routing.REVIEW_BELOW}:")
    print(review_line("classifier probability (no map)", [s["prior"] for s in samples], right))
    if served is not None:
        print(review_line(f"served map {served.version}", [s["served"] for s in samples], right))
    loso = {c: leave_one_source_out(samples, c) for c in TYPE_C}
    for c, probs in loso.items():
        print(review_line(f"refit c={c:g}, leave-one-source-out", probs, right))
    best = min(TYPE_C, key=lambda c: ece(loso[c], right))
    cal = fit([s["x"] for s in samples], right, c=best, names=TYPE_FEATURES)
    print(review_line(f"refit c={best:g}, in sample", [cal.probability(s["x"]) for s in samples], right))
    by_source: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        by_source.setdefault(s["source"], []).append(i)
    print("  leave-one-source-out per source (ECE, n): " + ", ".join(
        f"{src} {ece([loso[best][i] for i in idx], [right[i] for i in idx]):.3f} ({len(idx)})" for src, idx in sorted(by_source.items())))
    if fit_to is not None:
        cal.fitted_on = {"classifier_model": classifier, "pages": len(samples), "right": sum(right), "sources": {k: len(v) for k, v in sorted(by_source.items())},
                         "command": "benchmarks/routing_study.py --fit-type-calibration",
                         "ece_leave_one_source_out": round(ece(loso[best], right), 4)}
        fit_to.write_text(cal.to_json() + "\n", encoding="utf-8")
        print(f"  wrote {fit_to} (version {cal.version})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/iris-routing-cache"))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--no-grid", action="store_true")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--fit-type-calibration", type=Path, default=None, metavar="FILE",
                        help="write the document-type confidence map fitted on every page to FILE")
    args = parser.parse_args()
    if not (args.data / "doc_types.csv").is_file():
        print(f"no labelled data at {args.data}; nothing to measure")
        return 0
    settings = ClientSettings()
    pages = labelled_pages(args.data)[: args.limit]
    models_dir = ServiceSettings().models_dir
    calibration = load_calibration(models_dir)
    try:
        served = load_type_calibration(models_dir)
    except (OSError, ValueError, KeyError) as exc:
        print(f"no document-type map served ({type_calibration_path(models_dir)}: {type(exc).__name__})")
        served = None
    with httpx.Client(timeout=300, headers=ClientSettings().authorization()) as client:
        cached = load_cached(pages, args.cache, args.data, client, settings)
        items = []
        for page in cached:
            ocr = OcrResult.model_validate(page["ocr"])
            reply = client.post(f"{settings.url('ml-classifier')}/classify", json={"embedding": page["embedding"], "text": ocr.text})
            reply.raise_for_status()
            items.append((page, reply.json()["data"], extractions(ocr, calibration), titled_type(ocr)))
    shipped = {name: getattr(routing, name) for name in GRID}
    counts, errors = evaluate(items)
    n = counts["pages"]
    print(f"{n} pages ({len(pages) - n} not read); shipped constants {shipped}")
    print(f"{'':28}{'classifier alone':>18}{'routed':>10}")
    print(f"{'type right, all pages':28}{counts['classifier_right'] / n:>18.3f}{counts['routed_right'] / n:>10.3f}")
    for group, label in (("doc_types", "doc_types.csv"), ("deepform", "DeepForm first pages")):
        if counts[f"{group}_pages"]:
            k = counts[f"{group}_pages"]
            print(f"{f'  {label} ({k})':28}{counts[f'{group}_classifier'] / k:>18.3f}{counts[f'{group}_routed'] / k:>10.3f}"
                  f"   ({counts[f'{group}_classifier']} / {counts[f'{group}_routed']} right)")
    print(f"{'receipts typed receipt':28}{counts['receipts_classifier']:>11} / {counts['receipts']:<4}"
          f"{counts['receipts_routed']:>5} / {counts['receipts']}")
    per_source: Counter = Counter()
    right: Counter = Counter()
    for page, *_ in items:
        per_source[page["source"]] += 1
    for path, *_ in errors:
        right[next(p["source"] for p, *_ in items if p["path"] == path)] += 1
    print("routed wrong per source: " + ", ".join(f"{s} {right[s]}/{per_source[s]}" for s in sorted(per_source)))
    if args.show_errors:
        for path, truth, cls, chosen in errors:
            print(f"  {path}: {truth}, classifier {cls}, routed {chosen}")
    versions = sorted({cls.get("model_version", "?") for _, cls, _, _ in items})
    report_type_confidence(type_samples(items, served), served, args.fit_type_calibration, ",".join(versions))
    if not args.no_grid:
        print("\ngrid (routed right, receipts routed receipt):")
        rows = []
        for values in itertools.product(*GRID.values()):
            constants = dict(zip(GRID, values, strict=True))
            c, _ = evaluate(items, **constants)
            rows.append((c["routed_right"], c["receipts_routed"], constants))
        for routed, receipts, constants in sorted(rows, key=lambda r: (r[0], r[1]), reverse=True)[:10]:
            print(f"  {routed / n:.3f} {receipts}/{counts['receipts']}  {constants}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
