"""core.type_confidence: the document type's confidence is the shipped map's P(right), and the review flag follows it."""

import pytest

from iris_common.contract.extraction import DocumentType, ExtractedField, StructuredDocument, ValidationCheck
from ocr_extractor.core.calibration import FEATURES, Calibration
from ocr_extractor.core.routing import REVIEW_BELOW, route
from ocr_extractor.core.type_confidence import TYPE_FEATURES, type_features
from ocr_extractor.models.calibrate import PACKAGED_CALIBRATION, PACKAGED_TYPE_CALIBRATION, load_type_calibration

T = DocumentType
READABLE_RECEIPT = {"merchant_name": 0.9, "merchant_address": 0.8, "date": 0.95, "total": 0.95}


def _doc(doc_type: DocumentType, found: dict[str, float]) -> StructuredDocument:
    return StructuredDocument(document_type=doc_type, language="en", confidence_threshold=0.5,
                              fields={k: ExtractedField(value="x", confidence=c) for k, c in found.items()},
                              validation=[ValidationCheck(name="date_plausible", passed=True, details="")])


def _extract(documents: dict[DocumentType, StructuredDocument]):
    return lambda t: documents.get(t, _doc(t, {}))


@pytest.fixture(scope="module")
def shipped() -> Calibration:
    return Calibration.from_json(PACKAGED_TYPE_CALIBRATION.read_text(encoding="utf-8"), expected=TYPE_FEATURES)


def test_shipped_map_names_its_features_and_what_it_was_fitted_on(shipped: Calibration, tmp_path) -> None:
    assert shipped.features == TYPE_FEATURES and len(shipped.coef) == len(TYPE_FEATURES)
    assert shipped.fitted_on["pages"] >= 300 and shipped.fitted_on["ece_leave_one_source_out"] <= 0.10
    assert load_type_calibration(tmp_path).version == shipped.version  # no local map: the shipped one
    with pytest.raises(ValueError, match="do not match"):  # the field map is not a type map, nor the other way round
        Calibration.from_json(PACKAGED_CALIBRATION.read_text(encoding="utf-8"), expected=TYPE_FEATURES)
    with pytest.raises(ValueError, match="do not match"):
        Calibration.from_json(PACKAGED_TYPE_CALIBRATION.read_text(encoding="utf-8"), expected=FEATURES)


def test_type_features_describe_how_the_type_was_chosen() -> None:
    _, decision = route({T.OTHER: 0.55, T.RECEIPT: 0.35, T.INVOICE: 0.1}, _extract({T.RECEIPT: _doc(T.RECEIPT, READABLE_RECEIPT)}),
                        titled=T.RECEIPT)
    named = dict(zip(TYPE_FEATURES, type_features(decision.trials, T.OTHER, T.RECEIPT), strict=True))
    assert named["overruled"] == 1.0 and named["title_agrees"] == 1.0 and named["title_disagrees"] == 0.0
    assert named["compared"] == 1.0 and named["chosen_other"] == 0.0 and 0.5 < named["score_share"] < 1.0


def test_calibrated_confidence_replaces_the_classifier_probability_and_drives_the_flag(shipped: Calibration) -> None:
    scores = {T.OTHER: 0.55, T.RECEIPT: 0.35, T.INVOICE: 0.1}
    documents = {T.RECEIPT: _doc(T.RECEIPT, READABLE_RECEIPT)}
    _, raw = route(scores, _extract(documents))
    _, calibrated = route(scores, _extract(documents), type_calibration=shipped)
    assert raw.chosen == calibrated.chosen == T.RECEIPT  # the map changes the confidence, never the choice
    assert raw.confidence == 0.35 and calibrated.confidence != raw.confidence
    assert calibrated.needs_review == (calibrated.confidence < REVIEW_BELOW)
    # a sure classifier with a full schema is confident and not flagged; a type chosen against the classifier on a
    # thin schema (a handwritten note read as a letter with three of its four fields) is flagged
    _, sure = route({T.RECEIPT: 0.97, T.OTHER: 0.03}, _extract(documents), type_calibration=shipped)
    thin = {T.LETTER: _doc(T.LETTER, {"sender": 0.7, "recipient": 0.7, "date": 0.8})}
    _, overruled = route({T.RECEIPT: 0.55, T.OTHER: 0.3, T.LETTER: 0.15}, _extract(thin), type_calibration=shipped)
    assert sure.confidence > REVIEW_BELOW and not sure.needs_review
    assert overruled.chosen == T.LETTER and overruled.confidence < sure.confidence and overruled.needs_review
