"""core.routing: the type whose schema fills best wins when the classifier is unsure; a sure classifier is kept."""

from iris_common.contract.extraction import DocumentType, ExtractedField, KeyValuePair, StructuredDocument, ValidationCheck
from ocr_extractor.core.routing import CHECK_WEIGHT, KEY_FIELDS, OTHER_FILL, fill, given_type, route

T = DocumentType


def _doc(doc_type: DocumentType, found: dict[str, float], pairs: int = 0) -> StructuredDocument:
    fields = {name: ExtractedField(value="x", confidence=conf) for name, conf in found.items()}
    kv = [KeyValuePair(key=f"k{i}", value="v", confidence=0.9, key_bbox=[0, 0, 1, 1]) for i in range(pairs)]
    return StructuredDocument(document_type=doc_type, language="en", fields=fields, key_values=kv, confidence_threshold=0.5,
                              validation=[ValidationCheck(name="date_plausible", passed=True, details="")])


READABLE_RECEIPT = {"merchant_name": 0.9, "merchant_address": 0.8, "date": 0.95, "total": 0.95}


def _extractor(documents: dict[DocumentType, StructuredDocument], calls: list[DocumentType]):
    def extract(doc_type: DocumentType) -> StructuredDocument:
        calls.append(doc_type)
        return documents.get(doc_type, _doc(doc_type, {}))
    return extract


def test_fill_is_the_confidence_weighted_share_of_key_fields() -> None:
    weights = KEY_FIELDS[T.RECEIPT]
    share, found = fill(_doc(T.RECEIPT, {"date": 0.8, "total": 0.6}))  # and one check passed
    assert share == round((weights["date"] * 0.8 + weights["total"] * 0.6) / sum(weights.values()) + CHECK_WEIGHT, 4)
    assert found == ["total", "date"]
    # what marks a receipt counts more than a first row that looks like a name
    assert fill(_doc(T.RECEIPT, {"total": 0.9}))[0] > fill(_doc(T.RECEIPT, {"merchant_name": 0.9}))[0]
    assert fill(_doc(T.OTHER, {}))[0] == OTHER_FILL
    assert fill(_doc(T.FORM, {}, pairs=4))[0] == round(4 / 8 * 0.9**0.5, 4)
    assert fill(_doc(T.FORM, {}, pairs=12))[0] == round(0.9**0.5, 4)  # 8 pairs fill a form


def test_readable_receipt_the_classifier_called_other_is_extracted_as_a_receipt() -> None:
    calls: list[DocumentType] = []
    documents = {T.RECEIPT: _doc(T.RECEIPT, READABLE_RECEIPT)}
    chosen, decision = route({T.OTHER: 0.55, T.RECEIPT: 0.35, T.INVOICE: 0.08, T.FORM: 0.015}, _extractor(documents, calls))
    assert chosen.document_type == T.RECEIPT and decision.chosen == T.RECEIPT
    assert decision.classifier_choice == T.OTHER and decision.needs_review  # the evidence overruled the classifier: flagged
    assert set(calls) == {T.OTHER, T.RECEIPT, T.INVOICE}  # a type under MIN_PRIOR is not tried
    assert [t.document_type for t in decision.trials][0] == T.RECEIPT and "fills its schema" in decision.reason
    assert decision.confidence == 0.35


def test_sure_classifier_is_not_overruled_by_a_type_that_happens_to_fill() -> None:
    documents = {T.FORM: _doc(T.FORM, {}, pairs=2), T.RECEIPT: _doc(T.RECEIPT, READABLE_RECEIPT)}
    chosen, decision = route({T.FORM: 0.97, T.RECEIPT: 0.03}, _extractor(documents, []))
    assert chosen.document_type == T.FORM and not decision.needs_review


def test_nothing_readable_stays_other_and_uncertain_types_are_flagged() -> None:
    chosen, decision = route({T.OTHER: 0.5, T.LETTER: 0.3, T.RECEIPT: 0.2}, _extractor({}, []))
    assert chosen.document_type == T.OTHER and decision.needs_review  # 0.5 is under the review threshold


def test_given_type_is_recorded_as_given() -> None:
    decision = given_type(_doc(T.INVOICE, {"total": 0.9}))
    assert decision.given and decision.chosen == T.INVOICE and decision.classifier_choice is None and not decision.needs_review
