"""POST /extract: extraction from the pages' OCR (JSON, no image), with the type given or routed, against the real app."""

import copy
from typing import Any

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def receipt_ocr(client, receipt_en) -> dict[str, Any]:
    reply = client.post("/ocr", files={"file": ("receipt.png", receipt_en.png, "image/png")})
    assert reply.status_code == 200, reply.text
    return reply.json()["data"]["ocr"]


def _extract(client, **body: Any):
    return client.post("/extract", json={"confidence_threshold": 0.3, **body})


def _ok(reply) -> dict[str, Any]:
    assert reply.status_code == 200, reply.text
    return reply.json()["data"]


def test_given_type_extracts_the_same_fields_as_extract_json(client, receipt_en, receipt_ocr) -> None:
    data = _ok(_extract(client, pages=[receipt_ocr], document_type="receipt"))
    fields = data["structured_document"]["fields"]
    again = _ok(client.post("/extract_json", files={"file": ("r.png", receipt_en.png, "image/png")},
                            data={"document_type": "receipt", "confidence_threshold": "0.3"}))["structured_document"]["fields"]
    assert {k: f["value"] for k, f in fields.items()} == {k: f["value"] for k, f in again.items()}
    assert fields["total"]["value"] == receipt_en.fields["total"]
    assert data["routing"]["given"] is True and data["pages"] == 1


def test_receipt_the_classifier_was_unsure_of_is_routed_to_receipt(client, receipt_ocr) -> None:
    data = _ok(_extract(client, pages=[receipt_ocr], candidates={"other": 0.55, "receipt": 0.35, "form": 0.1}))
    routing = data["routing"]
    assert routing["chosen"] == "receipt" == data["structured_document"]["document_type"]
    assert routing["classifier_choice"] == "other"
    # the confidence is the calibrated map's, not the classifier's 0.35; the review flag follows it
    assert routing["confidence"] != 0.35 and routing["needs_review"] == (routing["confidence"] < 0.9)
    assert {t["document_type"] for t in routing["trials"]} == {"other", "receipt", "form"}
    assert data["structured_document"]["fields"]["total"]["value"] is not None


def test_pages_read_one_at_a_time_are_one_document(client, receipt_ocr) -> None:
    """Two pages' OCR: page numbers and line indices run on, and a field can come from the second page."""
    blank_first = copy.deepcopy(receipt_ocr)
    blank_first.update(lines=[], words=[], reading_order=[], text="")
    data = _ok(_extract(client, pages=[blank_first, receipt_ocr], document_type="receipt"))
    assert data["pages"] == 2
    doc = data["structured_document"]
    assert doc["fields"]["total"]["value"] is not None and doc["fields"]["total"]["page"] == 1


def _val001(reply, client) -> dict[str, Any]:
    assert 400 <= reply.status_code < 500, reply.text
    error = reply.json()["error"]
    assert error["code"] == "VAL001" and error["retryable"] is False and error["message"]
    assert client.get("/health").json()["status"] == "healthy"
    return error


def test_bad_extract_requests_are_val001(client, receipt_ocr) -> None:
    _val001(_extract(client, pages=[receipt_ocr]), client)  # neither a type nor candidates
    _val001(_extract(client, pages=[], document_type="receipt"), client)
    _val001(_extract(client, pages=[receipt_ocr], document_type="recipe"), client)
    _val001(_extract(client, pages=[receipt_ocr], candidates={"receipt": 1.5}), client)
    _val001(client.post("/extract", content=b"not json", headers={"Content-Type": "application/json"}), client)
    original = copy.deepcopy(receipt_ocr) | {"coordinate_space": "original"}
    assert "processed" in _val001(_extract(client, pages=[original], document_type="receipt"), client)["message"]
    broken = copy.deepcopy(receipt_ocr)
    broken["lines"][0]["index"] = 999
    assert "lines[0]" in _val001(_extract(client, pages=[broken], document_type="receipt"), client)["message"]
    singular = [[0, 0, 0], [0, 0, 0], [0, 0, 1]]
    assert "source_transform" in _val001(_extract(client, pages=[receipt_ocr], document_type="receipt",
                                                  source_transforms=[singular]), client)["message"]
