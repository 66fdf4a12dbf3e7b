"""POST /extract_json and GET /engines against the real app with PaddleOCR (loaded once per session)."""

from decimal import Decimal

import pytest

from tests.encoding import jpeg_bytes, pdf_bytes

pytestmark = pytest.mark.slow


def _extract(client, content: bytes, name: str, document_type: str = "receipt", **form):
    reply = client.post(
        "/extract_json",
        files={"file": (name, content, "application/octet-stream")},
        data={"document_type": document_type, **form},
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["success"] is True and body["error"] is None
    return body


@pytest.mark.parametrize("fixture", ["receipt_en", "receipt_es"])
def test_receipt_date_total_and_merchant(client, request, fixture):
    doc = request.getfixturevalue(fixture)
    body = _extract(client, doc.png, "receipt.png", confidence_threshold="0.3")
    data = body["data"]
    fields = data["structured_document"]["fields"]
    assert data["structured_document"]["document_type"] == "receipt"
    assert Decimal(fields["total"]["value"]) == Decimal(doc.fields["total"])
    assert fields["date"]["value"] == doc.fields["date"]
    assert fields["merchant_name"]["value"].upper() == doc.fields["merchant_name"].upper()
    assert fields["merchant_address"]["value"]
    for name in ("total", "date", "merchant_name"):
        field = fields[name]
        assert 0.3 <= field["confidence"] <= 1 and field["needs_review"] is False
        x0, y0, x1, y1 = field["bbox"]
        assert 0 <= x0 < x1 <= doc.image.shape[1] and 0 <= y0 < y1 <= doc.image.shape[0]
    assert data["ocr"]["language"] == doc.lang
    assert data["structured_document"]["language"] == doc.lang


def test_ocr_result_shape(client, receipt_en):
    data = _extract(client, jpeg_bytes(receipt_en.image), "receipt.jpg", document_type="other")["data"]
    ocr = data["ocr"]
    assert ocr["engine"] == "paddleocr" and data["source_format"] == "jpeg"
    assert len(ocr["lines"]) >= 8 and len(ocr["words"]) >= len(ocr["lines"])
    assert ocr["reading_order"] == list(range(len(ocr["lines"])))
    assert 0.5 < ocr["mean_confidence"] <= 1
    first = ocr["lines"][0]
    assert len(first["polygon"]) == 4 and len(first["bbox"]) == 4 and 0 <= first["confidence"] <= 1
    rows = [line["row"] for line in ocr["lines"]]
    assert rows == sorted(rows)  # reading order runs top to bottom
    assert all(w["line_index"] < len(ocr["lines"]) for w in ocr["words"])
    assert data["structured_document"]["text_blocks"]
    assert receipt_en.fields["merchant_name"].split()[0].upper() in ocr["text"].upper()


def test_threshold_one_puts_every_field_under_review(client, receipt_en):
    body = _extract(client, receipt_en.png, "receipt.png", confidence_threshold="1.0")
    doc = body["data"]["structured_document"]
    total = doc["fields"]["total"]
    assert total["value"] is None and total["needs_review"] is True
    assert Decimal(total["candidate"]) == Decimal(receipt_en.fields["total"])
    assert "total" in doc["fields_needing_review"] and body["warnings"]


def test_pdf_page_is_read(client, receipt_es):
    body = _extract(client, pdf_bytes(receipt_es.image), "receipt.pdf")
    assert body["data"]["source_format"] == "pdf"
    assert Decimal(body["data"]["structured_document"]["fields"]["total"]["value"]) == Decimal(receipt_es.fields["total"])


def test_engines_info_and_health(client):
    engines = client.get("/engines").json()
    assert engines["engine"] == "paddle" and engines["loaded"] is True
    assert {m["model_id"] for m in engines["models"]} == {"PP-OCRv6_small_det", "PP-OCRv6_small_rec"}
    assert all(len(m["sha256"]) == 64 and m["source"].startswith("rapidocr==") for m in engines["models"])
    assert "onnxruntime" in engines["versions"] and "rapidocr" in engines["weights_source"]
    info = client.get("/info").json()
    assert info["service_name"] == "ocr-extractor" and info["inference_backend"] == "onnxruntime"
    health = client.get("/health").json()
    assert health["status"] == "healthy" and health["checks"]["ocr_engine"]["ok"] is True
