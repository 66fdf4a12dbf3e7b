"""One malformed or careless `/train` cannot poison later documents (issue 14): labels are document-type names,
classes and examples are bounded, a new version is served only when asked for and when it passes a hold-out check
against the active model, and `GET /model` says who activated the version it serves, when and why."""

import numpy as np

from clf_helpers import page
from ml_classifier.core import training
from tests.auth import admin_headers


def _vectors(client, kinds: list[str], seed: int) -> list[list[float]]:
    return client.app.state.runtime.embed([page(k, seed + i) for i, k in enumerate(kinds)]).tolist()


def test_fuzzed_labels_are_refused_and_nothing_changes(private_client) -> None:
    before = private_client.get("/model").json()["data"]["version"]
    stored = private_client.get("/models").json()["data"]["versions"]
    vectors = _vectors(private_client, ["receipt", "letter"], 800)
    for labels in (["a" * 1000, "b_ok"], ["Receipt", "letter"], ["receipt", "bad label"], ["1st", "letter"]):
        r = private_client.post("/train", headers=admin_headers(), json={"embeddings": vectors, "labels": labels, "activate": True})
        assert r.status_code == 400 and r.json()["error"]["code"] == "VAL001", r.text
        assert "a" * 40 not in r.text  # the label is described (position, length), not echoed
    many = [f"type_{i}" for i in range(21)]
    r = private_client.post("/train", headers=admin_headers(), json={"embeddings": vectors * 10 + vectors[:1], "labels": many, "activate": True})
    assert r.status_code == 400 and "TRAIN_MAX_CLASSES" in r.json()["error"]["message"]
    assert private_client.get("/model").json()["data"]["version"] == before
    assert private_client.get("/models").json()["data"]["versions"] == stored


def test_a_new_version_is_stored_not_served_unless_asked_and_checked(private_client) -> None:
    before = private_client.get("/model").json()["data"]["version"]
    vectors = _vectors(private_client, ["receipt", "letter"], 810)
    stored = private_client.post("/train", headers=admin_headers(), json={"embeddings": vectors, "labels": ["b", "a"]}).json()["data"]
    assert stored["active"] is False and stored["holdout"] is None
    assert private_client.get("/model").json()["data"]["version"] == before  # documents keep their types

    asked = private_client.post("/train", headers=admin_headers(), json={"embeddings": vectors, "labels": ["b", "a"], "activate": True}).json()["data"]
    assert asked["active"] is False and asked["holdout"]["passed"] is False  # one example each: nothing to hold out
    assert "too few examples" in asked["holdout"]["reason"]
    assert private_client.get("/model").json()["data"]["version"] == before

    r = private_client.post("/model/activate", headers=admin_headers(), json={"version": stored["version"], "reason": "try b/a", "actor": "ana@ops"})
    assert r.status_code == 200
    model = private_client.get("/model").json()["data"]
    assert model["version"] == stored["version"]
    assert (model["activation"]["actor"], model["activation"]["reason"]) == ("ana@ops", "try b/a")
    assert model["activation"]["activated_at"]


def test_the_hold_out_check_refuses_a_candidate_worse_than_the_active_model() -> None:
    rng = np.random.default_rng(3)
    centres = {"receipt": np.array([1.0, 0.0, 0.0]), "letter": np.array([0.0, 1.0, 0.0]), "form": np.array([0.0, 0.0, 1.0])}
    labels = [k for k in centres for _ in range(8)]
    x = np.stack([centres[k] + rng.normal(0, 0.05, 3) for k in labels]).astype(np.float32)
    active = training.fit(x, labels)

    def careless_fit(xs: np.ndarray, ys: list[str], texts: object) -> training.DocumentTypeEstimator:  # type: ignore[name-defined]
        return training.fit(xs, list(np.random.default_rng(0).permutation(ys)))  # a real fit on shuffled labels

    careful = training.holdout_check(x, labels, None, fit_fn=lambda xs, ys, t: training.fit(xs, ys), active=active, margin=0.05)
    assert careful.passed and careful.examples == 6 and careful.accuracy == 1.0
    worse = training.holdout_check(x, labels, None, fit_fn=careless_fit, active=active, margin=0.05)
    assert not worse.passed and worse.accuracy < worse.active_accuracy - 0.05 and "worse" in worse.reason
