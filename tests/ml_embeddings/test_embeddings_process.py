"""ml-embeddings as a real process (uvicorn --factory) over HTTP, as `iris up` runs it."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

from emb_helpers import page, png_bytes

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_service_runs_as_a_real_process(models_dir, tmp_path):
    port = _free_port()
    env = {**os.environ, "IRIS_MODELS_DIR": str(models_dir), "LOG_LEVEL": "WARNING"}
    env.pop("OPENCLIP_MODEL", None)
    log = (tmp_path / "ml-embeddings.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "ml_embeddings.main:build_app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "ml-embeddings.log").read_text()
            try:
                if httpx.get(f"{base}/health", timeout=2).json()["status"] == "healthy":
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "ml-embeddings did not become healthy within 60 s"
            time.sleep(0.3)
        r = httpx.post(f"{base}/embed", files={"file": ("r.png", png_bytes(page("receipt", 8)), "image/png")}, timeout=30)
        assert r.status_code == 200
        vector = np.asarray(r.json()["data"]["items"][0]["embedding"])
        assert vector.shape == (1280,) and abs(np.linalg.norm(vector) - 1) < 1e-5
        bad = httpx.post(f"{base}/embed", files={"file": ("x.jpg", b"not an image", "image/jpeg")}, timeout=30)
        assert bad.status_code == 415 and bad.json()["error"]["code"] == "VAL001"
        assert httpx.get(f"{base}/health", timeout=5).json()["status"] == "healthy"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
