"""OCR_ENGINE=tesseract: the same contract from Tesseract 5 (eng+spa) through tesserocr."""

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from ocr_extractor.main import build_app
from ocr_extractor.settings import OcrExtractorSettings
from ocr_helpers import make_settings
from tests.auth import api_headers

pytestmark = pytest.mark.slow


def test_engine_is_selected_by_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("OCR_ENGINE", "tesseract")
    assert OcrExtractorSettings().ocr_engine == "tesseract"
    monkeypatch.delenv("OCR_ENGINE")
    assert OcrExtractorSettings().ocr_engine == "paddle"


def test_tesseract_reads_a_receipt(tmp_path, models_dir, receipt_en):
    with TestClient(build_app(make_settings(models_dir, tmp_path, OCR_ENGINE="tesseract")), headers=api_headers()) as client:
        engines = client.get("/engines").json()
        assert engines["engine"] == "tesseract" and engines["loaded"], engines
        assert engines["versions"]["tesseract"].startswith("5")
        reply = client.post(
            "/extract_json",
            files={"file": ("receipt.png", receipt_en.png, "image/png")},
            data={"document_type": "receipt", "confidence_threshold": "0.3"},
        )
        assert reply.status_code == 200, reply.text
        data = reply.json()["data"]
        assert data["ocr"]["engine"] == "tesseract"
        assert all(not w["estimated_bbox"] for w in data["ocr"]["words"])  # Tesseract has real word boxes
        fields = data["structured_document"]["fields"]
        assert Decimal(fields["total"]["value"]) == Decimal(receipt_en.fields["total"])
        assert fields["date"]["value"] == receipt_en.fields["date"]
        assert client.get("/health").json()["status"] == "healthy"
