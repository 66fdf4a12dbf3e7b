"""Every bad input gets VAL001 with a 4xx, and the service stays healthy and keeps serving."""

import numpy as np
import pytest

from ocr_helpers import png_header_only
from tests.auth import api_headers
from tests.encoding import jpeg_bytes, pdf_bytes, png_bytes

SMALL = np.full((64, 64, 3), 255, dtype=np.uint8)


def _post(client, files=None, data=None, **kwargs):
    return client.post("/extract_json", files=files, data=data, **kwargs)


def _jpeg_of_receipt() -> bytes:
    image = np.full((400, 300, 3), 255, dtype=np.uint8)
    image[50:350:20, 30:270] = 0
    return jpeg_bytes(image)


BAD_REQUESTS = {
    "empty body": dict(),
    "missing file": dict(data={"document_type": "receipt"}),
    "zero-byte file": dict(files={"file": ("empty.jpg", b"", "image/jpeg")}),
    "text file named .jpg": dict(files={"file": ("notes.jpg", b"hello, this is not an image\n" * 10, "image/jpeg")}),
    "truncated jpeg": dict(files={"file": ("cut.jpg", _jpeg_of_receipt()[:700], "image/jpeg")}),
    "1x1 image": dict(files={"file": ("dot.png", png_bytes(np.zeros((1, 1, 3), np.uint8)), "image/png")}),
    "over the pixel limit": dict(files={"file": ("bomb.png", png_header_only(50_000, 50_000), "image/png")}),
    "corrupt pdf": dict(files={"file": ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not a pdf", "application/pdf")}),
    "unknown document_type": dict(files={"file": ("ok.png", png_bytes(SMALL), "image/png")}, data={"document_type": "passport"}),
    "confidence_threshold 1.5": dict(files={"file": ("ok.png", png_bytes(SMALL), "image/png")}, data={"confidence_threshold": "1.5"}),
    "confidence_threshold -0.1": dict(files={"file": ("ok.png", png_bytes(SMALL), "image/png")}, data={"confidence_threshold": "-0.1"}),
    "confidence_threshold not a number": dict(files={"file": ("ok.png", png_bytes(SMALL), "image/png")}, data={"confidence_threshold": "high"}),
    "source_transform not JSON": dict(files={"file": ("ok.png", png_bytes(SMALL), "image/png")}, data={"source_transform": "rotate 90"}),
    "source_transform 2x2": dict(files={"file": ("ok.png", png_bytes(SMALL), "image/png")}, data={"source_transform": "[[1, 0], [0, 1]]"}),
    "source_transform singular": dict(files={"file": ("ok.png", png_bytes(SMALL), "image/png")},
                                      data={"source_transform": "[[0, 0, 0], [0, 0, 0], [0, 0, 1]]"}),
    "source_transform for 2 pages of 1": dict(files={"file": ("ok.png", png_bytes(SMALL), "image/png")},
                                              data={"source_transform": "[[[1,0,0],[0,1,0],[0,0,1]], [[1,0,0],[0,1,0],[0,0,1]]]"}),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_bad_input_is_val001(client, case):
    reply = _post(client, **BAD_REQUESTS[case])
    assert 400 <= reply.status_code < 500, reply.text
    body = reply.json()
    assert body["success"] is False and body["data"] is None
    assert body["error"]["code"] == "VAL001" and body["error"]["retryable"] is False
    assert body["error"]["message"]
    assert reply.headers["x-request-id"] == body["metadata"]["request_id"]


def test_still_healthy_and_serving_after_bad_inputs(client):
    for request in BAD_REQUESTS.values():
        _post(client, **request)
    health = client.get("/health").json()
    assert health["status"] == "healthy"
    assert health["metrics"]["errors_by_code"].get("VAL001", 0) >= len(BAD_REQUESTS)
    reply = _post(client, files={"file": ("ok.pdf", pdf_bytes(SMALL, resolution=72), "application/pdf")}, data={"document_type": "letter"})
    assert reply.status_code == 200 and reply.json()["success"] is True


def test_missing_models_make_the_service_unhealthy_not_crash(tmp_path):
    from fastapi.testclient import TestClient

    from ocr_extractor.main import build_app
    from ocr_helpers import make_settings

    app = build_app(make_settings(tmp_path / "no-models", tmp_path))
    with TestClient(app, headers=api_headers()) as client:
        health = client.get("/health").json()
        assert health["status"] == "unhealthy"
        assert "inference.onnx is missing" in health["checks"]["ocr_engine"]["detail"]
        ready = client.get("/health/ready")  # the readiness probe: no calls for this replica
        assert ready.status_code == 503 and ready.json()["status"] == "unhealthy"
        assert client.get("/health").status_code == 200  # liveness: the process answers
        reply = client.post("/extract_json", files={"file": ("ok.png", png_bytes(SMALL), "image/png")})
        assert reply.status_code == 503 and reply.json()["error"]["code"] == "SVC001"
        assert client.get("/engines").json()["loaded"] is False


def test_unknown_schema_type_is_val001(client):
    reply = client.get("/schemas/passport")
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "VAL001"
    assert "receipt" in reply.json()["error"]["details"]["allowed"]
