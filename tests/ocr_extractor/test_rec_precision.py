"""The int8 recogniser (iris_models.ocr_weights.REC_INT8): made at setup time from the rapidocr wheel's file, its
provenance recorded, idempotent; OCR_REC_PRECISION picks the folder PaddleEngine loads and describe() says which."""

import json
from pathlib import Path

import onnx
import pytest
import yaml
from pydantic import ValidationError

from iris_models.ocr_weights import REC, REC_INT8, model_dir, prepare_ocr_models, rec_dir, sha256_of
from ocr_helpers import make_settings


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    path = tmp_path_factory.mktemp("rec-int8-models")
    return path, prepare_ocr_models(path)


def test_int8_folder_is_made_from_the_wheel_file_with_its_provenance(prepared):
    path, result = prepared
    folder = model_dir(path, REC_INT8)
    assert folder == rec_dir(path, "int8") and folder.name == "PP-OCRv6_rec_small_int8"
    assert REC_INT8.folder in result["changed_folders"]
    entry = result["models"][REC_INT8.folder]
    fp32 = result["models"][REC.folder]
    assert entry["source_distribution"] == fp32["source_distribution"] == "rapidocr==3.10.0"
    assert entry["source_file"] == REC.wheel_file
    assert entry["source_sha256"] == fp32["sha256"] == sha256_of(Path(entry["source_path"]))
    assert entry["sha256"] == sha256_of(folder / "inference.onnx") != entry["source_sha256"]
    assert entry["model_name"] == REC.model_name and entry["kind"] == "rec"
    transformation = entry["transformation"]
    assert transformation["function"] == "onnxruntime.quantization:quantize_dynamic"
    assert transformation["library"].startswith("onnxruntime==")
    assert transformation["options"] == {"op_types_to_quantize": ["MatMul", "Gemm"], "per_channel": True,
                                         "reduce_range": False, "weight_type": "QInt8"}
    # the same yml (model name, alphabet) as the fp32 folder, so PaddleOCR decodes the same way
    assert (folder / "inference.yml").read_bytes() == (model_dir(path, REC) / "inference.yml").read_bytes()
    assert yaml.safe_load((folder / "inference.yml").read_text(encoding="utf-8"))["Global"]["model_name"] == REC.model_name
    ops = {node.op_type for node in onnx.load(str(folder / "inference.onnx")).graph.node}
    assert "DynamicQuantizeMatMul" in ops or "MatMulInteger" in ops
    assert "ConvInteger" not in ops and "Conv" in ops  # the convolutions stay fp32
    assert json.loads((path / "ocr" / "provenance.json").read_text())["models"][REC_INT8.folder] == entry


def test_int8_folder_is_idempotent_and_repaired(prepared):
    path, first = prepared
    onnx_path = model_dir(path, REC_INT8) / "inference.onnx"
    stamp = onnx_path.stat().st_mtime_ns
    again = prepare_ocr_models(path)
    assert again["changed"] is False and again["changed_folders"] == [] and again["models"] == first["models"]
    assert onnx_path.stat().st_mtime_ns == stamp

    onnx_path.write_bytes(b"damaged")
    repaired = prepare_ocr_models(path)
    assert repaired["changed_folders"] == [REC_INT8.folder]  # only the damaged folder is rebuilt
    assert sha256_of(onnx_path) == repaired["models"][REC_INT8.folder]["sha256"]

    # another transformation recorded (e.g. older options or another onnxruntime): made again
    provenance_path = path / "ocr" / "provenance.json"
    provenance = json.loads(provenance_path.read_text())
    provenance["models"][REC_INT8.folder]["transformation"]["options"]["per_channel"] = False
    provenance_path.write_text(json.dumps(provenance))
    assert prepare_ocr_models(path)["changed_folders"] == [REC_INT8.folder]
    assert prepare_ocr_models(path)["changed"] is False


def test_precision_setting_picks_the_folder(tmp_path, monkeypatch):
    from ocr_extractor.settings import OcrExtractorSettings

    monkeypatch.delenv("OCR_REC_PRECISION", raising=False)
    assert OcrExtractorSettings(IRIS_MODELS_DIR=tmp_path).rec_precision == "int8"  # the measured default
    monkeypatch.setenv("OCR_REC_PRECISION", "fp32")
    settings = OcrExtractorSettings(IRIS_MODELS_DIR=tmp_path)
    assert settings.rec_precision == "fp32"
    assert rec_dir(settings.models_dir, settings.rec_precision) == tmp_path / "ocr" / "PP-OCRv6_rec_small"
    assert rec_dir(tmp_path, "int8") == tmp_path / "ocr" / "PP-OCRv6_rec_small_int8"
    with pytest.raises(ValidationError):
        OcrExtractorSettings(IRIS_MODELS_DIR=tmp_path, OCR_REC_PRECISION="fp16")
    with pytest.raises(ValueError):
        rec_dir(tmp_path, "fp16")


def test_engine_loads_the_int8_folder_and_reads(models_dir, tmp_path, receipt_en):
    from ocr_extractor.models.engines import PaddleEngine

    engine = PaddleEngine(make_settings(models_dir, tmp_path, OCR_REC_PRECISION="int8", IRIS_CPU_THREADS=1))
    assert engine.rec_dir == rec_dir(models_dir, "int8")
    info = engine.describe()
    assert info["rec_precision"] == "int8" and "rec_precision_note" not in info
    rec = info["models"][1]
    assert rec["precision"] == "int8" and rec["path"] == str(rec_dir(models_dir, "int8"))
    assert rec["sha256"] == sha256_of(rec_dir(models_dir, "int8") / "inference.onnx")
    assert rec["source_sha256"] == sha256_of(rec_dir(models_dir, "fp32") / "inference.onnx")
    assert rec["transformation"]["function"].endswith("quantize_dynamic") and "quantize_dynamic" in rec["weights_source"]
    text = " ".join(line.text for line in engine.recognize(receipt_en.image).lines).lower()
    assert "total" in text


def test_engine_loads_fp32_when_asked(models_dir, tmp_path):
    from ocr_extractor.models.engines import PaddleEngine

    engine = PaddleEngine(make_settings(models_dir, tmp_path, OCR_REC_PRECISION="fp32", IRIS_CPU_THREADS=1))
    assert engine.rec_dir == rec_dir(models_dir, "fp32")
    rec = engine.describe()["models"][1]
    assert rec["precision"] == "fp32" and "transformation" not in rec


def test_a_models_folder_without_the_int8_recogniser_reads_at_fp32(models_dir, tmp_path):
    """Prepared before the int8 folder existed: the engine loads fp32 and says so, until `iris setup` runs."""
    from ocr_extractor.models.engines import PaddleEngine

    old = tmp_path / "models"
    (old / "ocr").mkdir(parents=True)
    for folder in ("PP-OCRv6_det_small", "PP-OCRv6_rec_small", "provenance.json"):
        (old / "ocr" / folder).symlink_to(models_dir / "ocr" / folder)
    engine = PaddleEngine(make_settings(old, tmp_path, OCR_REC_PRECISION="int8", IRIS_CPU_THREADS=1))
    assert engine.rec_dir == rec_dir(old, "fp32")
    info = engine.describe()
    assert info["rec_precision"] == "fp32" and "iris setup" in info["rec_precision_note"]
