"""ml-classifier builds the encoder network only for an image: given the page's embedding (what the pipeline sends),
it classifies, trains and checks model compatibility from the encoder's declared identity alone."""

import threading
import time

import pytest
from fastapi.testclient import TestClient

import ml_classifier.models.runtime as runtime_module
from clf_helpers import make_settings, page
from ml_classifier.core.training import fit
from ml_classifier.main import build_app
from ml_classifier.models.runtime import ClassifierRuntime
from ml_classifier.models.store import ModelStore
from tests.auth import admin_headers, api_headers
from tests.encoding import png_bytes

MODEL_ID, DIMENSION = "efficientnet-lite0+top+layout-v2", 2576


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Counts (and slows a little, to widen any race) every construction of the encoder network by the runtime."""
    calls: list[float] = []
    real = runtime_module.build_encoder

    def counting(settings):
        calls.append(time.perf_counter())
        time.sleep(0.05)
        return real(settings)

    monkeypatch.setattr(runtime_module, "build_encoder", counting)
    return calls


def _vectors(models_dir):
    base = ModelStore(models_dir).load_base_set()
    assert base is not None
    return base


def test_embeddings_in_no_encoder_network_built(private_models_dir, builds):
    base = _vectors(private_models_dir)
    with TestClient(build_app(make_settings(private_models_dir)), headers=api_headers()) as client:
        health = client.get("/health").json()
        assert health["status"] == "healthy", health
        encoder = health["checks"]["encoder"]
        assert encoder["ok"] and encoder["info"]["loaded"] is False
        assert (encoder["info"]["model_id"], encoder["info"]["dimension"]) == (MODEL_ID, DIMENSION)
        assert "not loaded" in encoder["detail"]
        for i in range(5):
            r = client.post("/classify", json={"embedding": base.embeddings[i].tolist(), "text": base.texts[i] if base.texts else None})
            assert r.status_code == 200, r.text
            assert r.json()["data"]["predicted_class"] in set(base.labels)
        bad = client.post("/classify", json={"embedding": [0.5] * 1280})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "VAL001"  # the dimension is checked without the network
        r = client.post("/train", headers=admin_headers(), json={"embeddings": base.embeddings[:4].tolist() + base.embeddings[-4:].tolist(),
                                        "labels": base.labels[:4] + base.labels[-4:]})
        assert r.status_code == 200, r.text
        assert r.json()["data"]["encoder"] == {"backend": "onnx-efficientnet", "model_id": MODEL_ID, "dimension": DIMENSION}
        info = client.get("/info").json()
        assert info["loaded"] is True and info["encoder_loaded"] is False and info["dimension"] == DIMENSION
        assert builds == []

        r = client.post("/classify", files={"file": ("r.png", png_bytes(page("receipt", 5300)), "image/png")})
        assert r.status_code == 200, r.text
        assert len(builds) == 1
        encoder = client.get("/health").json()["checks"]["encoder"]
        assert encoder["ok"] and encoder["info"]["loaded"] is True and encoder["info"]["dimension"] == DIMENSION
        client.post("/classify", files={"file": ("l.png", png_bytes(page("letter", 5300)), "image/png")})
        assert len(builds) == 1 and client.get("/info").json()["encoder_loaded"] is True


def test_encoder_is_built_once_when_many_requests_need_it(models_dir, builds):
    runtime = ClassifierRuntime(make_settings(models_dir))
    runtime.load()
    assert builds == [] and not runtime.encoder_loaded
    got, start = [], threading.Barrier(6)

    def use() -> None:
        start.wait()
        got.append(runtime.encoder)

    threads = [threading.Thread(target=use) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(builds) == 1 and len(got) == 6 and all(e is got[0] for e in got)


def test_model_of_another_encoder_is_refused_without_loading_it(private_models_dir, builds):
    base = _vectors(private_models_dir)
    other = {"backend": "open_clip", "model_id": "ViT-B-32", "dimension": DIMENSION}
    ModelStore(private_models_dir).save(fit(base.embeddings[:2], ["a", "b"]), training_size={"a": 1, "b": 1}, encoder=other,
                                        provenance="other encoder")
    with TestClient(build_app(make_settings(private_models_dir)), headers=api_headers()) as client:
        health = client.get("/health").json()
        assert health["status"] == "unhealthy"
        assert "ViT-B-32" in health["checks"]["classifier_model"]["detail"] and MODEL_ID in health["checks"]["classifier_model"]["detail"]
        r = client.post("/classify", json={"embedding": base.embeddings[0].tolist()})
        assert r.status_code == 503 and r.json()["error"]["code"] == "SVC001"
    assert builds == []


def test_missing_embeddings_model_is_reported_not_loaded(private_models_dir, builds):
    (private_models_dir / "embeddings").unlink()  # the private copy links the shared embeddings model
    with TestClient(build_app(make_settings(private_models_dir)), headers=api_headers()) as client:
        health = client.get("/health").json()
        assert health["status"] == "unhealthy"
        assert not health["checks"]["encoder"]["ok"] and "iris setup" in health["checks"]["encoder"]["detail"]
        r = client.post("/classify", files={"file": ("r.png", png_bytes(page("receipt", 5301)), "image/png")})
        assert r.status_code == 503 and r.json()["error"]["code"] == "SVC001"
