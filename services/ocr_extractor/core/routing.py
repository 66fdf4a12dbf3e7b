"""Choosing a document's type from the classifier's probabilities AND what each type's extraction finds.

The classifier sees an embedding and a bag of words; it can call a small receipt on a white page `other`,
which would return an empty result although every receipt field is readable. Extraction from an OCR result is
cheap (tens of milliseconds), so every type the classifier gives a real chance is extracted and scored:

    score(type) = prior(type) ** PRIOR_WEIGHT * (FILL_FLOOR + fill(type))

`fill` is the confidence-weighted share of the type's key fields that were found (forms: of confident
key/value pairs); `other` has no key fields and gets the constant OTHER_FILL, so it wins only when no specific
type reads better than that. The square root of the prior keeps the classifier decisive when it is sure
(a form at 0.97 is not re-typed by a receipt-like row) and lets the evidence decide when it is not.
The constants were chosen on the development sets (benchmarks/pipeline_eval.py prints the effect).
"""

from __future__ import annotations

from collections.abc import Callable

from iris_common.contract.extraction import DocumentType, StructuredDocument
from iris_common.contract.routing import RoutingDecision, RoutingTrial

KEY_FIELDS: dict[DocumentType, tuple[str, ...]] = {
    DocumentType.RECEIPT: ("merchant_name", "merchant_address", "date", "total"),
    DocumentType.INVOICE: ("invoice_number", "date", "total", "vendor_name", "customer_name"),
    DocumentType.LETTER: ("sender", "recipient", "date", "subject"),
}
PRIOR_WEIGHT = 0.5
FILL_FLOOR = 0.1
OTHER_FILL = 0.35
FORM_PAIRS_FOR_FULL = 8  # confident key/value pairs that make a form's schema 'full'
MIN_PRIOR = 0.02  # types the classifier gives less are not tried
REVIEW_BELOW = 0.6  # a chosen type with a lower classifier probability is flagged for review


def fill(document: StructuredDocument) -> tuple[float, list[str]]:
    """How much of the type's schema this extraction filled (0..1), and the key fields it found."""
    if document.document_type == DocumentType.OTHER:
        return OTHER_FILL, []
    if document.document_type == DocumentType.FORM:
        confident = [p for p in document.key_values if p.confidence >= document.confidence_threshold]
        share = min(len(confident), FORM_PAIRS_FOR_FULL) / FORM_PAIRS_FOR_FULL
        mean = sum(p.confidence for p in confident) / len(confident) if confident else 0.0
        return round(share * mean, 4), [p.key for p in confident[:FORM_PAIRS_FOR_FULL]]
    keys = KEY_FIELDS[document.document_type]
    found = [k for k in keys if (f := document.fields.get(k)) is not None and f.value is not None]
    total = sum(document.fields[k].confidence for k in found)
    return round(total / len(keys), 4), found


def _trial(document: StructuredDocument, prior: float) -> RoutingTrial:
    share, found = fill(document)
    return RoutingTrial(
        document_type=document.document_type, prior=round(prior, 4), fill=share, found=found,
        checks_passed=sum(c.passed for c in document.validation), checks_failed=sum(not c.passed for c in document.validation),
        score=round(prior**PRIOR_WEIGHT * (FILL_FLOOR + share), 4),
    )


def given_type(document: StructuredDocument) -> RoutingDecision:
    """The caller fixed the type: recorded as such, nothing compared."""
    return RoutingDecision(chosen=document.document_type, classifier_choice=None, given=True, confidence=1.0, needs_review=False,
                           reason="document_type given by the caller", trials=[_trial(document, 1.0)])


def route(
    candidates: dict[DocumentType, float], extract: Callable[[DocumentType], StructuredDocument]
) -> tuple[StructuredDocument, RoutingDecision]:
    """Extract every candidate type worth trying and keep the best-scoring one (see the module docstring)."""
    top = max(candidates, key=candidates.__getitem__)
    tried = [t for t in sorted(candidates, key=candidates.__getitem__, reverse=True) if t == top or candidates[t] >= MIN_PRIOR]
    documents = {t: extract(t) for t in tried}
    trials = sorted((_trial(documents[t], candidates[t]) for t in tried), key=lambda tr: tr.score, reverse=True)
    best = trials[0]
    chosen = best.document_type
    confidence = candidates[chosen]
    if chosen == top:
        reason = f"the classifier's choice ({confidence:.2f})" + (
            f", and its schema fills best (fill {best.fill:.2f})" if len(trials) > 1 else "")
    else:
        reason = (f"{chosen.value} fills its schema (fill {best.fill:.2f}, found {', '.join(best.found) or 'nothing'}) where the "
                  f"classifier's {top.value} ({candidates[top]:.2f}) reads less: score {best.score:.2f} against "
                  f"{next(tr.score for tr in trials if tr.document_type == top):.2f}")
    decision = RoutingDecision(chosen=chosen, classifier_choice=top, given=False, confidence=round(confidence, 4),
                               needs_review=chosen != top or confidence < REVIEW_BELOW, reason=reason, trials=trials)
    return documents[chosen], decision
