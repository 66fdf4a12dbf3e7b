"""POST /extract_json and GET /engines against the real app with PaddleOCR (loaded once per session)."""

from decimal import Decimal

import pytest

from tests.encoding import jpeg_bytes, pdf_bytes, png_bytes

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
    maps = ("field-confidence", "document-type-confidence", "field-extraction")
    ocr_models = [m for m in engines["models"] if m["model_id"] not in maps]
    assert {m["model_id"] for m in ocr_models} == {"PP-OCRv6_small_det", "PP-OCRv6_small_rec"}
    assert all(len(m["sha256"]) == 64 and m["source"].startswith("rapidocr==") for m in ocr_models)
    calibration = next(m for m in engines["models"] if m["model_id"] == "field-confidence")
    assert len(calibration["version"]) == 12 and calibration["weights_source"].endswith("calibration.json")
    type_map = next(m for m in engines["models"] if m["model_id"] == "document-type-confidence")
    assert type_map["weights_source"].endswith("type_calibration.json") and type_map["fitted_on"]["pages"] > 0
    assert "onnxruntime" in engines["versions"] and "rapidocr" in engines["weights_source"]
    # the rules' revision: part of the flow's cache key of the extract phase
    rules = next(m for m in engines["models"] if m["model_id"] == "field-extraction")
    assert rules["role"] == "field_extraction" and rules["version"].startswith("rules")
    info = client.get("/info").json()
    assert info["service_name"] == "ocr-extractor" and info["inference_backend"] == "onnxruntime"
    health = client.get("/health").json()
    assert health["status"] == "healthy" and health["checks"]["ocr_engine"]["ok"] is True
    assert health["checks"]["confidence_calibration"]["ok"] is True
    assert health["checks"]["type_confidence_calibration"]["ok"] is True


def test_schemas_are_listed_with_versions_and_served(client):
    listing = client.get("/schemas").json()
    by_type = {s["document_type"]: s for s in listing["schemas"]}
    assert set(by_type) == {"receipt", "invoice", "form", "letter", "other"}
    assert by_type["receipt"]["version"] == "1.0.0" and "merchant_tax_id" in by_type["receipt"]["fields"]
    assert by_type["receipt"]["expected_fields"] == ["merchant_name", "date", "total"] and by_type["form"]["expected_fields"] == []
    assert {"invoice_number", "due_date", "vendor_tax_id", "customer_name"} <= set(by_type["invoice"]["fields"])
    assert set(by_type["letter"]["fields"]) == {"sender", "recipient", "date", "subject"}
    schema = client.get("/schemas/receipt").json()
    assert schema["$id"] == by_type["receipt"]["schema_id"] and schema["version"] == "1.0.0"
    assert schema["properties"]["fields"]["$ref"].endswith("ReceiptFields")
    assert schema["$defs"]["DateFieldSchema"]["properties"]["value"]["anyOf"][0]["pattern"] == r"^\d{4}-\d{2}-\d{2}$"


def test_earlier_schema_versions_stay_served(client):
    by_type = {s["document_type"]: s for s in client.get("/schemas").json()["schemas"]}
    assert by_type["invoice"]["version"] == "1.1.0" and by_type["invoice"]["versions"] == ["1.0.0", "1.1.0"]
    assert {"period_start", "period_end"} <= set(by_type["invoice"]["fields"])
    assert by_type["other"]["versions"] == ["1.0.0", "1.1.0"] and "issuer" in by_type["other"]["fields"]
    old = client.get("/schemas/invoice", params={"version": "1.0.0"}).json()
    assert old["version"] == "1.0.0" and old["$id"].endswith("/invoice/1.0.0.json")
    assert client.get("/schemas/invoice").json()["version"] == "1.1.0"
    missing = client.get("/schemas/invoice", params={"version": "0.9.0"})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "VAL001" and "1.0.0" in missing.json()["error"]["message"]


@pytest.mark.parametrize("kind", ["receipt", "invoice", "form", "letter", "other"])
def test_every_output_validates_against_its_published_schema(client, receipt_en, kind):
    from jsonschema import Draft202012Validator

    doc = _extract(client, receipt_en.png, "receipt.png", document_type=kind)["data"]["structured_document"]
    schema = client.get(f"/schemas/{kind}").json()
    assert list(Draft202012Validator(schema).iter_errors(doc)) == []
    assert doc["schema_version"] == schema["version"]
    for name in client.get("/schemas").json()["schemas"][["receipt", "invoice", "form", "letter", "other"].index(kind)]["fields"]:
        assert name in doc["fields"]


def test_receipt_output_has_normalised_values_validation_and_calibrated_confidence(client, receipt_en):
    doc = _extract(client, receipt_en.png, "receipt.png", confidence_threshold="0")["data"]["structured_document"]
    fields = doc["fields"]
    assert Decimal(fields["subtotal"]["value"]) == Decimal(receipt_en.fields["subtotal"])
    assert Decimal(fields["tax"]["value"]) == Decimal(receipt_en.fields["tax"])
    assert fields["date"]["raw"] and fields["date"]["value"] == receipt_en.fields["date"]
    checks = {c["name"]: c for c in doc["validation"]}
    assert checks["subtotal_plus_tax"]["passed"] is True and checks["date_plausible"]["passed"] is True
    assert len(doc["line_items"]) == len(receipt_en.fields["line_items"])
    assert all(0 <= f["confidence"] <= 1 for f in fields.values())
    assert fields["total"]["confidence"] > 0.5 and fields["merchant_tax_id"]["confidence"] == 0


def test_source_transform_maps_boxes_to_the_original_image(client, receipt_en):
    """The user uploaded the receipt sideways; phase 1 turned it upright and reported T (original -> processed).
    OCR runs on the upright page; with T the boxes land on the same ink in the sideways original."""
    import json

    import numpy as np

    processed = receipt_en.image
    height, width = processed.shape[:2]
    original = np.ascontiguousarray(np.rot90(processed, k=1))  # original[y, x] == processed[x, width - 1 - y]
    t = [[0, -1, width - 1], [1, 0, 0], [0, 0, 1]]
    plain = _extract(client, png_bytes(processed), "receipt.png", confidence_threshold="0")["data"]["structured_document"]
    mapped = _extract(client, png_bytes(processed), "receipt.png", confidence_threshold="0", source_transform=json.dumps(t))["data"]
    doc = mapped["structured_document"]
    assert doc["coordinate_space"] == "original" and mapped["ocr"]["coordinate_space"] == "original"
    assert plain["coordinate_space"] == "processed"

    def ink(image, box):
        x0, y0, x1, y1 = (int(round(v)) for v in box)
        return int((image[y0:y1, x0:x1] < 128).sum())

    for name in ("total", "date", "merchant_name"):
        got, want = doc["fields"][name]["bbox"], plain["fields"][name]["bbox"]
        assert 0 <= got[0] < got[2] <= original.shape[1] and 0 <= got[1] < got[3] <= original.shape[0]
        assert got[2] - got[0] == pytest.approx(want[3] - want[1], abs=1) and got[3] - got[1] == pytest.approx(want[2] - want[0], abs=1)
        assert ink(original, got) == pytest.approx(ink(processed, want), rel=0.1) and ink(original, got) > 0


def test_a_schema_violation_is_gen001_never_returned(client, receipt_en, monkeypatch):
    """Test double (error path only): the extractor is made to produce a malformed date."""
    from ocr_extractor import service

    real = service.extract_document

    def broken(*args, **kwargs):
        doc = real(*args, **kwargs)
        doc.fields["date"].value = "28/12/2017"  # not ISO 8601
        return doc

    monkeypatch.setattr(service, "extract_document", broken)
    reply = client.post("/extract_json", files={"file": ("r.png", receipt_en.png, "image/png")}, data={"document_type": "receipt"})
    assert reply.status_code == 500
    error = reply.json()["error"]
    assert error["code"] == "GEN001" and error["details"]["violations"][0]["path"] == "fields/date/value"
