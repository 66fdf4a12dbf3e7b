"""The PP-OCRv6 small detection and recognition weights: where they live under the models folder, and their
offline preparation from the rapidocr wheel (the `ocr` step of `iris setup`).

Two services read them: the ocr-extractor runs PaddleOCR on both models, the image-processor runs the
recogniser alone to tell which way up a page is. One place says where the files are, so neither service
imports the other.

No wheel ships a model folder PaddleOCR loads as is: the rapidocr wheel carries the PP-OCRv6 small
detection and recognition ONNX files but not the `inference.yml` PaddleOCR reads beside them. This module
copies the two ONNX files out of the installed wheel, writes that yml (the recognition character list comes
from the ONNX metadata) and records where each file came from with its sha256. Idempotent: it does nothing
when the folders already match the wheel, unless `force=True`.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from iris_models.hashing import sha256_of

__all__ = ["DET", "OCR_SUBDIR", "PROVENANCE_FILE", "REC", "SPECS", "ModelSpec", "model_dir", "ocr_dir", "onnx_file",
           "prepare_ocr_models", "sha256_of"]

logger = logging.getLogger(__name__)

SOURCE_DISTRIBUTION = "rapidocr"
PROVENANCE_FILE = "provenance.json"
OCR_SUBDIR = "ocr"


@dataclass(frozen=True)
class ModelSpec:
    """One PaddleOCR model folder built from one ONNX file of the wheel."""

    folder: str  # folder name under models_dir/ocr
    model_name: str  # PaddleX's official name: must equal Global.model_name and the name passed to PaddleOCR
    wheel_file: str  # path of the ONNX file inside the wheel
    kind: str  # "det" or "rec"


DET = ModelSpec("PP-OCRv6_det_small", "PP-OCRv6_small_det", "rapidocr/models/PP-OCRv6_det_small.onnx", "det")
REC = ModelSpec("PP-OCRv6_rec_small", "PP-OCRv6_small_rec", "rapidocr/models/PP-OCRv6_rec_small.onnx", "rec")
SPECS = (DET, REC)


def ocr_dir(models_dir: Path) -> Path:
    return Path(models_dir) / OCR_SUBDIR


def model_dir(models_dir: Path, spec: ModelSpec) -> Path:
    return ocr_dir(models_dir) / spec.folder


def onnx_file(models_dir: Path, spec: ModelSpec) -> Path:
    """The model's weights as PaddleOCR (and the image-processor's line reader) loads them."""
    return model_dir(models_dir, spec) / "inference.onnx"


def _wheel_file(rel_path: str) -> tuple[Path, str]:
    """Locate a file of the installed rapidocr distribution: (absolute path, 'rapidocr==x.y.z')."""
    dist = importlib.metadata.distribution(SOURCE_DISTRIBUTION)
    for entry in dist.files or []:
        if str(entry) == rel_path:
            return Path(str(dist.locate_file(entry))).resolve(), f"{SOURCE_DISTRIBUTION}=={dist.version}"
    raise FileNotFoundError(f"{rel_path} is not part of the installed {SOURCE_DISTRIBUTION} {dist.version} distribution")


def _character_list(onnx_path: Path) -> list[str]:
    """The recognition alphabet, one entry per line of the ONNX `character` metadata (space is added by the decoder)."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    text = session.get_modelmeta().custom_metadata_map.get("character")
    if not text:
        raise ValueError(f"{onnx_path} has no 'character' metadata; cannot build the recognition dictionary")
    return text.split("\n")


def det_config(spec: ModelSpec) -> dict[str, Any]:
    """PaddleOCR's detection config: DB pre/post-processing with ImageNet normalisation."""
    return {
        "Global": {"model_name": spec.model_name},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"DetResizeForTest": {"resize_long": 960}},
                {
                    "NormalizeImage": {
                        "mean": [0.485, 0.456, 0.406],
                        "std": [0.229, 0.224, 0.225],
                        "scale": 1.0 / 255.0,
                        "order": "hwc",
                    }
                },
                {"ToCHWImage": None},
                {"KeepKeys": {"keep_keys": ["image", "shape"]}},
            ]
        },
        "PostProcess": {
            "name": "DBPostProcess",
            "thresh": 0.3,
            "box_thresh": 0.6,
            "max_candidates": 1000,
            "unclip_ratio": 1.5,
        },
    }


def rec_config(spec: ModelSpec, characters: list[str]) -> dict[str, Any]:
    """PaddleOCR's recognition config: CTC decoding with the model's own alphabet."""
    return {
        "Global": {"model_name": spec.model_name},
        "PreProcess": {
            "transform_ops": [
                {"DecodeImage": {"channel_first": False, "img_mode": "BGR"}},
                {"RecResizeImg": {"image_shape": [3, 48, 320]}},
                {"KeepKeys": {"keep_keys": ["image", "length"]}},
            ]
        },
        "PostProcess": {"name": "CTCLabelDecode", "character_dict": characters},
    }


def _is_current(target: Path, provenance: dict[str, Any], spec: ModelSpec, source_sha: str) -> bool:
    entry = provenance.get("models", {}).get(spec.folder)
    if not entry or entry.get("sha256") != source_sha:
        return False
    onnx, yml = target / "inference.onnx", target / "inference.yml"
    return onnx.is_file() and yml.is_file() and sha256_of(onnx) == source_sha


def prepare_ocr_models(models_dir: Path, *, force: bool = False) -> dict[str, Any]:
    """The PaddleOCR model folders and their provenance."""
    root = ocr_dir(models_dir)
    root.mkdir(parents=True, exist_ok=True)
    provenance_path = root / PROVENANCE_FILE
    try:
        previous = json.loads(provenance_path.read_text()) if provenance_path.is_file() else {}
    except (OSError, ValueError):
        previous = {}

    models: dict[str, Any] = {}
    changed = False
    for spec in SPECS:
        source, distribution = _wheel_file(spec.wheel_file)
        source_sha = sha256_of(source)
        target = model_dir(models_dir, spec)
        if not force and _is_current(target, previous, spec, source_sha):
            models[spec.folder] = previous["models"][spec.folder]
            continue
        target.mkdir(parents=True, exist_ok=True)
        tmp_onnx = target / "inference.onnx.tmp"
        shutil.copyfile(source, tmp_onnx)
        config = det_config(spec) if spec.kind == "det" else rec_config(spec, _character_list(source))
        tmp_yml = target / "inference.yml.tmp"
        tmp_yml.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
        tmp_onnx.replace(target / "inference.onnx")
        tmp_yml.replace(target / "inference.yml")
        changed = True
        models[spec.folder] = {
            "model_name": spec.model_name,
            "kind": spec.kind,
            "path": str(target),
            "source_distribution": distribution,
            "source_file": spec.wheel_file,
            "source_path": str(source),
            "sha256": source_sha,
            "yml_sha256": sha256_of(target / "inference.yml"),
        }
        logger.info("prepared %s from %s:%s", target, distribution, spec.wheel_file)

    provenance = {"engine": "paddleocr", "models": models}
    if changed or previous != provenance:
        tmp = provenance_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(provenance, indent=2, ensure_ascii=False))
        tmp.replace(provenance_path)
    return {**provenance, "changed": changed, "dir": str(root)}
