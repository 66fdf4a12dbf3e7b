"""Layout measurements on generated pages, and the cluster descriptions / new-type candidates of /cluster."""

import numpy as np

import docgen
from emb_helpers import page
from iris_models.encoders.layout import DIMENSION, FEATURE_NAMES, layout_features
from ml_embeddings.core.clustering import cluster, describe


def _features(kind: str, seed: int, layout: str = "classic", variant: str = "clean") -> dict[str, float]:
    image = docgen.render(kind, seed=seed, layout=layout, variant=variant).image
    values = layout_features(image)
    assert values.shape == (DIMENSION,) and np.isfinite(values).all()
    return dict(zip(FEATURE_NAMES, values.tolist()))


def test_layout_measures_separate_page_structures():
    receipt, letter = _features("receipt", 1, "long"), _features("letter", 1)
    boxed, invoice = _features("form", 1, "boxed"), _features("invoice", 1, "table")
    assert receipt["aspect"] > 0.25 > letter["aspect"]  # a tall slip vs an A4 page
    assert boxed["h_rules"] > letter["h_rules"] and boxed["v_rules"] > letter["v_rules"]
    assert boxed["boxes"] > letter["boxes"]
    assert invoice["text_rows"] > _features("invoice", 1)["text_rows"]  # the dense grid has more rows than the airy classic
    assert _features("form", 1, "boxed", "fax")["mid_tones"] < _features("form", 1, "boxed", "noisy")["mid_tones"]  # bilevel vs grey noise
    assert _features("receipt", 1, "classic", "photo")["border_dark"] > 0.3  # a page on a table


def test_grey_and_wide_pages_are_measured():
    gray = docgen.render("letter", seed=2).image[..., 0]
    assert layout_features(gray).shape == (DIMENSION,)
    wide = np.full((200, 900, 3), 255, np.uint8)
    assert np.isfinite(layout_features(wide)).all()


def _blob(rng: np.random.Generator, centre: np.ndarray, n: int, spread: float) -> np.ndarray:
    return centre + rng.normal(0, spread, (n, len(centre)))


def test_clusters_are_described_and_the_odd_document_is_flagged():
    rng = np.random.default_rng(0)
    centres = np.eye(8)[:3] * 3
    x = np.vstack([_blob(rng, centres[0], 10, 0.1), _blob(rng, centres[1], 10, 0.1), _blob(rng, centres[2], 10, 0.1)])
    odd = np.ones((1, 8))  # equally far from all three groups
    x = np.vstack([x, odd])
    types = ["receipt"] * 10 + ["form"] * 9 + ["invoice"] + ["letter"] * 10 + ["other"]
    names = [f"doc{i}" for i in range(len(x))]
    result = cluster(x, None, max_k=6)
    d = describe(x, result, names=names, types=types, confidences=[0.9] * 30 + [0.95])
    sizes = sorted(c["size"] for c in d.clusters)
    assert sizes[-3:] == [10, 10, 10]
    form_cluster = next(c for c in d.clusters if c["majority_type"] == "form")
    assert form_cluster["types"] == {"form": 9, "invoice": 1} and len(form_cluster["examples"]) == 3
    assert all(name in names[10:20] for name in form_cluster["examples"])
    flagged = {c["name"] for c in d.candidates}
    assert "doc30" in flagged and len(flagged) <= 2


def test_low_confidence_documents_are_candidates():
    rng = np.random.default_rng(1)
    x = np.vstack([_blob(rng, np.eye(4)[0] * 3, 6, 0.1), _blob(rng, np.eye(4)[1] * 3, 6, 0.1)])
    confidences = [0.9] * 11 + [0.3]
    d = describe(x, cluster(x, None), types=["a"] * 6 + ["b"] * 6, confidences=confidences)
    unsure = [c for c in d.candidates if any("unsure" in r for r in c["reasons"])]
    assert [c["index"] for c in unsure] == [11]


def test_cluster_endpoint_returns_descriptions(client):
    from tests.encoding import png_bytes

    images = [page("receipt", s, "noisy") for s in (41, 42, 43)] + [page("letter", s, "noisy") for s in (41, 42, 43)]
    files = [("files", (f"p{i}.png", png_bytes(im), "image/png")) for i, im in enumerate(images)]
    vectors = [item["embedding"] for item in client.post("/embed", files=files).json()["data"]["items"]]
    names = [f"p{i}.png" for i in range(6)]
    body = {"embeddings": vectors, "names": names, "types": ["receipt"] * 3 + ["letter"] * 3, "confidences": [0.9] * 6}
    data = client.post("/cluster", json=body).json()["data"]
    assert data["k"] == 2
    assert sorted((c["majority_type"], c["size"]) for c in data["clusters"]) == [("letter", 3), ("receipt", 3)]
    assert data["distance_threshold"] is not None and isinstance(data["new_type_candidates"], list)
    bad = client.post("/cluster", json={"embeddings": vectors, "names": names[:2]})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "VAL001"
