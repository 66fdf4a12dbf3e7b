"""Every bad input of issue 2 gets VAL001 with a 4xx, and the service stays healthy and keeps serving."""

import numpy as np
import pytest
from fastapi.testclient import TestClient

from emb_helpers import bad_uploads, make_settings, page
from ml_embeddings.main import build_app
from tests.auth import api_headers
from tests.encoding import png_bytes


def _assert_val001(client: TestClient, response) -> None:
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "VAL001" and body["error"]["retryable"] is False
    assert client.get("/health").json()["status"] == "healthy"


@pytest.mark.parametrize("name", sorted(bad_uploads()))
def test_bad_file_is_val001(client, name):
    filename, content, ctype = bad_uploads()[name]
    _assert_val001(client, client.post("/embed", files={"file": (filename, content, ctype)}))


@pytest.mark.parametrize("name", sorted(bad_uploads()))
def test_bad_file_inside_a_batch_is_val001(client, name):
    filename, content, ctype = bad_uploads()[name]
    good = ("ok.png", png_bytes(page("form", 1)), "image/png")
    _assert_val001(client, client.post("/embed", files=[("files", good), ("files", (filename, content, ctype))]))


def test_empty_body_is_val001(client):
    _assert_val001(client, client.post("/embed"))
    _assert_val001(client, client.post("/cluster"))


def test_missing_field_is_val001(client):
    _assert_val001(client, client.post("/embed", files={"image": ("a.png", png_bytes(page("form", 1)), "image/png")}))
    _assert_val001(client, client.post("/embed", data={"note": "no file here"}))


def test_json_instead_of_upload_is_val001(client):
    _assert_val001(client, client.post("/embed", json={"file": "abc"}))


def test_image_over_pixel_limit_is_val001(models_dir):
    with TestClient(build_app(make_settings(models_dir, MAX_IMAGE_PIXELS=100_000)), headers=api_headers()) as small:
        big = np.full((400, 300, 3), 255, np.uint8)  # 120,000 pixels
        r = small.post("/embed", files={"file": ("big.png", png_bytes(big), "image/png")})
        assert r.status_code == 413
        _assert_val001(small, r)
        ok = small.post("/embed", files={"file": ("fits.png", png_bytes(big[:300]), "image/png")})
        assert ok.status_code == 200


def test_service_keeps_serving_after_bad_inputs(client):
    for filename, content, ctype in bad_uploads().values():
        client.post("/embed", files={"file": (filename, content, ctype)})
    r = client.post("/embed", files={"file": ("ok.png", png_bytes(page("receipt", 2)), "image/png")})
    assert r.status_code == 200 and r.json()["data"]["dimension"] == 2576
    metrics = client.get("/metrics").json()
    assert metrics["errors_by_code"].get("VAL001", 0) >= len(bad_uploads())
