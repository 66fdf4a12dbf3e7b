"""Field accuracy and calibration of the ocr-extractor's rules on the labelled dev sets in ../shared/data.

Quick tuning loop, not the official measure (that is `iris eval`, which runs all four services). Each image goes
once through the running image-processor (`IMAGE_PROCESSOR_URL`, as phase 1 of the pipeline does) and the OCR
engine in this process; the processed page's OCR result is cached under $IRIS_HOME/cache/dev_sets/<engine>/,
so re-scoring after a rule change takes seconds. Labels are read and scored with `iris_cli.evaluation` (the same
readers and scoring rules as `iris eval`).

    .venv/bin/python benchmarks/dev_sets.py                        # every set, PaddleOCR, calibration from IRIS_MODELS_DIR
    .venv/bin/python benchmarks/dev_sets.py --sets sroie --engine tesseract
    .venv/bin/python benchmarks/dev_sets.py --write-samples         # labelled features for `models.calibrate`
    .venv/bin/python benchmarks/dev_sets.py --cross-validate        # ECE of a map fitted on the other sets only
    .venv/bin/python benchmarks/dev_sets.py --docgen 4 --cross-validate \\
        --fit-artifact services/ocr_extractor/models/calibration.json   # refit the shipped calibration
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
# (name, folder, reader format, subset list or None, document type)
SETS = {
    "sroie": (DATA / "sroie", "sroie", None, "receipt"),
    "german": (DATA / "german_receipts", "german_receipts", None, "receipt"),
    "wildreceipt": (DATA / "wildreceipt", "wildreceipt", DATA / "wildreceipt" / "test_subset.txt", "receipt"),
    "wildreceipt_es": (DATA / "wildreceipt", "wildreceipt", DATA / "wildreceipt" / "spanish_subset.txt", "receipt"),
    "invoices": (DATA / "invoices_invoice2data", "invoice2data", None, "invoice"),
    "funsd": (DATA / "funsd" / "training_data", "funsd", None, "form"),
    "funsd_test": (DATA / "funsd" / "testing_data", "funsd", None, "form"),  # held out: not used for tuning
}


def _cache_dir(engine: str) -> Path:
    from iris_common.settings import ServiceSettings

    path = ServiceSettings().iris_home / "cache" / "dev_sets" / engine
    path.mkdir(parents=True, exist_ok=True)
    return path


class Pages:
    """Processed page + OCR result per image, computed once and cached."""

    def __init__(self, engine: str, preprocess: bool) -> None:
        self.engine, self.preprocess = engine, preprocess
        self.cache = _cache_dir(engine + ("" if preprocess else "-raw"))
        self._runtime = None
        self._http = None

    def _ocr_runtime(self):  # noqa: ANN202
        if self._runtime is None:
            from ocr_extractor.models.runtime import OcrRuntime
            from ocr_extractor.settings import OcrExtractorSettings

            runtime = OcrRuntime(OcrExtractorSettings(OCR_ENGINE=self.engine))
            runtime.load()
            if runtime.engine is None:
                raise SystemExit(f"OCR engine failed to load: {runtime.error}")
            self._runtime = runtime
        return self._runtime

    def get(self, image: Path) -> tuple[dict[str, Any], list[list[float]] | None, float]:
        """(OcrResult as JSON, phase-1 transform of page 1, seconds spent now)."""
        content = image.read_bytes()
        key = hashlib.sha256(content).hexdigest()[:24]
        path = self.cache / f"{key}.json"
        if path.is_file():
            cached = json.loads(path.read_text())
            return cached["ocr"], cached["transform"], 0.0
        started = time.perf_counter()
        import numpy as np

        from iris_common.io.images import decode_document
        from iris_common.web.uploads import limits_of

        runtime = self._ocr_runtime()
        transform = None
        if self.preprocess:
            import cv2
            import httpx

            from iris_common.settings import ClientSettings

            self._http = self._http or httpx.Client(base_url=ClientSettings().image_processor_url, timeout=300,
                                                   headers=ClientSettings().authorization())
            reply = self._http.post("/process", files={"file": (image.name, content, "application/octet-stream")})
            reply.raise_for_status()
            page = reply.json()["data"]["pages"][0]
            transform = page["transform"]
            raw = np.frombuffer(base64.b64decode(page["image_base64"]), np.uint8)
            pages = [cv2.imdecode(raw, cv2.IMREAD_COLOR)]
        else:
            _, pages = decode_document(content, limits_of(runtime.settings))
            pages = pages[:1]
        ocr = runtime.recognize(pages).model_dump(mode="json")
        path.write_text(json.dumps({"image": str(image), "ocr": ocr, "transform": transform}))
        return ocr, transform, time.perf_counter() - started


def docgen_samples(pages: Pages, seeds: range, day_first: bool) -> list[tuple[list[float], int]]:
    """(features, right?) of docgen pages, through the same phase 1 + OCR (cached) as the real sets."""
    import cv2

    from iris_common.contract.extraction import DocumentType, OcrResult
    from ocr_extractor.models.calibrate import docgen_documents, labelled_samples

    folder = pages.cache / "docgen-pages"
    folder.mkdir(exist_ok=True)
    samples: list[tuple[list[float], int]] = []
    for name, doc in docgen_documents(seeds):
        image = folder / f"{name}.png"
        if not image.is_file():
            cv2.imwrite(str(image), doc.image)
        ocr_json, _, _ = pages.get(image)
        samples += labelled_samples(OcrResult.model_validate(ocr_json), DocumentType(doc.kind), dict(doc.fields),
                                    default_day_first=day_first)
    return samples


C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)  # L2 strengths tried; the one with the lowest pooled held-out ECE is used


def cross_validate(per_set: dict[str, list[tuple[list[float], int]]], c: float) -> dict[str, dict[str, float]]:
    """Leave-one-set-out: for each set, the ECE of a map fitted on all the others (docgen pages are always in the
    training side, as in the shipped map, and are held out in their own turn) beside the in-sample ECE of the map
    fitted on everything; 'pooled' is over every held-out prediction of the real (not generated) sets."""
    from ocr_extractor.core.calibration import ece, fit

    everything = [s for fs in per_set.values() for s in fs]
    full = fit([x for x, _ in everything], [y for _, y in everything], c=c)
    out: dict[str, dict[str, float]] = {}
    pooled_p: list[float] = []
    pooled_in: list[float] = []
    pooled_y: list[int] = []
    for held, feats in per_set.items():
        train = [s for name, fs in per_set.items() if name != held for s in fs]
        if not feats or len({y for _, y in train}) < 2:
            continue
        cal = fit([x for x, _ in train], [y for _, y in train], c=c)
        probs = [cal.probability(x) for x, _ in feats]
        inside = [full.probability(x) for x, _ in feats]
        labels = [y for _, y in feats]
        if held != "docgen":  # pooled over the real sets only
            pooled_p, pooled_in, pooled_y = pooled_p + probs, pooled_in + inside, pooled_y + labels
        out[held] = {"ece_cv": round(ece(probs, labels), 4), "ece_in_sample": round(ece(inside, labels), 4), "n": len(feats),
                     "accuracy": round(sum(labels) / len(labels), 4)}
    out["pooled"] = {"ece_cv": round(ece(pooled_p, pooled_y), 4), "ece_in_sample": round(ece(pooled_in, pooled_y), 4),
                     "n": len(pooled_y), "accuracy": round(sum(pooled_y) / max(len(pooled_y), 1), 4)}
    return out


def write_artifact(path: Path, per_set: dict[str, list[tuple[list[float], int]]], cv: dict | None,
                   args: argparse.Namespace) -> None:
    """The calibration artifact `iris setup` installs on a fresh clone: coefficients plus where they came from."""
    from ocr_extractor.core.calibration import fit

    everything = [s for fs in per_set.values() for s in fs]
    cal = fit([x for x, _ in everything], [y for _, y in everything], c=cv["c"] if cv else 1.0, fitted_on={
        "engine": args.engine, "preprocess": not args.no_preprocess,
        "sources": {name: {"fields": len(fs), "accuracy": round(sum(y for _, y in fs) / max(len(fs), 1), 4)}
                    for name, fs in per_set.items()},
        "data": "../shared/data dev sets (labels read by iris_cli.evaluation) + docgen pages; samples are not shipped",
        "command": "benchmarks/dev_sets.py " + " ".join(sys.argv[1:]),
    })
    if cv is not None:
        cal.metrics["leave_one_set_out"] = cv
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(cal.to_json() + "\n", encoding="utf-8")
    print(f"wrote calibration {cal.version} fitted on {len(everything)} labelled fields to {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--engine", choices=["paddle", "tesseract"], default="paddle")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--no-preprocess", action="store_true", help="OCR the uploaded image as is (no image-processor)")
    parser.add_argument("--threshold", type=float, default=0.5, help="confidence_threshold, as in the pipeline")
    parser.add_argument("--uncalibrated", action="store_true", help="ignore the calibration artifact")
    parser.add_argument("--calibration", metavar="PATH", help="calibration artifact to apply (default: the one in IRIS_MODELS_DIR)")
    parser.add_argument("--write-samples", nargs="?", const="default", help="write (features, correct) JSON lines for calibration")
    parser.add_argument("--cross-validate", action="store_true", help="ECE per set of a map fitted on docgen + the other sets")
    parser.add_argument("--show-errors", default="", help="comma-separated fields whose wrong values are listed")
    parser.add_argument("--fit-artifact", metavar="PATH",
                        help="fit the map on every set's samples (+ docgen) and write the calibration artifact with its provenance")
    parser.add_argument("--docgen", type=int, default=0, metavar="SEEDS",
                        help="also label the fields of docgen pages (SEEDS seeds x kinds x languages), as `iris setup` fits on")
    args = parser.parse_args()

    from iris_cli.evaluation.readers import read_labels
    from iris_cli.evaluation.report import score_document
    from iris_cli.evaluation.scoring import field_kind
    from iris_common.contract.extraction import DocumentType, OcrResult
    from ocr_extractor.core.calibration import Calibration, ece
    from ocr_extractor.core.document import extract_document
    from ocr_extractor.core.geometry import as_matrix, to_original
    from ocr_extractor.models.calibrate import load_calibration
    from ocr_extractor.settings import OcrExtractorSettings

    settings = OcrExtractorSettings()
    calibration = None
    if not args.uncalibrated:
        try:
            calibration = (Calibration.from_json(Path(args.calibration).read_text()) if args.calibration
                           else load_calibration(settings.models_dir))
        except (OSError, ValueError) as exc:
            print(f"no calibration ({exc}); confidences are uncalibrated")
    print(f"engine={args.engine} calibration={calibration.version if calibration else 'none'} threshold={args.threshold}")
    pages = Pages(args.engine, not args.no_preprocess)
    show = set(filter(None, args.show_errors.split(",")))
    samples_out: list[dict[str, Any]] = []
    all_conf: list[tuple[float, bool]] = []
    per_set_samples: dict[str, list[tuple[list[float], int]]] = {}
    for set_name in filter(None, args.sets.split(",")):
        folder, fmt, subset, doc_type = SETS[set_name]
        if not folder.exists():
            print(f"\n{set_name}: {folder} absent, skipped")
            continue
        labels = read_labels(folder, fmt, subset)
        docs = labels.documents[: args.limit] if args.limit else labels.documents
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        pair_counts = [0, 0, 0]
        cer = [0, 0]
        conf: list[tuple[float, bool]] = []
        feats: list[tuple[list[float], int]] = []
        seconds = 0.0
        for doc in docs:
            ocr_json, transform, spent = pages.get(doc.image)
            seconds += spent
            ocr = OcrResult.model_validate(ocr_json)
            features: dict[str, list[float]] = {}
            structured = extract_document(ocr, DocumentType(doc_type), confidence_threshold=args.threshold,
                                          default_day_first=settings.date_day_first, calibration=calibration,
                                          features_out=features)
            if transform is not None:
                ocr, structured = to_original(ocr, structured, [as_matrix(transform)])
            extraction = {"structured_document": structured.model_dump(mode="json"), "ocr": ocr.model_dump(mode="json")}
            outcomes, pairs, doc_cer, doc_samples = score_document(doc, extraction, transform)
            conf += doc_samples
            for o in outcomes:
                c = counts[o.name]
                c[0] += o.tp
                c[1] += o.fp
                c[2] += o.fn
                if o.name in show and not o.tp:
                    shown = o.predicted if o.predicted is not None else o.candidate
                    print(f"  {set_name} {doc.doc_id} {o.name}: got {shown!r} ({o.confidence}) truth {o.truth[:3]!r}")
            for name, x in features.items():
                if name in doc.fields:
                    f = structured.fields[name]
                    shown = f.value if f.value is not None else f.candidate
                    ok = bool(doc.fields[name]) and doc.comparator.matches(shown, doc.fields[name], field_kind(name),
                                                                           doc.match_modes.get(name, "exact"))
                    feats.append((x, int(ok)))
            if pairs is not None:
                pair_counts = [pair_counts[0] + pairs["tp"], pair_counts[1] + pairs["fp"], pair_counts[2] + pairs["fn"]]
                from iris_cli.evaluation.scoring import match_pairs

                found = [(i, kv) for i, kv in enumerate(structured.key_values) if kv.key and kv.value]
                matched = {j for _, j in match_pairs(doc.pairs, [(kv.key, kv.value) for _, kv in found])}
                for j, (i, _) in enumerate(found):
                    if f"key_values[{i}]" in features:
                        feats.append((features[f"key_values[{i}]"], int(j in matched)))
            if doc_cer:
                cer[0] += doc_cer[0]
                cer[1] += doc_cer[1]
        per_set_samples[set_name] = feats
        samples_out += [{"set": set_name, "features": x, "correct": y} for x, y in feats]
        all_conf += conf
        print(f"\n{set_name}: {len(docs)} documents ({fmt}), OCR computed now for {seconds:.0f}s")
        print(f"  {'field':<18} {'P':>6} {'R':>6} {'F1':>6} {'tp':>5} {'fp':>5} {'fn':>5}")
        tp_all = fp_all = fn_all = 0
        rows = sorted(counts.items())
        if pair_counts != [0, 0, 0]:
            rows.append(("key_value_pairs", pair_counts))
        for name, (tp, fp, fn) in rows:
            p = tp / (tp + fp) if tp + fp else 0.0
            r = tp / (tp + fn) if tp + fn else 0.0
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
            print(f"  {name:<18} {p:6.3f} {r:6.3f} {f1:6.3f} {tp:5d} {fp:5d} {fn:5d}")
        p = tp_all / (tp_all + fp_all) if tp_all + fp_all else 0.0
        r = tp_all / (tp_all + fn_all) if tp_all + fn_all else 0.0
        print(f"  {'ALL (micro)':<18} {p:6.3f} {r:6.3f} {2 * p * r / (p + r) if p + r else 0.0:6.3f}")
        if cer[1]:
            print(f"  OCR CER {cer[0] / cer[1]:.4f} ({cer[0]} edits / {cer[1]} chars)")
        if conf:
            print(f"  ECE {ece([c for c, _ in conf], [int(k) for _, k in conf]):.4f} over {len(conf)} fields/pairs, "
                  f"mean confidence {sum(c for c, _ in conf) / len(conf):.3f}, accuracy {sum(k for _, k in conf) / len(conf):.3f}")
    if args.docgen:
        per_set_samples["docgen"] = docgen_samples(pages, range(args.docgen), settings.date_day_first)
        samples_out += [{"set": "docgen", "features": x, "correct": y} for x, y in per_set_samples["docgen"]]
        y = [y for _, y in per_set_samples["docgen"]]
        print(f"\ndocgen: {len(y)} labelled fields/pairs of generated pages, accuracy {sum(y) / max(len(y), 1):.3f}")
    if all_conf:
        from iris_cli.evaluation.scoring import calibration as reliability

        print(f"\nALL SETS: ECE {ece([c for c, _ in all_conf], [int(k) for _, k in all_conf]):.4f} over {len(all_conf)} "
              f"fields/pairs (accuracy {sum(k for _, k in all_conf) / len(all_conf):.3f})")
        print(f"  {'confidence':<10} {'n':>5} {'mean conf':>9} {'accuracy':>8}")
        for b in reliability(all_conf).bins:
            print(f"  {b.low:.1f}-{b.high:.1f}    {b.count:5d} {b.mean_confidence:9.3f} {b.accuracy:8.3f}")
    if args.write_samples:
        # prepare() reads $IRIS_HOME/calibration/*.jsonl (PaddleOCR, the default engine); other engines go in a subfolder
        default = settings.iris_home / "calibration" / ("dev_sets.jsonl" if args.engine == "paddle" else f"{args.engine}/dev_sets.jsonl")
        out = Path(args.write_samples) if args.write_samples != "default" else default
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(json.dumps(s) + "\n" for s in samples_out))
        print(f"wrote {len(samples_out)} labelled fields to {out}")
    cv = None
    if args.cross_validate and len(per_set_samples) > 1:
        grid = {c: cross_validate(per_set_samples, c) for c in C_GRID}
        print("\nleave-one-set-out: pooled held-out ECE (real sets) per L2 strength c: "
              + ", ".join(f"c={c}: {g['pooled']['ece_cv']:.4f}" for c, g in grid.items()))
        best = min(grid, key=lambda c: grid[c]["pooled"]["ece_cv"])
        cv = {"c": best, "sets": grid[best], "grid": {str(c): g["pooled"]["ece_cv"] for c, g in grid.items()}}
        print(f"cross-validated ECE with c={best} (map fitted on every other set, docgen included, applied to this one) "
              "vs in-sample (map fitted on all):")
        for name, row in grid[best].items():
            print(f"  {name:<16} CV ECE {row['ece_cv']:.4f}   in-sample {row['ece_in_sample']:.4f}   over {row['n']:5d}"
                  f"   accuracy {row['accuracy']:.3f}")
    if args.fit_artifact:
        write_artifact(Path(args.fit_artifact), per_set_samples, cv, args)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("IRIS_CPU_THREADS", "1")
    sys.exit(main())
