"""Every bad input of issue 2 gets VAL001 with a 4xx; the service stays healthy and keeps its model."""

import numpy as np
import pytest
from fastapi.testclient import TestClient

from clf_helpers import bad_uploads, make_settings, page
from ml_classifier.main import build_app
from tests.auth import admin_headers, api_headers
from tests.encoding import png_bytes


def _assert_val001(client: TestClient, response) -> None:
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "VAL001"
    assert client.get("/health").json()["status"] == "healthy"


@pytest.mark.parametrize("name", sorted(bad_uploads()))
def test_bad_file_to_classify_is_val001(client, name):
    _assert_val001(client, client.post("/classify", files={"file": bad_uploads()[name]}))


@pytest.mark.parametrize("name", sorted(bad_uploads()))
def test_bad_file_to_train_is_val001(client, name):
    version = client.get("/model").json()["data"]["version"]
    good = ("ok.png", png_bytes(page("form", 1)), "image/png")
    r = client.post("/train", headers=admin_headers(), files=[("files", good), ("files", bad_uploads()[name])], data={"labels": ["form", "letter"]})
    _assert_val001(client, r)
    assert client.get("/model").json()["data"]["version"] == version


@pytest.mark.parametrize("path", ["/classify", "/train"])
def test_empty_body_is_val001(client, path):
    auth = admin_headers()  # /train needs it (the service token gets 403 before the body is read)
    _assert_val001(client, client.post(path, headers=auth))
    _assert_val001(client, client.post(path, content=b"", headers={**auth, "content-type": "application/json"}))


def test_missing_field_is_val001(client):
    _assert_val001(client, client.post("/classify", files={"image": ("a.png", png_bytes(page("form", 1)), "image/png")}))
    _assert_val001(client, client.post("/classify", json={"vector": [0.1, 0.2]}))
    _assert_val001(client, client.post("/train", headers=admin_headers(), files={"files": ("a.png", png_bytes(page("form", 1)), "image/png")}))
    _assert_val001(client, client.post("/train", headers=admin_headers(), json={"embeddings": [[0.1] * 2576]}))


def test_invalid_json_and_unsupported_type_are_val001(client):
    _assert_val001(client, client.post("/classify", content=b"{not json", headers={"content-type": "application/json"}))
    r = client.post("/classify", content=b"hello", headers={"content-type": "text/plain"})
    assert r.status_code == 415
    _assert_val001(client, r)


@pytest.mark.parametrize("embedding", [[0.1] * 5, [0.1] * 1279, [], [0.1] * 1279 + [float("nan")]], ids=["5", "1279", "empty", "nan"])
def test_bad_embedding_is_val001(client, embedding):
    r = client.post("/classify", content=f'{{"embedding": {embedding}}}'.replace("nan", "NaN"), headers={"content-type": "application/json"})
    _assert_val001(client, r)


def test_train_with_one_class_is_val001(client):
    version = client.get("/model").json()["data"]["version"]
    files = [("files", (f"{i}.png", png_bytes(page("receipt", 600 + i)), "image/png")) for i in range(2)]
    _assert_val001(client, client.post("/train", headers=admin_headers(), files=files, data={"labels": ["receipt", "receipt"]}))
    _assert_val001(client, client.post("/train", headers=admin_headers(), json={"embeddings": [[0.1] * 2576] * 2, "labels": ["a", "a"]}))
    assert client.get("/model").json()["data"]["version"] == version


def test_train_label_problems_are_val001(client):
    files = [("files", (f"{i}.png", png_bytes(page("receipt", 610 + i)), "image/png")) for i in range(2)]
    _assert_val001(client, client.post("/train", headers=admin_headers(), files=files, data={"labels": ["receipt"]}))
    _assert_val001(client, client.post("/train", headers=admin_headers(), json={"embeddings": [[0.1] * 2576] * 2, "labels": ["a", " "]}))
    _assert_val001(client, client.post("/train", headers=admin_headers(), json={"embeddings": [[0.1] * 2576] * 2, "labels": ["a", "b", "c"]}))
    _assert_val001(client, client.post("/train", headers=admin_headers(), json={"embeddings": [[0.1] * 2576, [0.1] * 12], "labels": ["a", "b"]}))
    _assert_val001(client, client.post("/train", headers=admin_headers(), json={"embeddings": [[0.1] * 12] * 2, "labels": ["a", "b"]}))


def test_image_over_pixel_limit_is_val001(models_dir):
    with TestClient(build_app(make_settings(models_dir, MAX_IMAGE_PIXELS=100_000)), headers=api_headers()) as small:
        big = np.full((400, 300, 3), 255, np.uint8)
        r = small.post("/classify", files={"file": ("big.png", png_bytes(big), "image/png")})
        assert r.status_code == 413
        _assert_val001(small, r)


def test_keeps_serving_after_bad_inputs(client):
    for upload in bad_uploads().values():
        client.post("/classify", files={"file": upload})
    data = client.post("/classify", files={"file": ("ok.png", png_bytes(page("receipt", 5100)), "image/png")}).json()["data"]
    assert data["predicted_class"] == "receipt"
