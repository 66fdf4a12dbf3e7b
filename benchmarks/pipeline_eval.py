"""What a user gets from `iris batch`, end to end, beside the same extraction given the true type.

`iris eval` measures the phases (the labelled type drives extraction, over direct HTTP calls). This runs the REAL
pipeline: the Prefect flow `process_folder` (as `iris batch` does) over a temporary folder of symlinks to each
labelled set, the four services over HTTP, the type chosen by IRIS itself (classifier + routing). It then reads
each result JSON (`document_type`, `final_extraction.fields`, `phases.classify.result`, `routing`) and scores it
with `iris_cli.evaluation` (the readers and `score_document` of `iris eval`). In the same run, each document goes
once more through `process_document(document_type=<true type>)`: phases 1-5 are Prefect cache hits, only
extraction runs again, so the two columns differ by the type only. A document that failed (quarantine) counts
as a miss on every labelled field and as typed wrong; none is skipped.

    . ./my-env   # IRIS_HOME and the four *_URL of running services (`iris up`)
    .venv/bin/python benchmarks/pipeline_eval.py                          # every set (~500 documents)
    .venv/bin/python benchmarks/pipeline_eval.py --sets sroie german --limit 5 --json /tmp/pe.json
    PREFECT_API_URL=http://127.0.0.1:4290/api .venv/bin/python benchmarks/pipeline_eval.py --sets deepform_pdfs

Without PREFECT_API_URL (and no `iris up --prefect` server) Prefect starts a temporary local server (~20 s).
`--cache cold` (default) persists task results under a fresh folder deleted afterwards, so every document is
really processed (the phase cache key holds the content hash and model versions but not the services' code, so
after a change to extraction rules a warm cache would score old outputs) and documents per minute mean what they
say; `--cache warm` uses $IRIS_HOME/prefect-results (quick re-scoring when nothing changed). A document that
appears in two sets (doc_types.csv reuses the receipt sets' images) is a cache hit the second time in one run:
the `cached` column says how many.
CPU seconds per service process are read from /proc for the pids in $IRIS_HOME/run/*.pid (with their children).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import batch_on_running_services, cpu_seconds, proc_kb, service_pids  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
OTHER = "other"


@dataclass(frozen=True)
class Target:
    measure: str
    threshold: float
    fields: tuple[str, ...] | None = None  # F1 over these fields (None: every labelled field); () = type accuracy


@dataclass(frozen=True)
class SetSpec:
    name: str
    folder: str  # under --data
    fmt: str  # a reader of iris_cli.evaluation, or "doc_types" (the CSV)
    target: Target
    receipts: bool = False  # counts in "all receipt sets: receipts typed receipt"


DEEPFORM_FIELDS = ("invoice_number", "total", "customer_name")  # contract_num, gross_amount, advertiser
SETS = {s.name: s for s in [
    SetSpec("sroie", "sroie", "sroie", Target("F1 company/address/date/total", 0.90), receipts=True),
    SetSpec("german", "german_receipts", "german_receipts", Target("F1 date + total", 0.95, ("date", "total")), receipts=True),
    SetSpec("wildreceipt", "wildreceipt", "wildreceipt", Target("F1 store/date/total", 0.85), receipts=True),
    SetSpec("doc_types", "doc_types.csv", "doc_types", Target("document-type accuracy", 0.95, ())),
    SetSpec("deepform_images", "deepform/images", "deepform", Target("F1 contract/gross/advertiser (page 1)", 0.70, DEEPFORM_FIELDS)),
    SetSpec("deepform_pdfs", "deepform/pdfs", "deepform", Target("F1 contract/gross/advertiser (all pages)", 0.70, DEEPFORM_FIELDS)),
]}
RECEIPTS_TYPED_TARGET = 0.98
LATER_PAGE_TARGET, LATER_PAGE_OF = 12, 17  # of the DeepForm PDFs that print the gross amount only after page 1


# --- labels ----------------------------------------------------------------------------------------------------

def read_set(spec: SetSpec, data: Path) -> Any:
    """The set's LabelSet (iris_cli.evaluation readers; doc_types.csv: type labels only, one group per source)."""
    from iris_cli.evaluation.readers import LabelledDocument, LabelSet, read_labels
    from iris_cli.evaluation.scoring import Comparator

    path = data / spec.folder
    if spec.fmt != "doc_types":
        return read_labels(path, spec.fmt)
    from ml_classifier.core.evaluation import from_csv  # the classifier's own reader of this CSV

    labels = LabelSet("doc_types", path, [])
    for item in from_csv(path, root=data):
        if not item.path.is_file():
            labels.skipped.append((str(item.path), "file missing"))
            continue
        doc_id = item.path.relative_to(data).with_suffix("").as_posix()
        labels.documents.append(LabelledDocument(doc_id, item.path, item.label, Comparator(), groups=[item.source]))
    return labels


def iris_types() -> set[str]:
    from iris_common.contract.extraction import DocumentType

    return {t.value for t in DocumentType}


def typed_right(expected: str | None, got: str | None, known: set[str]) -> bool:
    """A label IRIS has no type for (handwritten, scientific_publication) is right as `other` (or as itself)."""
    if expected is None or got is None:
        return False
    return got == expected or (expected not in known and got == OTHER)


def spread(docs: list[Any], n: int) -> list[Any]:
    """N documents taken in turn from each subset (source, language, where the total is printed), so that a quick
    run sees every kind the set has; in the set's order within a subset."""
    queues: dict[str, list[Any]] = {}
    for doc in docs:
        queues.setdefault(doc.groups[0] if doc.groups else "", []).append(doc)
    picked: list[Any] = []
    while len(picked) < min(n, len(docs)):
        for queue in queues.values():
            if queue and len(picked) < n:
                picked.append(queue.pop(0))
    return picked


# --- running the pipeline --------------------------------------------------------------------------------------

def link_folder(docs: list[Any], folder: Path) -> dict[str, Any]:
    """Symlinks with unique names (doc ids flattened) -> {link name: document}."""
    folder.mkdir(parents=True)
    names: dict[str, Any] = {}
    for doc in docs:
        base = doc.doc_id.replace("/", "__")
        name, n = f"{base}{doc.image.suffix.lower()}", 1
        while name in names:
            n += 1
            name = f"{base}-{n}{doc.image.suffix.lower()}"
        (folder / name).symlink_to(doc.image.resolve())
        names[name] = doc
    return names


class CpuMeter:
    """CPU seconds (user + system, with waited-for children) of the service processes and of this one."""

    def __init__(self, home: Path) -> None:
        self.pids = service_pids(home)

    def read(self) -> dict[str, float]:
        out = {name: s for name, pid in self.pids.items() if (s := cpu_seconds(pid)) is not None}
        t = os.times()
        out["flow (this process)"] = t.user + t.system
        return out

    def peak_rss_mb(self) -> dict[str, float]:
        return {name: round(kb / 1024, 0) for name, pid in self.pids.items() if (kb := proc_kb(pid, "VmHWM")) is not None}


@dataclass
class SetRun:
    spec: SetSpec
    docs: list[Any]
    skipped: list[tuple[str, str]]
    results: dict[str, dict[str, Any]] = field(default_factory=dict)  # doc_id -> batch result JSON
    errors: dict[str, str] = field(default_factory=dict)  # doc_id -> why it has no result
    given: dict[str, dict[str, Any]] = field(default_factory=dict)  # doc_id -> result with the true type given
    given_errors: dict[str, str] = field(default_factory=dict)
    batch_seconds: float = 0.0
    given_seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)


async def run_set(spec: SetSpec, docs: list[Any], skipped: list[tuple[str, str]], work: Path, concurrency: int,
                  meter: CpuMeter, type_given: bool) -> SetRun:
    from iris_flows.document_flow import process_document
    from iris_flows.folder_flow import process_folder
    from iris_flows.outputs import output_path

    run = SetRun(spec, docs, skipped)
    input_dir, output_dir = work / spec.name / "in", work / spec.name / "out"
    by_name = link_folder(docs, input_dir)
    cpu_before = meter.read()
    started = time.perf_counter()
    state = await process_folder(input_dir=str(input_dir), output_dir=str(output_dir), concurrency=concurrency, return_state=True)
    run.batch_seconds = time.perf_counter() - started
    failures: dict[str, str] = {}
    if state.is_completed():
        summary = await state.aresult()
        for failure in summary.get("failures", []):
            failures[Path(failure["file"]).name] = f"{failure.get('code')}: {failure.get('message')}"
        for rejected in summary.get("rejected", []):
            failures[Path(rejected["file"]).name] = f"rejected: {rejected.get('reason')}"
    else:
        batch_error = f"process_folder ended {state.name}: {state.message}"
        failures = {name: batch_error for name in by_name}
    for name, doc in by_name.items():
        target = output_path(output_dir, input_dir, input_dir / name)
        try:
            run.results[doc.doc_id] = json.loads(target.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            run.errors[doc.doc_id] = failures.get(name, "no result JSON and no quarantine record")

    if type_given and spec.target.fields != ():
        gate = asyncio.Semaphore(max(1, concurrency))

        async def given(name: str, doc: Any) -> None:
            async with gate:
                st = await process_document(path=str(input_dir / name), document_type=doc.document_type,
                                            publish_artifacts=False, return_state=True)
            if st.is_completed():
                run.given[doc.doc_id] = await st.aresult()
            else:
                run.given_errors[doc.doc_id] = f"{st.name}: {st.message}"

        started = time.perf_counter()
        await asyncio.gather(*(given(name, doc) for name, doc in by_name.items()))
        run.given_seconds = time.perf_counter() - started
    cpu_after = meter.read()
    run.cpu = {k: round(cpu_after[k] - cpu_before.get(k, 0.0), 1) for k in cpu_after}
    return run


# --- scoring ---------------------------------------------------------------------------------------------------

def outcome_of(doc: Any, result: dict[str, Any] | None, error: str | None) -> Any:
    """A result JSON scored as `iris eval` scores an extraction (`score_document`); no result = every field missed."""
    from iris_cli.evaluation.report import DocumentOutcome, score_document

    result = result or {}
    extraction = {"structured_document": result.get("final_extraction")} if result else None
    # the result JSON holds no OCR lines: no CER here (that is `iris eval`'s)
    fields, pairs, _, _ = score_document(dataclasses.replace(doc, lines=None), extraction)
    phases = result.get("phases") or {}
    classification = (phases.get("classify") or {}).get("result") or {}
    return DocumentOutcome(
        document=doc.doc_id, image=str(doc.image), groups=doc.groups, expected_type=doc.document_type,
        predicted_type=classification.get("predicted_class"), classifier_confidence=classification.get("confidence"),
        extraction_type=result.get("document_type"), seconds=float(result.get("total_processing_time") or 0.0),
        phase_seconds={k: round(float(v.get("processing_time") or 0.0), 3) for k, v in phases.items() if isinstance(v, dict)},
        error=error if not result else None, fields=fields, pairs=pairs)


def f1_over(outcomes: list[Any], names: tuple[str, ...] | None) -> Any:
    from iris_cli.evaluation.scoring import Counts

    total = Counts()
    for o in outcomes:
        for f in o.fields:
            if names is None or f.name in names:
                total.add(Counts(f.tp, f.fp, f.fn))
    return total


def later_page_amounts(outcomes: list[Any]) -> tuple[int, int]:
    from iris_cli.evaluation.readers import LATER_PAGE_TOTAL

    totals = [f for o in outcomes if LATER_PAGE_TOTAL in o.groups for f in o.fields if f.name == "total"]
    return sum(f.tp for f in totals), sum(f.tp + f.fn for f in totals)


def summarise_set(run: SetRun, known: set[str]) -> dict[str, Any]:
    from iris_cli.evaluation.report import build_report

    spec = run.spec
    e2e = [outcome_of(d, run.results.get(d.doc_id), run.errors.get(d.doc_id)) for d in run.docs]
    given = [outcome_of(d, run.given.get(d.doc_id), run.given_errors.get(d.doc_id) or run.errors.get(d.doc_id))
             for d in run.docs] if (run.given or run.given_errors) else []
    n = len(run.docs)
    typed = sum(typed_right(o.expected_type, o.extraction_type, known) for o in e2e)
    classifier = sum(typed_right(o.expected_type, o.predicted_type, known) for o in e2e)
    # routing against the classifier: a type other than its answer that turned out right (fixed) or wrong (broke)
    off = [o for o in e2e if o.extraction_type and o.predicted_type and o.extraction_type != o.predicted_type]
    cached = sum(1 for r in run.results.values()
                 if (r.get("phases") or {}) and all((p or {}).get("status") == "cached" for p in r["phases"].values()))
    measure: dict[str, Any] = {"set": spec.name, "documents": n, "failed": len(run.errors), "cached": cached,
                               "typed_right": typed, "classifier_right": classifier,
                               "routed_off_classifier": len(off),
                               "routing_fixed": sum(typed_right(o.expected_type, o.extraction_type, known) for o in off),
                               "routing_broke": sum(typed_right(o.expected_type, o.predicted_type, known) for o in off),
                               "type_needs_review": sum(1 for r in run.results.values() if r.get("document_type_needs_review")),
                               "docs_per_minute": round(60 * n / run.batch_seconds, 2) if run.batch_seconds else None,
                               "batch_seconds": round(run.batch_seconds, 1), "given_seconds": round(run.given_seconds, 1),
                               "cpu_seconds": run.cpu, "target": dataclasses.asdict(spec.target)}
    if spec.target.fields == ():
        measure["value"] = round(typed / n, 4) if n else None
    else:
        c = f1_over(e2e, spec.target.fields)
        measure["value"] = round(c.f1, 4)
        measure["f1_all_fields"] = round(f1_over(e2e, None).f1, 4)
        if given:
            measure["given_value"] = round(f1_over(given, spec.target.fields).f1, 4)
            measure["given_failed"] = sum(1 for o in given if o.error)
            measure["gap"] = round(measure["given_value"] - measure["value"], 4)
            # what the second pass really ran (phases 1-5 should be cache hits; embed is redone when the batch embedded)
            measure["given_recomputed"] = dict(Counter(name for r in run.given.values() for name, p in (r.get("phases") or {}).items()
                                                       if (p or {}).get("status") != "cached"))
        if any("later_page_total" in o.groups for o in e2e) and spec.fmt == "deepform" and spec.folder.endswith("pdfs"):
            measure["later_page_amounts"] = later_page_amounts(e2e)
            if given:
                measure["given_later_page_amounts"] = later_page_amounts(given)
    measure["met"] = measure["value"] is not None and measure["value"] >= spec.target.threshold
    report = {"end_to_end": build_report(folder=str(spec.folder), fmt=spec.fmt, ocr_url="", forced_type=None, threshold=0.5,
                                         outcomes=e2e, samples=[], skipped=run.skipped).model_dump(mode="json")}
    if given:
        report["type_given"] = build_report(folder=str(spec.folder), fmt=spec.fmt, ocr_url="", forced_type="(true type)",
                                            threshold=0.5, outcomes=given, samples=[], skipped=run.skipped).model_dump(mode="json")
    measure["confusion"] = dict(Counter(f"{o.expected_type} -> {o.extraction_type or 'FAILED'}" for o in e2e))
    measure["mistyped"] = [{"document": o.document, "expected": o.expected_type, "typed": o.extraction_type,
                            "classifier": o.predicted_type, "error": o.error,
                            "routing": ((run.results.get(o.document) or {}).get("routing") or {}).get("reason")}
                           for o in e2e if not typed_right(o.expected_type, o.extraction_type, known)]
    measure["per_field"] = per_field_rows(e2e, given)
    if spec.fmt == "doc_types":
        measure["per_source"] = {src: f"{sum(typed_right(o.expected_type, o.extraction_type, known) for o in e2e if src in o.groups)}"
                                      f"/{sum(1 for o in e2e if src in o.groups)}"
                                 for src in sorted({g for o in e2e for g in o.groups})}
    return {"measure": measure, "report": report}


def per_field_rows(e2e: list[Any], given: list[Any]) -> list[dict[str, Any]]:
    names = list(dict.fromkeys(f.name for o in e2e for f in o.fields))
    rows = []
    for name in names:
        a = f1_over(e2e, (name,))
        row = {"field": name, "tp": a.tp, "fp": a.fp, "fn": a.fn, "f1": round(a.f1, 4)}
        if given:
            b = f1_over(given, (name,))
            row |= {"given_tp": b.tp, "given_f1": round(b.f1, 4)}
        rows.append(row)
    return rows


# --- output ----------------------------------------------------------------------------------------------------

def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render(summaries: list[dict[str, Any]], totals: list[dict[str, Any]], rss: dict[str, float]) -> str:
    from iris_cli.table import render_table

    out = []
    for s in summaries:
        m = s["measure"]
        out += ["", f"== {m['set']}: {m['documents']} documents, {m['failed']} failed, {m['cached']} all-cached, "
                    f"{m['docs_per_minute']} docs/min end to end ({m['batch_seconds']}s batch, {m['given_seconds']}s type-given pass)"]
        if m["per_field"]:
            out.append(render_table(["field", "tp", "fp", "fn", "F1 end to end", "F1 type given"],
                                    [[r["field"], r["tp"], r["fp"], r["fn"], _fmt(r["f1"]), _fmt(r.get("given_f1"))]
                                     for r in m["per_field"]]))
        out.append("types (expected -> typed): " + ", ".join(f"{k} x{v}" for k, v in sorted(m["confusion"].items(), key=lambda kv: -kv[1])))
        if m.get("per_source"):
            out.append("typed right per source: " + ", ".join(f"{k} {v}" for k, v in m["per_source"].items()))
        out.append(f"routing: {m['routed_off_classifier']} typed otherwise than the classifier said ({m['routing_fixed']} "
                   f"then right, {m['routing_broke']} wrong where the classifier was right), "
                   f"{m['type_needs_review']} flagged type-needs-review")
        for miss in m["mistyped"][:8]:
            out.append(f"  mistyped {miss['document']}: {miss['expected']} -> {miss['typed'] or 'FAILED'} (classifier "
                       f"{miss['classifier']}){'; ' + miss['error'][:120] if miss['error'] else ''}"
                       f"{'; ' + str(miss['routing'])[:120] if miss['routing'] else ''}")
        if len(m["mistyped"]) > 8:
            out.append(f"  ... {len(m['mistyped']) - 8} more mistyped (see --json)")
        if m.get("given_recomputed") is not None:
            out.append("type-given pass recomputed: " + (", ".join(f"{k} x{v}" for k, v in m["given_recomputed"].items()) or "nothing"))
        if m["cpu_seconds"]:
            out.append("CPU seconds: " + ", ".join(f"{k} {v}" for k, v in m["cpu_seconds"].items()))

    rows = []
    for s in summaries:
        m = s["measure"]
        n = m["documents"]
        rows.append([m["set"], n, m["failed"], f"{m['typed_right']}/{n}", f"{m['classifier_right']}/{n}", m["target"]["measure"],
                     _fmt(m["value"]), _fmt(m.get("given_value")), _fmt(m.get("gap")), f">= {m['target']['threshold']:.2f}",
                     "MET" if m["met"] else "MISSED", m["docs_per_minute"]])
    out += ["", "end to end (type chosen by IRIS) beside the type given, same run",
            render_table(["set", "docs", "failed", "typed right", "classifier right", "measure", "end to end", "type given", "gap",
                          "target", "", "docs/min"], rows)]
    for t in totals:
        out.append(f"{t['measure']}: {t['value']} (target {t['target']}) {'MET' if t['met'] else 'MISSED'}")
    if rss:
        out.append("peak RSS of the services since they started (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))
    return "\n".join(out)


def overall_targets(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    totals = []
    receipts = [s["measure"] for s in summaries if SETS[s["measure"]["set"]].receipts]
    if receipts:
        right, n = sum(m["typed_right"] for m in receipts), sum(m["documents"] for m in receipts)
        share = right / n if n else 0.0
        totals.append({"measure": f"all receipt sets ({', '.join(m['set'] for m in receipts)}): receipts typed receipt",
                       "value": f"{right}/{n} = {share:.1%}", "target": f">= {RECEIPTS_TYPED_TARGET:.0%}",
                       "met": share >= RECEIPTS_TYPED_TARGET})
    for s in summaries:
        m = s["measure"]
        if "later_page_amounts" in m:
            tp, of = m["later_page_amounts"]
            given = m.get("given_later_page_amounts")
            scaled = "" if of == LATER_PAGE_OF else f", scaled to the {of} in this run: >= {LATER_PAGE_TARGET * of / LATER_PAGE_OF:.1f}"
            totals.append({"measure": f"{m['set']}: gross amounts printed only on later pages, right end to end",
                           "value": f"{tp} of {of}" + (f" (type given: {given[0]} of {given[1]})" if given else ""),
                           "target": f">= {LATER_PAGE_TARGET} of {LATER_PAGE_OF}{scaled}",
                           "met": of > 0 and tp * LATER_PAGE_OF >= LATER_PAGE_TARGET * of})
    return totals


# --- main ------------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    parser.add_argument("--limit", type=int, default=None, help="first N documents of each set (quick runs)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the labelled sets (default ../shared/data)")
    parser.add_argument("--json", type=Path, default=None, help="write every measure and per-document outcome here")
    parser.add_argument("--concurrency", type=int, default=2, help="documents in flight (as `iris batch --concurrency`)")
    parser.add_argument("--cache", choices=["cold", "warm"], default="cold", help="see the module docstring")
    parser.add_argument("--no-type-given", action="store_true", help="skip the second pass with the true type")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (symlinks, result JSONs)")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"no labelled data at {args.data}: nothing to measure (pass --data DIR)")
        return 0

    from iris_cli.prefect_env import use_local_prefect_if_running
    from iris_common.settings import ClientSettings

    home = ClientSettings().iris_home
    use_local_prefect_if_running()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    batch_on_running_services()  # before IRIS_HOME may move below
    work = Path(tempfile.mkdtemp(prefix="pipeline-eval-", dir=home if home.is_dir() else None))
    if args.cache == "cold":
        # task results persist under $IRIS_HOME/prefect-results (read when the flow modules are imported): a fresh home
        # for this process only; the services keep theirs
        os.environ["IRIS_HOME"] = str(work / "home")
    meter = CpuMeter(home)
    known = iris_types()
    print(f"pipeline eval: sets {', '.join(args.sets)}, limit {args.limit}, cache {args.cache}, work folder {work}, "
          f"Prefect API {os.environ.get('PREFECT_API_URL') or '(temporary local server)'}", flush=True)

    async def run_all() -> list[dict[str, Any]]:
        summaries = []
        for name in args.sets:
            spec = SETS[name]
            try:
                labels = read_set(spec, args.data)
            except (OSError, ValueError) as exc:
                print(f"{name}: cannot read labels: {exc}", flush=True)
                continue
            docs = spread(labels.documents, args.limit) if args.limit else labels.documents
            print(f"{name}: {len(docs)} documents ...", flush=True)
            run = await run_set(spec, docs, labels.skipped, work, args.concurrency, meter, not args.no_type_given)
            summaries.append(summarise_set(run, known))
            m = summaries[-1]["measure"]
            print(f"{name}: {m['target']['measure']} {_fmt(m['value'])} end to end, {_fmt(m.get('given_value'))} type given; "
                  f"typed right {m['typed_right']}/{m['documents']}; {m['docs_per_minute']} docs/min", flush=True)
        return summaries

    try:
        summaries = asyncio.run(run_all())
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    totals = overall_targets(summaries)
    rss = meter.peak_rss_mb()
    print(render(summaries, totals, rss))
    if args.json:
        args.json.write_text(json.dumps({"sets": summaries, "targets": totals, "peak_rss_mb": rss, "limit": args.limit,
                                         "cache": args.cache}, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        print(f"\nJSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
