"""Two ml-classifier replicas on one model store (a shared volume / PVC): each serves the version the store's
`active` pointer names now, whichever replica trained or activated it, without a restart."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clf_helpers import make_settings, page
from ml_classifier.main import build_app
from ml_classifier.models.store import ModelStore
from tests.auth import admin_headers, api_headers


@pytest.fixture
def replicas(private_models_dir: Path) -> Iterator[tuple[TestClient, TestClient]]:
    """Two apps built by the factory with the same IRIS_MODELS_DIR, as two pods mounting one PVC."""
    with TestClient(build_app(make_settings(private_models_dir)), headers=api_headers()) as a, TestClient(build_app(make_settings(private_models_dir)), headers=api_headers()) as b:
        yield a, b


def _version(client: TestClient) -> str:
    r = client.get("/model")
    assert r.status_code == 200, r.text
    return r.json()["data"]["version"]


def test_a_version_trained_on_one_replica_is_served_by_the_other(replicas):
    a, b = replicas
    before = _version(b)
    vectors = a.app.state.runtime.embed([page(k, 600 + i) for k in ("receipt", "letter") for i in range(2)]).tolist()
    r = a.post("/train", headers=admin_headers(), json={"embeddings": vectors, "labels": ["r", "r", "l", "l"], "note": "replica a",
                                 "activate": True})
    assert r.status_code == 200, r.text
    trained = r.json()["data"]["version"]
    assert trained != before

    assert b.get("/info").json()["version"] == trained  # what `iris models` prints, before any other request to b
    assert _version(b) == trained
    classified = b.post("/classify", json={"embedding": vectors[0]}).json()["data"]
    assert classified["model_version"] == trained and set(classified["scores"]) == {"l", "r"}

    r = b.post("/model/activate", headers=admin_headers(), json={"version": before})  # and back, through the other replica
    assert r.status_code == 200, r.text
    assert _version(a) == before == a.get("/info").json()["version"]


def test_an_activation_within_one_timestamp_tick_is_seen(replicas, private_models_dir):
    """NFS servers and object-storage mounts keep coarse mtimes: two activations within one tick leave the pointer
    with the same mtime and the same size ("v1" / "v2"), so a replica must compare what the pointer says."""
    a, b = replicas
    first = _version(a)
    vectors = a.app.state.runtime.embed([page("receipt", 610), page("letter", 610)]).tolist()
    trained = a.post("/train", headers=admin_headers(), json={"embeddings": vectors, "labels": ["r", "l"]}).json()["data"]["version"]
    assert a.post("/model/activate", headers=admin_headers(), json={"version": trained}).status_code == 200
    assert len(trained) == len(first), "the test needs two version names of one length"
    assert _version(b) == trained

    pointer = ModelStore(private_models_dir).active_file
    seen = os.stat(pointer)
    assert a.post("/model/activate", headers=admin_headers(), json={"version": first}).status_code == 200
    os.utime(pointer, ns=(seen.st_atime_ns, seen.st_mtime_ns))  # the tick the filesystem would have recorded
    assert _version(b) == first
    assert b.post("/classify", json={"embedding": vectors[0]}).json()["data"]["model_version"] == first
