"""`iris eval FOLDER --format ...`: measure the pipeline on a labelled folder (see docs/evaluation.md)."""

import argparse
import sys

from iris_common.contract.extraction import DocumentType


def cmd_eval(args: argparse.Namespace) -> int:
    from iris_cli.evaluation import evaluate, render_report
    from iris_cli.evaluation.report import DocumentOutcome

    def show(done: int, total: int, outcome: DocumentOutcome) -> None:
        right = sum(f.tp for f in outcome.fields) + (outcome.pairs or {}).get("tp", 0)
        labelled = sum(f.tp + f.fn for f in outcome.fields) + sum((outcome.pairs or {}).get(k, 0) for k in ("tp", "fn"))
        status = outcome.error or f"{right}/{labelled} labelled values right"
        sys.stderr.write(f"[{done}/{total}] {outcome.document[:40]:<40} {outcome.seconds:6.2f}s  {status[:100]}\n")
        sys.stderr.flush()

    try:
        report = evaluate(args.folder, args.format, document_type=args.type, limit=args.limit, subset=args.subset,
                          ocr_url=args.ocr_url, compare_urls=args.compare_url, confidence_threshold=args.confidence_threshold,
                          progress=None if args.quiet else show)
    except (FileNotFoundError, ValueError) as exc:
        print(f"iris eval: {exc}", file=sys.stderr)
        return 2
    text = report.model_dump_json(indent=2) if args.json else render_report(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(report.model_dump_json(indent=2))
    print(text)
    return 1 if report.documents and report.failed == report.documents else 0


def register(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    from iris_cli.evaluation.readers import READERS

    help_text = "run the pipeline on a labelled folder: field P/R/F1, OCR error rate, calibration, slowest documents"
    parser = sub.add_parser("eval", help=help_text, description=help_text + ". Needs the services (`iris up`).")
    parser.add_argument("folder", help="the labelled folder")
    parser.add_argument("--format", required=True, choices=list(READERS), help="label format of the folder")
    parser.add_argument("--type", choices=[t.value for t in DocumentType],
                        help="document type to extract as (default: the format's natural type, or the label's / classifier's)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON (per-document outcomes included)")
    parser.add_argument("--out", help="also write the JSON report to this file")
    parser.add_argument("--limit", type=int, help="only the first N documents (in label-file order)")
    parser.add_argument("--subset", help="WildReceipt: a JSON-lines list to read (default: every list in the folder)")
    parser.add_argument("--ocr-url", help="ocr-extractor to extract with (default: OCR_EXTRACTOR_URL)")
    parser.add_argument("--compare-url", action="append", default=[],
                        help="another ocr-extractor (e.g. OCR_ENGINE=tesseract on another port) run on the same pages; repeatable")
    parser.add_argument("--confidence-threshold", type=float, default=0.5, help="as in the pipeline (default 0.5)")
    parser.add_argument("--quiet", action="store_true", help="no per-document progress on stderr")
    parser.set_defaults(func=cmd_eval)
