"""ml-embeddings as a real process (uvicorn --factory) over HTTP, as `iris up` runs it."""

import httpx
import numpy as np

from emb_helpers import page
from tests.auth import api_headers
from tests.encoding import png_bytes
from tests.service_processes import ServiceProcess, free_port


def test_service_runs_as_a_real_process(models_dir, tmp_path):
    env = {"IRIS_MODELS_DIR": str(models_dir), "LOG_LEVEL": "WARNING", "OPENCLIP_MODEL": None}
    with ServiceProcess("ml-embeddings", free_port(), tmp_path / "ml-embeddings.log", env).running(timeout=60) as svc:
        base = svc.url
        r = httpx.post(f"{base}/embed", files={"file": ("r.png", png_bytes(page("receipt", 8)), "image/png")},
                       headers=api_headers(), timeout=30)
        assert r.status_code == 200
        vector = np.asarray(r.json()["data"]["items"][0]["embedding"])
        assert vector.shape == (2576,) and abs(np.linalg.norm(vector) - 1) < 1e-5
        bad = httpx.post(f"{base}/embed", files={"file": ("x.jpg", b"not an image", "image/jpeg")}, headers=api_headers(), timeout=30)
        assert bad.status_code == 415 and bad.json()["error"]["code"] == "VAL001"
        assert httpx.get(f"{base}/health", timeout=5).json()["status"] == "healthy"
