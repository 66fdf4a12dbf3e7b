"""ml-classifier as a real process (uvicorn --factory) over HTTP, as `iris up` runs it."""

import httpx

from clf_helpers import page
from tests.auth import admin_headers, api_headers
from tests.encoding import png_bytes
from tests.service_processes import ServiceProcess, free_port


def test_service_runs_as_a_real_process(private_models_dir, tmp_path):
    env = {"IRIS_MODELS_DIR": str(private_models_dir), "LOG_LEVEL": "WARNING", "OPENCLIP_MODEL": None}
    with ServiceProcess("ml-classifier", free_port(), tmp_path / "ml-classifier.log", env).running(timeout=60) as svc:
        base = svc.url
        r = httpx.post(f"{base}/classify", files={"file": ("r.png", png_bytes(page("receipt", 5200)), "image/png")},
                       headers=api_headers(), timeout=30)
        assert r.status_code == 200 and r.json()["data"]["predicted_class"] == "receipt"
        version = httpx.get(f"{base}/model", headers=api_headers(), timeout=5).json()["data"]["version"]
        files = [("files", (f"{k}.png", png_bytes(page(k, 5201)), "image/png")) for k in ("receipt", "letter")]
        trained = httpx.post(f"{base}/train", headers=admin_headers(), files=files, data={"labels": ["receipt", "letter"]}, timeout=60)
        assert trained.status_code == 200 and trained.json()["data"]["active"] is False  # stored, not served
        new = trained.json()["data"]["version"]
        assert httpx.get(f"{base}/model", headers=api_headers(), timeout=5).json()["data"]["version"] == version
        activated = httpx.post(f"{base}/model/activate", headers=admin_headers(), json={"version": new, "reason": "test", "actor": "ci"}, timeout=10)
        assert activated.status_code == 200
        model = httpx.get(f"{base}/model", headers=api_headers(), timeout=5).json()["data"]
        assert model["version"] == new != version and (model["activation"]["actor"], model["activation"]["reason"]) == ("ci", "test")
        bad = httpx.post(f"{base}/classify", json={"embedding": [0.5, 0.5]}, headers=api_headers(), timeout=10)
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "VAL001"
        assert httpx.get(f"{base}/health", timeout=5).json()["status"] == "healthy"
