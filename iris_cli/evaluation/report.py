"""What `iris eval` reports: per-document outcomes, the aggregated measures, and their text rendering.

The pydantic models are the `--json` output (one shape for humans and machines: the tables are rendered from it).
"""

import statistics
from collections import Counter, defaultdict
from typing import Any

from pydantic import BaseModel, Field

from iris_cli.evaluation.readers import LATER_PAGE_TOTAL, LabelledDocument
from iris_cli.evaluation.scoring import Counts, aligned_cer, calibration, field_kind, map_box, match_pairs, score_field, sequence_cer
from iris_cli.table import render_table

PAIRS_FIELD = "key_value_pairs"


class FieldOutcome(BaseModel):
    name: str
    truth: list[str] = Field(description="acceptable values; [] = labelled absent")
    predicted: str | None = Field(description="the output's `value` (null under the confidence threshold)")
    candidate: str | None = Field(None, description="the value found when `value` is null (needs review)")
    confidence: float | None = None
    correct: bool | None = Field(None, description="value, or else candidate, equals a label (what the confidence claims)")
    tp: int = 0
    fp: int = 0
    fn: int = 0


class DocumentOutcome(BaseModel):
    document: str
    image: str
    groups: list[str] = Field(default_factory=list)
    expected_type: str | None
    predicted_type: str | None = Field(description="the classifier's answer")
    classifier_confidence: float | None = None
    extraction_type: str | None
    engine: str | None = None
    seconds: float
    phase_seconds: dict[str, float] = Field(default_factory=dict)
    error: str | None = None
    classifier_error: str | None = Field(None, description="embed/classify failed; the known type was extracted")
    fields: list[FieldOutcome] = Field(default_factory=list)
    pairs: dict[str, int] | None = Field(None, description="key/value pair tp, fp, fn")
    cer_edits: int | None = None
    cer_chars: int | None = None
    ocr_extra_chars: int | None = None


class Score(BaseModel):
    document_type: str
    field: str
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float

    @classmethod
    def of(cls, document_type: str, field: str, counts: Counts) -> "Score":
        return cls(document_type=document_type, field=field, tp=counts.tp, fp=counts.fp, fn=counts.fn,
                   precision=round(counts.precision, 4), recall=round(counts.recall, 4), f1=round(counts.f1, 4))


class ReliabilityRow(BaseModel):
    low: float
    high: float
    count: int
    mean_confidence: float
    accuracy: float


class CalibrationReport(BaseModel):
    ece: float | None = Field(description="expected calibration error, 10 equal-width bins")
    count: int
    bins: list[ReliabilityRow] = Field(default_factory=list)


class OcrErrorRate(BaseModel):
    cer: float | None
    documents: int
    reference_chars: int
    edits: int
    extra_chars: int = Field(0, description="OCR characters over no reference box (not counted in the CER)")


class EvalReport(BaseModel):
    folder: str
    format: str
    ocr_url: str
    engine: str | None
    forced_type: str | None
    confidence_threshold: float
    documents: int
    failed: int
    skipped: list[list[str]] = Field(default_factory=list, description="label files that could not be evaluated, and why")
    scores: list[Score] = Field(description="per document type and field, then each type's `(all)` row (micro)")
    overall: Score
    groups: dict[str, list[Score]] = Field(default_factory=dict, description="per subset: fields and `(all)`")
    ocr: OcrErrorRate | None
    calibration: CalibrationReport
    classification: dict[str, Any]
    seconds: dict[str, float] = Field(description="per document: mean, median, max, total")
    slowest: list[DocumentOutcome]
    outcomes: list[DocumentOutcome]
    compared: list["EvalReport"] = Field(default_factory=list, description="the same documents extracted by other OCR URLs")


def text_of(value: Any) -> str | None:
    """A field value as text, whatever shape the output uses (string, number, {value|amount|iso: ...})."""
    if value is None or isinstance(value, list):
        return None
    if isinstance(value, dict):
        for key in ("value", "amount", "iso", "text"):
            if value.get(key) is not None:
                return text_of(value[key])
        return None
    return str(value)


Scored = tuple[list[FieldOutcome], dict[str, int] | None, tuple[int, int, int] | None, list[tuple[float, bool]]]


def score_document(doc: LabelledDocument, extraction: dict[str, Any] | None, transform: list[list[float]] | None = None) -> Scored:
    """Field outcomes, pair counts, (CER edits, reference chars) and calibration samples of one document.
    `extraction` None (the pipeline failed): every labelled value is a false negative."""
    structured = (extraction or {}).get("structured_document") or {}
    out_fields = structured.get("fields") or {}
    outcomes, samples = [], []
    for name, truths in doc.fields.items():
        kind = field_kind(name)
        mode = doc.match_modes.get(name, "exact")
        got = out_fields.get(name) if isinstance(out_fields.get(name), dict) else {}
        predicted, candidate = text_of(got.get("value")), text_of(got.get("candidate"))
        counts = score_field(predicted, truths, kind, doc.comparator, mode)
        shown = predicted if predicted is not None else candidate
        correct = None
        if shown is not None and got.get("confidence") is not None:
            correct = bool(truths) and doc.comparator.matches(shown, truths, kind, mode)
            samples.append((float(got["confidence"]), correct))
        outcomes.append(FieldOutcome(name=name, truth=truths, predicted=predicted,
                                     candidate=candidate if predicted is None else None, confidence=got.get("confidence"),
                                     correct=correct, tp=counts.tp, fp=counts.fp, fn=counts.fn))
    pairs = None
    if doc.pairs is not None:
        found = [kv for kv in structured.get("key_values") or [] if kv.get("key") and kv.get("value")]
        matches = match_pairs(doc.pairs, [(kv["key"], kv["value"]) for kv in found])
        pairs = {"tp": len(matches), "fp": len(found) - len(matches), "fn": len(doc.pairs) - len(matches)}
        matched = {j for _, j in matches}
        samples += [(float(kv["confidence"]), j in matched) for j, kv in enumerate(found) if kv.get("confidence") is not None]
    cer = None
    if doc.lines and extraction is not None:
        cer = ocr_errors(doc.lines, (extraction.get("ocr") or {}).get("lines", []), transform)
    return outcomes, pairs, cer, samples


def ocr_errors(lines: list[tuple[str, list[float] | None]], ocr_lines: list[dict[str, Any]],
               transform: list[list[float]] | None) -> tuple[int, int, int]:
    """(edits, reference characters, OCR characters outside the reference boxes). Label boxes are in the uploaded
    image's pixels, OCR boxes in the processed page's (or, once mapped back, the original's): both frames are tried
    and the one where more of the reference is covered by OCR lines is used."""
    if any(box is None for _, box in lines):
        counts = sequence_cer([t for t, _ in lines], [line["text"] for line in ocr_lines])
        return counts.edits, counts.chars, 0
    ocr = [(line["text"], line["bbox"]) for line in ocr_lines if line.get("bbox")]
    frames = [list(lines)]
    if transform:
        frames.append([(t, map_box(b, transform)) for t, b in lines])  # type: ignore[arg-type]
    best = max((aligned_cer(frame, ocr) for frame in frames), key=lambda c: (c.aligned_chars, -c.edits))
    return best.edits, best.chars, best.extra_chars


def build_report(*, folder: str, fmt: str, ocr_url: str, forced_type: str | None, threshold: float,
                 outcomes: list[DocumentOutcome], samples: list[tuple[float, bool]],
                 skipped: list[tuple[str, str]], slowest: int = 5) -> EvalReport:
    per_field: dict[tuple[str, str], Counts] = defaultdict(Counts)
    per_group: dict[str, dict[str, Counts]] = defaultdict(lambda: defaultdict(Counts))
    for outcome in outcomes:
        doc_type = outcome.extraction_type or outcome.expected_type or "unknown"
        items = [(f.name, Counts(f.tp, f.fp, f.fn)) for f in outcome.fields]
        if outcome.pairs is not None:
            items.append((PAIRS_FIELD, Counts(**outcome.pairs)))
        for name, counts in items:
            per_field[(doc_type, name)].add(counts)
            for group in outcome.groups:
                per_group[group][name].add(counts)
    scores, overall = [], Counts()
    for doc_type in sorted({t for t, _ in per_field}):
        type_total = Counts()
        for (t, name), counts in sorted(per_field.items()):
            if t == doc_type:
                scores.append(Score.of(doc_type, name, counts))
                type_total.add(counts)
        scores.append(Score.of(doc_type, "(all)", type_total))
        overall.add(type_total)
    groups = {}
    if len(per_group) > 1:
        for group, fields in sorted(per_group.items()):
            total = Counts()
            for counts in fields.values():
                total.add(counts)
            groups[group] = [Score.of(group, name, c) for name, c in sorted(fields.items())] + [Score.of(group, "(all)", total)]
    with_cer = [o for o in outcomes if o.cer_chars]
    ocr = None
    if with_cer:
        edits, chars = sum(o.cer_edits or 0 for o in with_cer), sum(o.cer_chars or 0 for o in with_cer)
        ocr = OcrErrorRate(cer=round(edits / chars, 4), documents=len(with_cer), reference_chars=chars, edits=edits,
                           extra_chars=sum(o.ocr_extra_chars or 0 for o in with_cer))
    cal = calibration(samples)
    expected = [o for o in outcomes if o.expected_type and o.predicted_type]
    classification = {"expected_vs_predicted": dict(Counter(f"{o.expected_type} -> {o.predicted_type}" for o in expected)),
                      "accuracy": round(sum(o.expected_type == o.predicted_type for o in expected) / len(expected), 4)
                      if expected else None,
                      "documents": len(expected)}
    times = [o.seconds for o in outcomes if not o.error]
    seconds = ({"mean": round(statistics.mean(times), 3), "median": round(statistics.median(times), 3), "max": round(max(times), 3),
                "total": round(sum(times), 1)} if times else {})
    engines = Counter(o.engine for o in outcomes if o.engine)
    return EvalReport(
        folder=folder, format=fmt, ocr_url=ocr_url, engine=engines.most_common(1)[0][0] if engines else None, forced_type=forced_type,
        confidence_threshold=threshold, documents=len(outcomes), failed=sum(1 for o in outcomes if o.error),

        skipped=[list(s) for s in skipped], scores=scores, overall=Score.of("(all)", "(all)", overall), groups=groups, ocr=ocr,
        calibration=CalibrationReport(
            ece=None if cal.ece is None else round(cal.ece, 4), count=cal.count,
            bins=[ReliabilityRow(low=b.low, high=b.high, count=b.count, mean_confidence=round(b.mean_confidence, 4),
                                 accuracy=round(b.accuracy, 4)) for b in cal.bins]),
        classification=classification, seconds=seconds,
        slowest=sorted(outcomes, key=lambda o: o.seconds, reverse=True)[:slowest], outcomes=outcomes)


def _types(report: EvalReport) -> str:
    if report.forced_type:
        return f"{report.forced_type} (--type)"
    used = Counter(o.extraction_type for o in report.outcomes if o.extraction_type)
    return ", ".join(f"{t} x{n}" for t, n in used.most_common()) or "-"


def _score_rows(scores: list[Score]) -> list[list[object]]:
    return [[s.document_type, s.field, s.tp, s.fp, s.fn, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}"] for s in scores]


SCORE_HEADERS = ["type", "field", "tp", "fp", "fn", "precision", "recall", "f1"]


def render_report(report: EvalReport) -> str:
    """The tables `iris eval` prints."""
    out = [f"iris eval {report.folder} --format {report.format}: {report.documents} documents, {report.failed} failed, "
           f"OCR {report.engine or '?'} at {report.ocr_url}, extracted as {_types(report)}, "
           f"confidence threshold {report.confidence_threshold}"]
    for name, why in report.skipped:
        out.append(f"  skipped {name}: {why}")
    out += ["", "field scores (exact after normalisation; see docs/evaluation.md)",
            render_table(SCORE_HEADERS, _score_rows(report.scores + [report.overall]))]
    for group, scores in report.groups.items():
        out += ["", f"subset {group}", render_table(SCORE_HEADERS, _score_rows(scores))]
    later = next((s for s in report.groups.get(LATER_PAGE_TOTAL, []) if s.field == "total"), None)
    if later is not None:
        out += ["", f"later-page amounts (total printed only after page 1): {later.tp} of {later.tp + later.fn} right"]
    if report.ocr:
        out += ["", f"OCR character error rate: {report.ocr.cer:.2%} ({report.ocr.edits} edits / {report.ocr.reference_chars} "
                    f"reference characters, {report.ocr.documents} documents; case and whitespace ignored; "
                    f"{report.ocr.extra_chars} OCR characters outside the labelled lines not counted)"]
    cal = report.calibration
    out += ["", f"calibration: ECE {cal.ece:.3f} over {cal.count} predicted values (value, or candidate under the threshold)"
            if cal.ece is not None else "calibration: no confidences"]
    if cal.bins:
        out.append(render_table(["confidence", "n", "mean conf", "accuracy", "gap"],
                                [[f"{b.low:.1f}-{b.high:.1f}", b.count, f"{b.mean_confidence:.3f}", f"{b.accuracy:.3f}",
                                  f"{b.accuracy - b.mean_confidence:+.3f}"] for b in cal.bins]))
    cls = report.classification
    unclassified = [o for o in report.outcomes if o.classifier_error]
    if unclassified:
        out += ["", f"classifier unavailable on {len(unclassified)} documents (extracted as their known type): "
                    f"{unclassified[0].classifier_error[:160]}"]
    if cls.get("documents"):
        confusion = ", ".join(f"{k}: {v}" for k, v in sorted(cls["expected_vs_predicted"].items(), key=lambda kv: -kv[1]))
        out += ["", f"classifier (recorded, not used for extraction when the type is known): accuracy {cls['accuracy']:.3f} "
                    f"on {cls['documents']} ({confusion})"]
    if report.seconds:
        s = report.seconds
        out += ["", f"time per document: mean {s['mean']:.2f}s, median {s['median']:.2f}s, max {s['max']:.2f}s, total {s['total']:.0f}s"]
    if report.slowest:
        phases = ["preprocess", "ocr", "embed", "classify", "extract"]
        out += ["slowest documents", render_table(["document", "seconds", *phases, "error"],
                [[o.document, f"{o.seconds:.2f}", *(f"{o.phase_seconds[p]:.2f}" if p in o.phase_seconds else "-" for p in phases),
                  (o.error or "-")[:80]] for o in report.slowest])]
    failed = [o for o in report.outcomes if o.error]
    for o in failed[:10]:
        out.append(f"FAILED {o.document}: {o.error}")
    for other in report.compared:
        out += ["", "=" * 100, render_report(other)]
    if report.compared:
        out += ["", "engine comparison (F1 per field; same documents, same pages)", render_comparison([report, *report.compared])]
    return "\n".join(out)


def render_comparison(reports: list[EvalReport]) -> str:
    keys = list(dict.fromkeys((s.document_type, s.field) for r in reports for s in r.scores))
    f1 = [{(s.document_type, s.field): s.f1 for s in r.scores} for r in reports]
    names = [f"{r.engine or '?'} ({r.ocr_url})" for r in reports]
    rows = [[t, name, *(f"{m[(t, name)]:.3f}" if (t, name) in m else "-" for m in f1)] for t, name in keys]
    rows.append(["(all)", "(all)", *(f"{r.overall.f1:.3f}" for r in reports)])
    rows.append(["", "OCR CER", *(f"{r.ocr.cer:.2%}" if r.ocr and r.ocr.cer is not None else "-" for r in reports)])
    rows.append(["", "ECE", *(f"{r.calibration.ece:.3f}" if r.calibration.ece is not None else "-" for r in reports)])
    return render_table(["type", "field", *names], rows)
