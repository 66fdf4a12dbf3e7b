"""`iris eval`: run the pipeline on a labelled folder and measure it (field P/R/F1, OCR CER, calibration, time).

    from iris_cli.evaluation import evaluate
    report = evaluate("../shared/data/sroie", "sroie", limit=20)
    print(report.overall.f1, report.ocr.cer, report.calibration.ece)
"""

import asyncio
from collections.abc import Callable
from pathlib import Path

from iris_cli.evaluation.readers import READERS, LabelledDocument, LabelSet, read_labels
from iris_cli.evaluation.report import DocumentOutcome, EvalReport, build_report, render_report, score_document
from iris_cli.evaluation.runner import PipelineRun, PipelineRunner
from iris_common.settings import ClientSettings

FORMATS = tuple(READERS)
Progress = Callable[[int, int, DocumentOutcome], None]


def _outcome(doc: LabelledDocument, run: PipelineRun, url: str, first_url: str) -> tuple[DocumentOutcome, list[tuple[float, bool]]]:
    extraction = run.extractions.get(url)
    fields, pairs, cer, samples = score_document(doc, extraction, run.transform)
    seconds = run.seconds if url == first_url else run.seconds - run.extract_seconds.get(first_url, 0.0) + run.extract_seconds.get(url, 0.0)
    phase_seconds = {k: round(v, 3) for k, v in run.phase_seconds.items()}
    if url != first_url and url in run.extract_seconds:  # a compared engine reads the page inside its extract call
        phase_seconds.pop("ocr", None)
        phase_seconds["extract"] = round(run.extract_seconds[url], 3)
    classification = run.classification or {}
    outcome = DocumentOutcome(
        document=doc.doc_id, image=str(doc.image), groups=doc.groups, expected_type=doc.document_type,
        predicted_type=classification.get("predicted_class"), classifier_confidence=classification.get("confidence"),
        extraction_type=run.extraction_type, engine=((extraction or {}).get("ocr") or {}).get("engine"),
        seconds=round(seconds, 3), phase_seconds=phase_seconds,
        error=run.error if extraction is None else None, classifier_error=run.classify_error, fields=fields, pairs=pairs,
        cer_edits=cer[0] if cer else None, cer_chars=cer[1] if cer else None, ocr_extra_chars=cer[2] if cer else None)
    return outcome, samples


async def evaluate_async(folder: str | Path, fmt: str, *, document_type: str | None = None, limit: int | None = None,
                         subset: str | Path | None = None, ocr_url: str | None = None, compare_urls: list[str] | None = None,
                         confidence_threshold: float = 0.5, progress: Progress | None = None,
                         settings: ClientSettings | None = None) -> EvalReport:
    folder = Path(folder)
    labels: LabelSet = read_labels(folder, fmt, Path(subset) if subset else None)
    docs = labels.documents[:limit] if limit else labels.documents
    runner = PipelineRunner([ocr_url, *(compare_urls or [])], confidence_threshold=confidence_threshold, settings=settings)
    urls = runner.ocr_urls
    per_url: dict[str, tuple[list[DocumentOutcome], list[tuple[float, bool]]]] = {url: ([], []) for url in urls}
    try:
        for i, doc in enumerate(docs, 1):
            # the format's natural type (or --type) drives extraction, so field scores measure extraction, not classification
            run = await runner.run(doc.image, document_type or doc.document_type)
            for url in urls:
                outcome, samples = _outcome(doc, run, url, urls[0])
                per_url[url][0].append(outcome)
                per_url[url][1].extend(samples)
            if progress:
                progress(i, len(docs), per_url[urls[0]][0][-1])
    finally:
        await runner.aclose()
    reports = [build_report(folder=str(folder), fmt=fmt, ocr_url=url, forced_type=document_type, threshold=confidence_threshold,
                            outcomes=per_url[url][0], samples=per_url[url][1], skipped=labels.skipped) for url in urls]
    reports[0].compared = reports[1:]
    return reports[0]


def evaluate(folder: str | Path, fmt: str, **options: object) -> EvalReport:
    """Synchronous `evaluate_async` (options: document_type, limit, subset, ocr_url, compare_urls,
    confidence_threshold, progress, settings)."""
    return asyncio.run(evaluate_async(folder, fmt, **options))  # type: ignore[arg-type]


__all__ = ["FORMATS", "EvalReport", "evaluate", "evaluate_async", "read_labels", "render_report"]
