"""ml-classifier as a real process (uvicorn --factory) over HTTP, as `iris up` runs it."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from clf_helpers import page, png_bytes

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_service_runs_as_a_real_process(private_models_dir, tmp_path):
    port = _free_port()
    env = {**os.environ, "IRIS_MODELS_DIR": str(private_models_dir), "LOG_LEVEL": "WARNING"}
    env.pop("OPENCLIP_MODEL", None)
    log_path = tmp_path / "ml-classifier.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "ml_classifier.main:build_app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, log_path.read_text()
                try:
                    if httpx.get(f"{base}/health", timeout=2).json()["status"] == "healthy":
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "ml-classifier did not become healthy within 60 s"
                time.sleep(0.3)
            r = httpx.post(f"{base}/classify", files={"file": ("r.png", png_bytes(page("receipt", 5200)), "image/png")}, timeout=30)
            assert r.status_code == 200 and r.json()["data"]["predicted_class"] == "receipt"
            version = httpx.get(f"{base}/model", timeout=5).json()["data"]["version"]
            files = [("files", (f"{k}.png", png_bytes(page(k, 5201)), "image/png")) for k in ("receipt", "letter")]
            trained = httpx.post(f"{base}/train", files=files, data={"labels": ["receipt", "letter"]}, timeout=60)
            assert trained.status_code == 200
            assert httpx.get(f"{base}/model", timeout=5).json()["data"]["version"] == trained.json()["data"]["version"] != version
            bad = httpx.post(f"{base}/classify", json={"embedding": [0.5, 0.5]}, timeout=10)
            assert bad.status_code == 400 and bad.json()["error"]["code"] == "VAL001"
            assert httpx.get(f"{base}/health", timeout=5).json()["status"] == "healthy"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
