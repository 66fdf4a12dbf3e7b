"""The open_clip path, offline: a tiny registered model config and a saved random state dict stand in for real weights.

This exercises the real loader (create_model_and_transforms with a local weight file), our document
preprocessing and the service wiring; no network and well under a second of model time.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from emb_helpers import make_settings, page
from iris_models.encoders.torch_compat import import_open_clip
from ml_embeddings.main import build_app
from tests.auth import api_headers
from tests.encoding import png_bytes

TINY = "iris-test-tiny-clip"
EMBED_DIM = 32
SERVED_DIM = 2 * EMBED_DIM + 16  # DocumentEncoder: whole page + top square + layout measurements
TINY_CONFIG = {
    "embed_dim": EMBED_DIM,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "head_width": 32, "patch_size": 16},
    "text_cfg": {"context_length": 8, "vocab_size": 100, "width": 32, "heads": 1, "layers": 1},
}


@pytest.fixture(scope="module")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    open_clip = import_open_clip()
    folder = tmp_path_factory.mktemp("open_clip")
    config = folder / f"{TINY}.json"
    config.write_text(json.dumps(TINY_CONFIG))
    open_clip.add_model_config(config)
    torch.manual_seed(0)
    model = open_clip.create_model(TINY, pretrained=None)
    weights = folder / "tiny.pt"
    torch.save(model.state_dict(), weights)
    return weights


def test_open_clip_encoder_serves_embed(models_dir, tiny_weights):
    settings = make_settings(models_dir, OPENCLIP_MODEL=TINY, OPENCLIP_PRETRAINED=str(tiny_weights))
    with TestClient(build_app(settings), headers=api_headers()) as client:
        assert client.get("/health").json()["status"] == "healthy"
        info = client.get("/info").json()
        assert (info["backend"], info["model_id"], info["dimension"]) == ("open_clip", TINY + "+top+layout-v2", SERVED_DIM)
        assert info["weights_source"] == str(tiny_weights)
        image = page("receipt", 4)
        files = [("files", ("a.png", png_bytes(image), "image/png")), ("files", ("b.png", png_bytes(image), "image/png"))]
        r = client.post("/embed", files=files)
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        assert (data["backend"], data["dimension"]) == ("open_clip", SERVED_DIM)
        vectors = np.asarray([item["embedding"] for item in data["items"]])
        assert vectors.shape == (2, SERVED_DIM)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-5)
        # /cluster now checks dimensions against the open_clip model, not the 1280-d default
        bad = client.post("/cluster", json={"embeddings": [[0.1] * 1280] * 3})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "VAL001"


def test_missing_open_clip_weights_make_the_service_unhealthy_not_crash(models_dir, tmp_path):
    settings = make_settings(models_dir, OPENCLIP_MODEL="ViT-B-32", OPENCLIP_PRETRAINED=str(tmp_path / "absent.safetensors"))
    with TestClient(build_app(settings), headers=api_headers()) as client:
        health = client.get("/health").json()
        assert health["status"] == "unhealthy"
        assert "absent.safetensors" in health["checks"]["encoder"]["detail"]
        r = client.post("/embed", files={"file": ("a.png", png_bytes(page("form", 1)), "image/png")})
        assert r.status_code == 503 and r.json()["error"]["code"] == "SVC001"
        assert client.get("/info").json()["loaded"] is False


def test_missing_onnx_model_makes_the_service_unhealthy(tmp_path):
    with TestClient(build_app(make_settings(tmp_path / "empty-models")), headers=api_headers()) as client:
        health = client.get("/health").json()
        assert health["status"] == "unhealthy"
        assert "prepare" in health["checks"]["encoder"]["detail"]


def test_open_clip_without_document_features_serves_the_raw_image_tower(models_dir, tiny_weights):
    settings = make_settings(models_dir, OPENCLIP_MODEL=TINY, OPENCLIP_PRETRAINED=str(tiny_weights), DOCUMENT_FEATURES=False)
    with TestClient(build_app(settings), headers=api_headers()) as client:
        info = client.get("/info").json()
        assert (info["model_id"], info["dimension"]) == (TINY, EMBED_DIM)
