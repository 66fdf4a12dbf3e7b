"""Choosing a document's type from the classifier's probabilities AND what each type's extraction finds.

The classifier sees an embedding and a bag of words; it can call a small receipt on a white page `other`,
which would return an empty result although every receipt field is readable. Extraction from an OCR result is
cheap (tens of milliseconds), so every type the classifier gives a real chance is extracted and scored:

    score(type) = prior(type) ** PRIOR_WEIGHT * (FILL_FLOOR + fill(type))

`fill` is the confidence-weighted share of the type's key fields that were found, each weighted by how much it
marks the type (a total more than a first row that looks like a name), plus a little for each cross-field check
passed (forms: the share of 8 key/value pairs linked, times the square root of their mean confidence); `other` has no key fields and gets the constant
OTHER_FILL, so it wins only when no specific type reads better than that. A PRIOR_WEIGHT under 1 flattens the
classifier's probabilities, so the evidence decides between types it is unsure of; a top type at SURE_ABOVE or more
is kept without comparison (a form at 0.97 is not re-typed by a few receipt-like rows).
Before scoring, the page's own title (core.titles: "INVOICE", "Factuur", "CONTRACT", "Reçu") updates the classifier's
probabilities (`with_title`): the classifier has not seen a Dutch invoice or a broadcaster's ad-buy order laid out
as a grid of labels, and calls both `form`; their titles say otherwise.
The constants were chosen on the development pages with `benchmarks/routing_study.py` (classifier alone vs routed,
and a grid around these values); benchmarks/pipeline_eval.py measures the effect end to end.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from iris_common.contract.extraction import DocumentType, StructuredDocument
from iris_common.contract.routing import RoutingDecision, RoutingTrial

from ocr_extractor.core.calibration import Calibration
from ocr_extractor.core.type_confidence import type_confidence

# Key fields and their weight: what a type is recognised by counts most. A first row that looks like a name is found on
# nearly any page, a total on a row with a total keyword or an invoice number next to its label are not.
KEY_FIELDS: dict[DocumentType, dict[str, float]] = {
    DocumentType.RECEIPT: {"total": 2.0, "date": 1.5, "merchant_name": 1.0, "merchant_address": 0.5},
    DocumentType.INVOICE: {"total": 2.0, "invoice_number": 1.5, "date": 1.0, "vendor_name": 0.5, "customer_name": 0.5},
    DocumentType.LETTER: {"sender": 1.0, "recipient": 1.0, "date": 1.0, "subject": 1.0},
}
CHECK_WEIGHT = 0.05  # each cross-field check passed (failed) adds (takes) this much fill
PRIOR_WEIGHT = 0.25
FILL_FLOOR = 0.05
OTHER_FILL = 0.45
FORM_PAIRS_FOR_FULL = 8  # key/value pairs that make a form's schema 'full'
MIN_PRIOR = 0.02  # types the classifier gives less are not tried
SURE_ABOVE = 0.9  # a classifier this sure of its top type is not second-guessed
# a chosen type with a lower confidence is flagged for review: with the calibrated map, a type that is wrong one
# time in ten or more (on the development pages, leave-one-source-out: 57 of 383 flagged, 12 of the 19 wrong)
REVIEW_BELOW = 0.9
TITLE_FACTOR = 8.0  # the type a page's title names (core.titles) is this many times likelier than the classifier said
# A title tells a sales document from a form much better than a receipt from an invoice (till receipts are headed
# "Invoice #", hotel invoices "Payment receipt"), so the sibling sales type is raised too, by SIBLING_FACTOR.
SIBLING_FACTOR = 4.0
SIBLINGS: dict[DocumentType, DocumentType] = {DocumentType.INVOICE: DocumentType.RECEIPT, DocumentType.RECEIPT: DocumentType.INVOICE}


def with_title(classifier: dict[DocumentType, float], titled: DocumentType | None) -> dict[DocumentType, float]:
    """The classifier's probabilities updated by the title's evidence (Bayes with a likelihood ratio), summing to 1."""
    if titled is None:
        return dict(classifier)
    factors = {titled: TITLE_FACTOR} | ({SIBLINGS[titled]: SIBLING_FACTOR} if titled in SIBLINGS else {})
    updated = {t: classifier.get(t, 0.0) * factors.get(t, 1.0) for t in {*classifier, *factors}}
    updated[titled] = max(updated[titled], MIN_PRIOR * TITLE_FACTOR)
    total = sum(updated.values())
    return {t: p / total for t, p in updated.items()}


def fill(document: StructuredDocument) -> tuple[float, list[str]]:
    """How much of the type's schema this extraction filled (0..1), and the key fields it found."""
    if document.document_type == DocumentType.OTHER:
        return OTHER_FILL, []
    if document.document_type == DocumentType.FORM:
        # a form is recognised by how many key/value pairs it links; their calibrated confidences run lower than a
        # receipt's fields (0.4-0.6 on FUNSD), so they count through a square root and no threshold drops any
        best = sorted(document.key_values, key=lambda p: p.confidence, reverse=True)[:FORM_PAIRS_FOR_FULL]
        if not best:
            return 0.0, []
        mean = sum(p.confidence for p in best) / len(best)
        return round(len(best) / FORM_PAIRS_FOR_FULL * math.sqrt(mean), 4), [p.key for p in best]
    weights = KEY_FIELDS[document.document_type]
    found = [k for k in weights if (f := document.fields.get(k)) is not None and f.value is not None]
    share = sum(weights[k] * document.fields[k].confidence for k in found) / sum(weights.values())
    checks = sum(CHECK_WEIGHT if c.passed else -CHECK_WEIGHT for c in document.validation)
    return round(min(max(share + checks, 0.0), 1.0), 4), found


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
    classifier: dict[DocumentType, float], extract: Callable[[DocumentType], StructuredDocument],
    titled: DocumentType | None = None, type_calibration: Calibration | None = None,
) -> tuple[StructuredDocument, RoutingDecision]:
    """Extract every candidate type worth trying and keep the best-scoring one (see the module docstring).
    `titled`: the type the page's own title names, if any (core.titles); `type_calibration`: the map from the
    decision to P(right) (core.type_confidence), without which the confidence is the title-updated prior."""
    classifier_top = max(classifier, key=classifier.__getitem__)
    candidates = with_title(classifier, titled)
    top = max(candidates, key=candidates.__getitem__)
    # sure only when the classifier AND the title-updated probabilities both say so: a title neither silences the
    # comparison (an invoice-titled till receipt still tries `receipt`) nor is silenced by a classifier that is sure;
    # and never sure of `other`, the type with the fewest fields: a readable receipt the classifier is sure is
    # `other` (a small faint slip on a big white page) still tries `receipt`, at the cost of milliseconds
    sure = min(classifier[classifier_top], candidates[top]) >= SURE_ABOVE and top != DocumentType.OTHER
    tried = [t for t in sorted(candidates, key=candidates.__getitem__, reverse=True)
             if t == top or (not sure and candidates[t] >= MIN_PRIOR)]
    documents = {t: extract(t) for t in tried}
    trials = sorted((_trial(documents[t], candidates[t]) for t in tried), key=lambda tr: tr.score, reverse=True)
    best = trials[0]
    chosen = best.document_type
    confidence = type_confidence(trials, classifier_top, titled, type_calibration)
    said = f"the title names {titled.value}; " if titled is not None else ""
    if chosen == classifier_top:
        reason = said + f"the classifier's choice ({classifier[chosen]:.2f})" + (
            f", and its schema fills best (fill {best.fill:.2f})" if len(trials) > 1 else "")
    else:
        reason = said + (f"{chosen.value} fills its schema (fill {best.fill:.2f}, found {', '.join(best.found) or 'nothing'}) where the "
                         f"classifier's {classifier_top.value} ({classifier[classifier_top]:.2f}) reads less: score {best.score:.2f} "
                         f"against {next((tr.score for tr in trials if tr.document_type == classifier_top), 0.0):.2f}")
    decision = RoutingDecision(chosen=chosen, classifier_choice=classifier_top, titled=titled, given=False,
                               confidence=round(confidence, 4), needs_review=confidence < REVIEW_BELOW,
                               reason=reason, trials=trials)
    return documents[chosen], decision
