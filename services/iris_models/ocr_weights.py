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

One more folder is derived, not copied: `PP-OCRv6_rec_small_int8`, the wheel's recognition file transformed here by
onnxruntime's dynamic int8 quantisation (`REC_INT8`: its MatMul/Gemm weights per channel, int8; the convolutions
stay fp32: ConvInteger is slower than fp32 Conv on CPU and loses the text). Its provenance records the source
distribution, file and sha256, the transformation (function, onnxruntime version, options) and the output's
sha256; its `inference.yml` is the fp32 folder's. The ocr-extractor picks the folder with OCR_REC_PRECISION
(`rec_dir`).
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

__all__ = ["DET", "OCR_SUBDIR", "PROVENANCE_FILE", "REC", "REC_INT8", "REC_PRECISIONS", "SPECS", "DerivedSpec", "ModelSpec",
           "model_dir", "ocr_dir", "onnx_file", "prepare_ocr_models", "rec_dir", "sha256_of"]

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


@dataclass(frozen=True)
class DerivedSpec:
    """A model folder made on this machine from another spec's wheel file by a named transformation."""

    folder: str
    base: ModelSpec  # the wheel file it is made from, and the model name PaddleOCR is given
    transformation: str  # "module:function" applied to the wheel file
    options: tuple[tuple[str, Any], ...]  # keyword arguments of the transformation (JSON-serialisable values)

    @property
    def model_name(self) -> str:
        return self.base.model_name

    @property
    def kind(self) -> str:
        return self.base.kind


# The MatMul/Gemm layers (the transformer blocks and the 18,708-class CTC head) quantised, weights int8 per output
# channel. On the 60 SROIE receipts (benchmarks/recogniser_precision.py, OCR of phase 1's pages, 1 thread) vs fp32:
# CER 3.35 % vs 3.36 %, field F1 0.950 vs 0.952, 1.55 vs 1.69 s per receipt, 75.2 vs 68.6 receipts/min with two
# single-thread engines. Per-tensor weights: the same speed, CER +0.02 points. Conv is ~74 % of the recogniser's
# time, but quantised dynamically (ConvInteger) it ran 3.4x slower (uint8 weights: no faster) and changed 35-40 %
# of the CTC steps' argmax; quant_pre_process first gained nothing.
REC_INT8 = DerivedSpec(
    "PP-OCRv6_rec_small_int8", REC, "onnxruntime.quantization:quantize_dynamic",
    (("op_types_to_quantize", ("MatMul", "Gemm")), ("per_channel", True), ("reduce_range", False), ("weight_type", "QInt8")),
)
REC_PRECISIONS: dict[str, ModelSpec | DerivedSpec] = {"fp32": REC, "int8": REC_INT8}


def ocr_dir(models_dir: Path) -> Path:
    return Path(models_dir) / OCR_SUBDIR


def model_dir(models_dir: Path, spec: ModelSpec | DerivedSpec) -> Path:
    return ocr_dir(models_dir) / spec.folder


def rec_dir(models_dir: Path, precision: str = "fp32") -> Path:
    """The recognition model folder of a precision ("fp32": the wheel's file, "int8": `REC_INT8`)."""
    try:
        return model_dir(models_dir, REC_PRECISIONS[precision])
    except KeyError:
        raise ValueError(f"unknown recognition precision {precision!r}; one of {', '.join(REC_PRECISIONS)}") from None


def onnx_file(models_dir: Path, spec: ModelSpec | DerivedSpec) -> Path:
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


def _transformation_record(spec: DerivedSpec) -> dict[str, Any]:
    import onnxruntime

    return {"function": spec.transformation, "library": f"onnxruntime=={onnxruntime.__version__}",
            "options": {key: list(value) if isinstance(value, tuple) else value for key, value in spec.options}}


def _transform(spec: DerivedSpec, source: Path, output: Path) -> None:
    """Apply the spec's transformation: today only onnxruntime's dynamic quantisation."""
    if spec.transformation != "onnxruntime.quantization:quantize_dynamic":
        raise ValueError(f"unknown transformation {spec.transformation}")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    options = _transformation_record(spec)["options"]
    options["weight_type"] = QuantType[options["weight_type"]]
    quantize_dynamic(str(source), str(output), **options)


def _derived_is_current(target: Path, entry: dict[str, Any] | None, source_sha: str, transformation: dict[str, Any]) -> bool:
    if not entry or entry.get("source_sha256") != source_sha or entry.get("transformation") != transformation:
        return False
    onnx, yml = target / "inference.onnx", target / "inference.yml"
    return (onnx.is_file() and yml.is_file() and sha256_of(onnx) == entry.get("sha256")
            and sha256_of(yml) == entry.get("yml_sha256"))


def _prepare_derived(models_dir: Path, spec: DerivedSpec, previous: dict[str, Any], force: bool) -> tuple[dict[str, Any], bool]:
    """The derived folder (built from the wheel's file, its yml that of the base folder) and its provenance entry."""
    source, distribution = _wheel_file(spec.base.wheel_file)
    source_sha = sha256_of(source)
    transformation = _transformation_record(spec)
    target = model_dir(models_dir, spec)
    base_yml = model_dir(models_dir, spec.base) / "inference.yml"
    entry = previous.get("models", {}).get(spec.folder)
    if (not force and _derived_is_current(target, entry, source_sha, transformation)
            and sha256_of(base_yml) == sha256_of(target / "inference.yml")):
        return entry, False
    target.mkdir(parents=True, exist_ok=True)
    tmp_onnx = target / "inference.onnx.tmp"
    _transform(spec, source, tmp_onnx)
    tmp_yml = target / "inference.yml.tmp"
    shutil.copyfile(base_yml, tmp_yml)
    tmp_onnx.replace(target / "inference.onnx")
    tmp_yml.replace(target / "inference.yml")
    logger.info("prepared %s: %s of %s:%s", target, spec.transformation, distribution, spec.base.wheel_file)
    return {
        "model_name": spec.model_name,
        "kind": spec.kind,
        "path": str(target),
        "source_distribution": distribution,
        "source_file": spec.base.wheel_file,
        "source_path": str(source),
        "source_sha256": source_sha,
        "transformation": transformation,
        "sha256": sha256_of(target / "inference.onnx"),
        "yml_sha256": sha256_of(target / "inference.yml"),
    }, True


def prepare_ocr_models(models_dir: Path, *, force: bool = False) -> dict[str, Any]:
    """The PaddleOCR model folders (the wheel's two files, then the int8 recogniser made from the wheel's) and
    their provenance; `changed_folders` names the folders written now."""
    root = ocr_dir(models_dir)
    root.mkdir(parents=True, exist_ok=True)
    provenance_path = root / PROVENANCE_FILE
    try:
        previous = json.loads(provenance_path.read_text()) if provenance_path.is_file() else {}
    except (OSError, ValueError):
        previous = {}

    models: dict[str, Any] = {}
    changed_folders: list[str] = []
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
        changed_folders.append(spec.folder)
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
    models[REC_INT8.folder], derived_changed = _prepare_derived(models_dir, REC_INT8, previous, force)
    if derived_changed:
        changed_folders.append(REC_INT8.folder)

    provenance = {"engine": "paddleocr", "models": models}
    if changed_folders or previous != provenance:
        tmp = provenance_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(provenance, indent=2, ensure_ascii=False))
        tmp.replace(provenance_path)
    return {**provenance, "changed": bool(changed_folders), "changed_folders": changed_folders, "dir": str(root)}
