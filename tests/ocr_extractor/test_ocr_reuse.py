"""POST /ocr, and POST /extract_json reusing its result (form field `ocr`) instead of recognising the page again,
against the real app with PaddleOCR (loaded once per session)."""

import copy
import json
from typing import Any

import numpy as np
import pytest

from tests.encoding import pdf_bytes

pytestmark = pytest.mark.slow


def _ok(reply) -> dict[str, Any]:
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["success"] is True and body["error"] is None
    return body


def _ocr(client, content: bytes, name: str) -> dict[str, Any]:
    return _ok(client.post("/ocr", files={"file": (name, content, "application/octet-stream")}))


def _extract(client, content: bytes, name: str, **form: str) -> dict[str, Any]:
    data = {"document_type": "receipt", "confidence_threshold": "0.3", **form}
    return _ok(client.post("/extract_json", files={"file": (name, content, "application/octet-stream")}, data=data))


@pytest.fixture(scope="module")
def receipt_ocr(client, receipt_en) -> dict[str, Any]:
    """The `data.ocr` of /ocr for the English receipt, read once for the module."""
    return _ocr(client, receipt_en.png, "receipt.png")["data"]["ocr"]


def test_ocr_returns_lines_and_text_in_processed_coordinates(client, receipt_en):
    body = _ocr(client, receipt_en.png, "receipt.png")
    data = body["data"]
    assert set(data) == {"ocr", "source_format", "timings"} and data["source_format"] == "png"
    ocr = data["ocr"]
    height, width = receipt_en.image.shape[:2]
    assert ocr["engine"] == "paddleocr" and ocr["coordinate_space"] == "processed"
    assert ocr["pages"] == [{"index": 0, "width": width, "height": height}]
    assert len(ocr["lines"]) >= 8 and len(ocr["words"]) >= len(ocr["lines"])
    assert ocr["text"] == "\n".join(line["text"] for line in ocr["lines"])
    assert receipt_en.fields["merchant_name"].split()[0].upper() in ocr["text"].upper()
    assert ocr["language"] == "en" and 0.5 < ocr["mean_confidence"] <= 1
    assert data["timings"]["ocr"] > 0
    assert body["metadata"]["engine"] == "paddleocr" and body["metadata"]["pages"] == 1


def test_extract_with_the_supplied_ocr_gives_the_same_document(client, receipt_en, receipt_ocr):
    plain = _extract(client, receipt_en.png, "receipt.png")
    reused = _extract(client, receipt_en.png, "receipt.png", ocr=json.dumps(receipt_ocr))
    assert plain["metadata"]["ocr"] == "recognised" and plain["data"]["timings"]["ocr"] > 0
    assert reused["metadata"]["ocr"] == "supplied" and reused["data"]["timings"]["ocr"] == 0.0
    assert reused["data"]["ocr"] == receipt_ocr
    doc = reused["data"]["structured_document"]
    assert doc == plain["data"]["structured_document"]
    assert {name: f["value"] for name, f in doc["fields"].items()} == {
        name: f["value"] for name, f in plain["data"]["structured_document"]["fields"].items()
    }
    assert doc["fields"]["total"]["value"] is not None


def test_source_transform_still_maps_the_supplied_ocr_to_the_original(client, receipt_en, receipt_ocr):
    width = receipt_en.image.shape[1]
    t = json.dumps([[0, -1, width - 1], [1, 0, 0], [0, 0, 1]])  # the original was the page turned sideways
    plain = _extract(client, receipt_en.png, "receipt.png", source_transform=t)["data"]
    reused = _extract(client, receipt_en.png, "receipt.png", source_transform=t, ocr=json.dumps(receipt_ocr))["data"]
    assert reused["ocr"]["coordinate_space"] == "original" and reused["structured_document"]["coordinate_space"] == "original"
    assert reused["structured_document"] == plain["structured_document"]
    assert reused["ocr"]["lines"] == plain["ocr"]["lines"]


def test_every_pdf_page_is_read_and_reused(client, receipt_en, receipt_es):
    pdf = pdf_bytes([receipt_en.image, receipt_es.image])
    ocr = _ocr(client, pdf, "two.pdf")["data"]["ocr"]
    assert [p["index"] for p in ocr["pages"]] == [0, 1] and {line["page"] for line in ocr["lines"]} == {0, 1}
    reused = _extract(client, pdf, "two.pdf", ocr=json.dumps(ocr))
    assert reused["metadata"]["ocr"] == "supplied" and reused["metadata"]["pages"] == 2
    assert reused["data"]["structured_document"]["fields"]["total"]["value"] is not None


def _changed(ocr: dict[str, Any], change) -> str:
    changed = copy.deepcopy(ocr)
    change(changed)
    return json.dumps(changed)


BAD_OCR = {
    "not JSON": (lambda ocr: '{"engine": "paddleocr", lines: [', "is not JSON"),
    "NaN in a box": (lambda ocr: _changed(ocr, lambda o: o["lines"][0]["bbox"].__setitem__(0, float("nan"))), "is not JSON"),
    "a list, not an object": (lambda ocr: json.dumps([ocr]), "does not validate as an OcrResult"),
    "wrong shape": (lambda ocr: _changed(ocr, lambda o: o.update(lines="none", mean_confidence=3)), "lines: Input should be a valid list"),
    "missing fields": (lambda ocr: _changed(ocr, lambda o: o.pop("engine")), "engine: Field required"),
    "the whole /ocr data": (lambda ocr: json.dumps({"ocr": ocr, "source_format": "png", "timings": {}}), "engine: Field required"),
    "original coordinate space": (lambda ocr: _changed(ocr, lambda o: o.update(coordinate_space="original")), "'original' coordinates"),
    "wrong page count": (lambda ocr: _changed(ocr, lambda o: o["pages"].append({**o["pages"][0], "index": 1})),
                         "has 2 page(s) but the file has 1"),
    "another page's size": (lambda ocr: _changed(ocr, lambda o: o["pages"][0].update(width=o["pages"][0]["width"] + 100)),
                            "does not match the uploaded file: page 0 is"),
    "reading order out of range": (lambda ocr: _changed(ocr, lambda o: o["reading_order"].append(999)), "reading_order"),
    "a 2-number bbox": (lambda ocr: _changed(ocr, lambda o: o["lines"][0].update(bbox=[1, 2])), "lines[0]"),
}


@pytest.mark.parametrize("case", list(BAD_OCR))
def test_a_bad_supplied_ocr_is_val001(client, receipt_en, receipt_ocr, case):
    make, says = BAD_OCR[case]
    reply = client.post(
        "/extract_json",
        files={"file": ("receipt.png", receipt_en.png, "image/png")},
        data={"document_type": "receipt", "ocr": make(receipt_ocr)},
    )
    assert 400 <= reply.status_code < 500, reply.text
    body = reply.json()
    assert body["success"] is False and body["data"] is None
    error = body["error"]
    assert error["code"] == "VAL001" and error["retryable"] is False and error["details"]["field"] == "ocr"
    assert error["message"].startswith("ocr ") and says in error["message"], error["message"]


def test_pydantic_error_locations_are_listed_and_trimmed(client, receipt_en, receipt_ocr):
    broken = _changed(receipt_ocr, lambda o: [w.update(confidence=2) for w in o["words"]])
    reply = client.post("/extract_json", files={"file": ("r.png", receipt_en.png, "image/png")}, data={"ocr": broken})
    error = reply.json()["error"]
    assert reply.status_code == 400 and error["code"] == "VAL001"
    assert "words.0.confidence: Input should be less than or equal to 1" in error["message"]
    assert f"(+{len(receipt_ocr['words']) - 3} more)" in error["message"]
    assert len(error["details"]["errors"]) == min(20, len(receipt_ocr["words"]))


def test_ocr_of_a_one_page_file_is_refused_for_a_two_page_pdf(client, receipt_en, receipt_ocr):
    pdf = pdf_bytes([receipt_en.image, receipt_en.image])
    reply = client.post("/extract_json", files={"file": ("two.pdf", pdf, "application/pdf")}, data={"ocr": json.dumps(receipt_ocr)})
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "VAL001"
    assert "has 1 page(s) but the file has 2" in reply.json()["error"]["message"]


@pytest.mark.parametrize(
    "upload",
    [("empty.png", b"", "image/png"), ("notes.jpg", b"hello, this is not an image\n" * 10, "image/jpeg")],
    ids=["zero-byte file", "text file named .jpg"],
)
def test_ocr_bad_upload_is_val001(client, upload):
    reply = client.post("/ocr", files={"file": upload})
    assert 400 <= reply.status_code < 500 and reply.json()["error"]["code"] == "VAL001"


def test_ocr_without_a_file_is_val001(client):
    reply = client.post("/ocr")
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "VAL001"


def test_still_healthy_and_serving_after_bad_ocr_values(client, receipt_en, receipt_ocr):
    for make, _ in BAD_OCR.values():
        client.post("/extract_json", files={"file": ("r.png", receipt_en.png, "image/png")}, data={"ocr": make(receipt_ocr)})
    assert client.get("/health").json()["status"] == "healthy"
    small = np.full((64, 64, 3), 255, dtype=np.uint8)
    assert _ocr(client, pdf_bytes(small, resolution=72), "blank.pdf")["data"]["ocr"]["pages"][0]["index"] == 0
    assert _extract(client, receipt_en.png, "r.png", ocr=json.dumps(receipt_ocr))["metadata"]["ocr"] == "supplied"
