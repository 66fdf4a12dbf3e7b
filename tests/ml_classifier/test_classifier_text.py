"""The classifier reads the page's words when the caller sends them: the default model, /classify, /train."""

import numpy as np
from sklearn.linear_model import LogisticRegression

import docgen
from clf_helpers import page
from ml_classifier.core.estimator import DocumentTypeEstimator
from ml_classifier.core.text_features import N_FEATURES, fold, text_features
from ml_classifier.models.store import _as_estimator
from tests.auth import admin_headers

INVOICE_WORDS = "INVOICE\nInvoice No: F-2024-118\nBill to: Acme Supplies Ltd\nSubtotal 120.00\nVAT 21% 25.20\nAmount due 145.20"


def _embedding(client, image) -> list[float]:
    return client.app.state.runtime.embed([image])[0].tolist()


def test_text_features_fold_accents_and_ignore_short_tokens():
    assert fold("FACTURA Simplificada Nº 12 Dirección") == "factura simplificada no 12 direccion"
    rows = text_features(["Factura total", "factura TOTAL", "", "12 a b"])
    assert rows.shape == (4, N_FEATURES)
    assert np.allclose(rows[0], rows[1]) and np.isclose(np.linalg.norm(rows[0]), 1.0)
    assert not rows[2].any() and not rows[3].any()  # no word of three letters: no feature


def test_default_model_reads_text_and_says_so(client):
    model = client.get("/model").json()["data"]
    assert model["text_features"] and model["text_features"].startswith("hashed-words-v1")
    vector = _embedding(client, page("receipt", 5101))
    image_only = client.post("/classify", json={"embedding": vector}).json()["data"]
    with_text = client.post("/classify", json={"embedding": vector, "text": INVOICE_WORDS}).json()["data"]
    assert image_only["used_text"] is False and with_text["used_text"] is True
    # the same picture with an invoice's words is more of an invoice than without them
    assert with_text["scores"]["invoice"] > image_only["scores"]["invoice"]


def test_docgen_words_move_a_page_to_its_own_type(client):
    """A page unseen in training, with its own printed words, is classified as its type (Spanish, noisy scan)."""
    for kind in ("receipt", "invoice", "form", "letter"):
        doc = docgen.render(kind, seed=5200, lang="es", variant="noisy")
        with_text = client.post("/classify", json={"embedding": _embedding(client, doc.image), "text": "\n".join(doc.lines)}).json()["data"]
        assert with_text["used_text"] is True
        assert with_text["predicted_class"] == kind, (kind, with_text["scores"])


def test_multipart_classify_takes_text_for_the_first_page(client):
    from tests.encoding import png_bytes

    r = client.post("/classify", files={"file": ("p.png", png_bytes(page("invoice", 5301)), "image/png")}, data={"text": INVOICE_WORDS})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["used_text"] is True and r.json()["data"]["predicted_class"] == "invoice"


def test_train_with_texts_reads_text_and_without_them_does_not(private_client):
    vectors = [_embedding(private_client, page(k, 5400 + i)) for k in ("receipt", "letter") for i in range(3)]
    labels = ["receipt"] * 3 + ["letter"] * 3
    texts = ["TOTAL 12.00 CASH"] * 3 + ["Dear Ana, sincerely"] * 3
    with_text = private_client.post("/train", headers=admin_headers(), json={"embeddings": vectors, "labels": labels, "texts": texts, "activate": True}).json()["data"]
    assert with_text["text_features"] is not None
    one_missing = private_client.post("/train", headers=admin_headers(), json={"embeddings": vectors, "labels": labels, "texts": texts[:-1] + [None],
                                                                  "activate": True}).json()["data"]
    assert one_missing["text_features"] is None  # an example without text would teach "no words" = its class
    result = private_client.post("/classify", json={"embedding": vectors[0], "text": "TOTAL"}).json()["data"]
    assert result["used_text"] is False and result["model_version"] == one_missing["version"]


def test_bad_texts_are_val001(private_client):
    vectors = [_embedding(private_client, page(k, 5500)) for k in ("receipt", "letter")]
    wrong_count = private_client.post("/train", headers=admin_headers(), json={"embeddings": vectors, "labels": ["a", "b"], "texts": ["one"]})
    assert wrong_count.status_code == 400 and wrong_count.json()["error"]["code"] == "VAL001"
    assert "one text" in wrong_count.json()["error"]["message"]
    too_long = private_client.post("/classify", json={"embedding": vectors[0], "text": "x" * 200_001})
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "VAL001"
    not_text = private_client.post("/classify", json={"embedding": vectors[0], "text": 12})
    assert not_text.status_code in (400, 422) and not_text.json()["error"]["code"] == "VAL001"
    assert private_client.get("/health").json()["status"] == "healthy"


def test_a_version_stored_before_the_text_model_is_served_image_only():
    x = np.random.default_rng(0).normal(size=(6, 4))
    old = LogisticRegression().fit(x, ["a", "b"] * 3)
    estimator = _as_estimator(old)
    assert isinstance(estimator, DocumentTypeEstimator) and not estimator.reads_text
    scores = estimator.predict_scores(x[:2], ["total", None])
    assert [used for _, used in scores] == [False, False]
    assert np.allclose([s["a"] for s, _ in scores], old.predict_proba(x[:2] / np.linalg.norm(x[:2], axis=1, keepdims=True))[:, 0])
