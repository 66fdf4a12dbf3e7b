"""The service as a real process (uvicorn --factory), over HTTP, as `iris up` runs it."""

import os
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_service_runs_as_a_real_process(models_dir: Path, tmp_path: Path, receipt_es):
    port = _free_port()
    env = {
        **os.environ,
        "IRIS_MODELS_DIR": str(models_dir),
        "IRIS_HOME": str(tmp_path),
        "OCR_ENGINE": "paddle",
        "LOG_LEVEL": "WARNING",
    }
    log_path = tmp_path / "ocr-extractor.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "ocr_extractor.main:build_app",
             "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            try:
                health = httpx.get(f"{base}/health", timeout=2).json()
                if health["status"] != "unhealthy" or health["checks"]["ocr_engine"]["detail"] != "not loaded yet":
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.5)
        assert health["status"] == "healthy", health
        with httpx.Client(base_url=base, timeout=120) as client:
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
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
