"""Put the PP-OCRv6 ONNX models where PaddleOCR 3.x can load them, offline.

No wheel ships a model folder PaddleOCR loads as is: the rapidocr wheel carries the PP-OCRv6 small
detection and recognition ONNX files but not the `inference.yml` PaddleOCR reads beside them. This module
copies the two ONNX files out of the installed wheel, writes that yml (the recognition character list comes
from the ONNX metadata) and records where each file came from with its sha256. Idempotent: it does nothing
when the folders already match the wheel, unless `force=True`.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ocr_extractor.core.calibration import Calibration

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


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ocr_dir(models_dir: Path) -> Path:
    return Path(models_dir) / OCR_SUBDIR


def model_dir(models_dir: Path, spec: ModelSpec) -> Path:
    return ocr_dir(models_dir) / spec.folder


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


def prepare(models_dir: Path, *, force: bool = False, calibrate_confidence: bool = True,
            calibration_seeds: int = 3, calibration_samples: Path | None = None) -> dict[str, Any]:
    """Build `models_dir/ocr/<model>/{inference.onnx, inference.yml}` from the rapidocr wheel, then (unless
    present) fit the field-confidence calibration on generated documents; return the provenance.

    Files are written to a temporary name and renamed, so a concurrent reader never sees half a model.
    """
    result = prepare_ocr_models(models_dir, force=force)
    if calibrate_confidence:
        result["calibration"] = prepare_calibration(models_dir, force=force or result["changed"], seeds=calibration_seeds,
                                                    samples_dir=calibration_samples)
    return result


def _superseded_by_shipped(installed: Calibration, packaged: Path) -> bool:
    """An installed copy of a shipped artifact (its provenance names the refit command; a local fit's does not) is
    replaced when the code ships a different one; a map fitted on this machine is kept."""
    if "command" not in installed.fitted_on or not packaged.is_file():
        return False
    try:
        return Calibration.from_json(packaged.read_text(encoding="utf-8")).version != installed.version
    except (OSError, ValueError, KeyError):
        return False


def prepare_calibration(models_dir: Path, *, force: bool = False, seeds: int = 3, samples_dir: Path | None = None) -> dict[str, Any]:
    """Put `models_dir/extraction/calibration.json` in place (idempotent): refitted here on generated documents
    plus the user's labelled samples `*.jsonl` of `samples_dir` (default $IRIS_HOME/calibration) when there are
    any, else the artifact shipped with the code (see `models.calibrate`)."""
    from ocr_extractor.core.layout import build_ocr_result
    from ocr_extractor.models.calibrate import (
        PACKAGED_CALIBRATION,
        calibrate,
        calibration_path,
        install_packaged,
        labelled_files,
        load_calibration,
    )
    from ocr_extractor.models.engines import PaddleEngine
    from ocr_extractor.settings import OcrExtractorSettings

    path = calibration_path(models_dir)
    if path.is_file() and not force:
        try:
            cal = load_calibration(models_dir)
            if not _superseded_by_shipped(cal, PACKAGED_CALIBRATION):
                return {"path": str(path), "version": cal.version, "changed": False, **cal.metrics}
            logger.info("installed calibration %s is an older shipped artifact; installing the new one", cal.version)
        except (OSError, ValueError, KeyError):
            logger.warning("calibration at %s is unreadable or stale; replacing it", path)
    settings = OcrExtractorSettings(IRIS_MODELS_DIR=models_dir)
    extra = labelled_files(samples_dir or settings.iris_home / "calibration")
    if not extra and PACKAGED_CALIBRATION.is_file():  # no labelled fields of the user's (with this code's features)
        try:
            cal = install_packaged(models_dir)
            return {"path": str(path), "version": cal.version, "changed": True, "source": str(PACKAGED_CALIBRATION), **cal.metrics}
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("shipped calibration %s not usable (%s); fitting one on generated documents", PACKAGED_CALIBRATION, exc)
    engine = PaddleEngine(settings)
    cal = calibrate(models_dir, lambda image: build_ocr_result("paddleocr", [engine.recognize(image)]), seeds=range(seeds),
                    extra_samples=extra)
    return {"path": str(path), "version": cal.version, "changed": True, "source": "fitted", **cal.metrics}


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
