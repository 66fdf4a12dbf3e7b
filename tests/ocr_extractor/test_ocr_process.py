"""The service as a real process (uvicorn --factory), over HTTP, as `iris up` runs it."""

from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from tests.auth import api_headers
from tests.service_processes import ServiceProcess, free_port

pytestmark = pytest.mark.slow


def test_service_runs_as_a_real_process(models_dir: Path, tmp_path: Path, receipt_es):
    env = {"IRIS_MODELS_DIR": str(models_dir), "IRIS_HOME": str(tmp_path), "OCR_ENGINE": "paddle", "LOG_LEVEL": "WARNING"}
    with ServiceProcess("ocr-extractor", free_port(), tmp_path / "ocr-extractor.log", env).running(timeout=180) as svc:
        with httpx.Client(base_url=svc.url, timeout=120, headers=api_headers()) as client:
            reply = client.post(
                "/extract_json",
                files={"file": ("recibo.png", receipt_es.png, "image/png")},
                data={"document_type": "receipt"},
                headers={"X-Request-ID": "ocr-process-test"},
            )
            assert reply.status_code == 200, reply.text
            assert reply.headers["x-request-id"] == "ocr-process-test"
            fields = reply.json()["data"]["structured_document"]["fields"]
            assert Decimal(fields["total"]["value"]) == Decimal(receipt_es.fields["total"])
            assert fields["date"]["value"] == receipt_es.fields["date"]
            bad = client.post("/extract_json", files={"file": ("x.jpg", b"not an image", "image/jpeg")})
            assert bad.status_code == 415 and bad.json()["error"]["code"] == "VAL001"
            assert client.get("/health").json()["status"] == "healthy"
            info = client.get("/info").json()
            assert info["engine"] == "paddle" and info["loaded"] is True
