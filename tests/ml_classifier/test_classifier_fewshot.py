"""Teaching a new type from a few examples, keeping the generated base set, activation, evaluation, the CLI parser."""


import pytest

from clf_helpers import page
from iris_cli.main import build_parser
from ml_classifier.core.evaluation import format_report, from_folders, score
from tests.auth import admin_headers
from tests.encoding import png_bytes

KINDS = ["form", "invoice", "letter", "other", "receipt"]


def _upload(images, labels, **form):
    files = [("files", (f"{i}.png", png_bytes(im), "image/png")) for i, im in enumerate(images)]
    return files, {"labels": labels, **form}


def test_train_with_base_set_adds_a_type_and_keeps_the_others(private_client):
    before = private_client.get("/model").json()["data"]["version"]
    # a "ticket" type: receipts printed on thermal paper, 4 examples
    tickets = [page("receipt", 300 + i, "thermal") for i in range(4)]
    others = [page("letter", 300 + i) for i in range(4)]
    files, form = _upload(tickets + others, ["ticket"] * 4 + ["letter"] * 4, include_base="true", activate="true")
    r = private_client.post("/train", headers=admin_headers(), files=files, data=form)
    assert r.status_code == 200, r.text
    model = r.json()["data"]
    assert model["version"] != before and model["active"] is True and model["holdout"]["passed"], model["holdout"]
    assert set(model["classes"]) == set(KINDS) | {"ticket"}
    assert model["training_size"]["ticket"] == 4 and model["training_size"]["form"] >= 1
    assert "base set" in model["provenance"]
    form_page = private_client.post("/classify", files={"file": ("f.png", png_bytes(page("form", 7001)), "image/png")})
    assert form_page.json()["data"]["predicted_class"] == "form"


def test_train_without_activation_then_activate_and_restore(private_client):
    default = private_client.get("/model").json()["data"]["version"]
    vectors = [private_client.app.state.runtime.embed([page(k, 400 + i)])[0].tolist() for k in ("receipt", "letter") for i in range(2)]
    r = private_client.post("/train", headers=admin_headers(), json={"embeddings": vectors, "labels": ["a", "a", "b", "b"], "activate": False})
    new = r.json()["data"]
    assert new["active"] is False and private_client.get("/model").json()["data"]["version"] == default
    listing = private_client.get("/models").json()["data"]
    assert listing["active"] == default and new["version"] in listing["versions"]
    assert private_client.post("/model/activate", headers=admin_headers(), json={"version": new["version"]}).json()["data"]["classes"] == ["a", "b"]
    assert private_client.get("/model").json()["data"]["version"] == new["version"]
    private_client.post("/model/activate", headers=admin_headers(), json={"version": default})
    assert private_client.get("/model").json()["data"]["version"] == default
    missing = private_client.post("/model/activate", headers=admin_headers(), json={"version": "v999"})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "VAL001"


def test_score_counts_precision_recall_and_sources():
    truth = ["form", "form", "invoice", "receipt", "receipt"]
    pred = ["form", "letter", "invoice", "receipt", "invoice"]
    report = score(truth, pred, ["A", "A", "B", "C", "D"])
    assert report.accuracy == pytest.approx(0.6)
    assert report.per_class["invoice"] == {"precision": 0.5, "recall": 1.0, "support": 1}
    assert report.per_class["form"]["recall"] == 0.5 and report.per_class["letter"]["precision"] == 0.0
    assert report.confusion["receipt"]["invoice"] == 1
    assert report.per_source_accuracy == {"A (form)": 0.5, "B (invoice)": 1.0, "C (receipt)": 1.0, "D (receipt)": 0.0}
    text = format_report(report)
    assert "accuracy 0.600 on 5 pages" in text and "per-source confusion" in text


def test_folders_become_labels(tmp_path):
    for label in ("receipt", "form"):
        (tmp_path / label / "sub").mkdir(parents=True)
        (tmp_path / label / "a.png").write_bytes(b"x")
        (tmp_path / label / "sub" / "b.jpg").write_bytes(b"x")
        (tmp_path / label / "notes.txt").write_text("ignored")
    (tmp_path / "loose.png").write_bytes(b"x")
    items = from_folders(tmp_path)
    assert sorted((i.label, i.path.name) for i in items) == [("form", "a.png"), ("form", "b.jpg"), ("receipt", "a.png"), ("receipt", "b.jpg")]


def test_cli_parses_train_and_classify_eval():
    parser = build_parser()
    args = parser.parse_args(["train", "examples", "--include-base", "--no-activate"])
    assert (args.dir, args.include_base, args.no_activate) == ("examples", True, True)
    args = parser.parse_args(["classify-eval", "--csv", "doc_types.csv", "--labels", "receipt,form,invoice"])
    assert args.csv == "doc_types.csv" and args.dir is None
    assert parser.parse_args(["model-activate", "v1"]).version == "v1"
