"""The two OCR engines behind one protocol. Both return `RawPage`s (lines with polygons and confidences),
so everything after OCR is engine-independent."""

from __future__ import annotations

import logging
import os
import queue
import threading
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Protocol

import numpy as np

from iris_models.ocr_weights import DET, PROVENANCE_FILE, REC, REC_PRECISIONS, model_dir, ocr_dir, rec_dir
from ocr_extractor.core.types import RawLine, RawPage, RawWord
from ocr_extractor.settings import OcrExtractorSettings

logger = logging.getLogger(__name__)


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


class OcrEngine(Protocol):
    name: str

    def recognize(self, image: np.ndarray) -> RawPage:
        """OCR one BGR page."""
        ...

    def describe(self) -> dict[str, Any]: ...


class PaddleEngine:
    """PaddleOCR 3.x on onnxruntime with the PP-OCRv6 small models prepared by `iris_models.ocr_weights`.

    PaddleOCR is not documented as thread-safe, so an engine's calls are serialised; the service runs several
    engines (`EnginePool`, OCR_WORKERS) to read several pages at once. OCR_REC_PRECISION picks the recognition
    folder: the wheel's fp32 file or the int8 one `iris setup` quantises from it."""

    name = "paddle"

    def __init__(self, settings: OcrExtractorSettings) -> None:
        self.settings = settings
        self.det_dir = model_dir(settings.models_dir, DET)
        self.rec_precision, self.rec_note = settings.rec_precision, None
        if self.rec_precision != "fp32" and not (rec_dir(settings.models_dir, self.rec_precision) / "inference.onnx").is_file() \
                and (rec_dir(settings.models_dir, "fp32") / "inference.onnx").is_file():
            # a models folder prepared before the int8 recogniser existed: read on, at fp32, until `iris setup` runs
            self.rec_note = (f"OCR_REC_PRECISION={self.rec_precision} but {rec_dir(settings.models_dir, self.rec_precision)} "
                             "is missing (run `iris setup`): the fp32 recogniser is loaded")
            logger.warning(self.rec_note)
            self.rec_precision = "fp32"
        self.rec_spec = REC_PRECISIONS[self.rec_precision]
        self.rec_dir = rec_dir(settings.models_dir, self.rec_precision)
        for folder in (self.det_dir, self.rec_dir):
            for name in ("inference.onnx", "inference.yml"):
                if not (folder / name).is_file():
                    raise FileNotFoundError(f"{folder / name} is missing: run `iris setup` (iris_models.ocr_weights)")
        # PaddleX checks model hosts and writes a cache unless told otherwise; nothing may be fetched at run time.
        os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
        os.environ.setdefault("PADDLE_PDX_CACHE_HOME", str(settings.paddlex_home))
        from paddleocr import PaddleOCR

        threads = settings.cpu_threads
        self._ocr = PaddleOCR(
            text_detection_model_name=DET.model_name,
            text_detection_model_dir=str(self.det_dir),
            text_recognition_model_name=REC.model_name,
            text_recognition_model_dir=str(self.rec_dir),
            use_doc_orientation_classify=False,
            use_doc_unwarping=False,
            use_textline_orientation=False,
            text_det_limit_type="max",
            text_det_limit_side_len=settings.det_limit_side_len,
            text_recognition_batch_size=settings.rec_batch_size,
            engine="onnxruntime",
            engine_config={"intra_op_num_threads": threads, "inter_op_num_threads": 1,
                           "enable_cpu_mem_arena": settings.cpu_mem_arena},
        )
        self._lock = threading.Lock()

    def recognize(self, image: np.ndarray) -> RawPage:
        with self._lock:
            result = self._ocr.predict(image)[0]
        lines = tuple(
            RawLine(text=str(text), confidence=float(score), polygon=tuple((float(x), float(y)) for x, y in poly))
            for text, score, poly in zip(result["rec_texts"], result["rec_scores"], result["rec_polys"])
            if str(text).strip()
        )
        return RawPage(width=int(image.shape[1]), height=int(image.shape[0]), lines=lines)

    def describe(self) -> dict[str, Any]:
        provenance_path = ocr_dir(self.settings.models_dir) / PROVENANCE_FILE
        models = [
            {"role": "text_detection", "backend": "paddleocr/onnxruntime", "model_id": DET.model_name,
             "version": f"paddleocr {_version('paddleocr')}", "path": str(self.det_dir), "weights_source": str(self.det_dir)},
            {"role": "text_recognition", "backend": "paddleocr/onnxruntime", "model_id": REC.model_name,
             "precision": self.rec_precision, "version": f"paddleocr {_version('paddleocr')}", "path": str(self.rec_dir),
             "weights_source": str(self.rec_dir)},
        ]
        source = None
        try:
            import json

            provenance = json.loads(provenance_path.read_text())
            for entry, spec in zip(models, (DET, self.rec_spec)):
                info = provenance["models"][spec.folder]
                entry.update(sha256=info["sha256"], source=f"{info['source_distribution']}:{info['source_file']}",
                             weights_source=f"{info['source_distribution']}:{info['source_file']} (sha256 {info['sha256'][:12]})")
                if "transformation" in info:  # made here from the wheel's file
                    entry.update(source_sha256=info["source_sha256"], transformation=info["transformation"],
                                 weights_source=f"{info['transformation']['function']} ({info['transformation']['library']}) of "
                                                f"{info['source_distribution']}:{info['source_file']} (sha256 {info['source_sha256'][:12]})"
                                                f" -> sha256 {info['sha256'][:12]}")
            source = provenance["models"][DET.folder]["source_distribution"]
        except (OSError, ValueError, KeyError):
            pass
        return {
            "engine": "paddleocr",
            "inference_backend": "onnxruntime",
            "rec_precision": self.rec_precision,
            **({"rec_precision_note": self.rec_note} if self.rec_note else {}),
            "models": models,
            "versions": {name: _version(name) for name in ("paddleocr", "paddlex", "onnxruntime", "rapidocr")},
            "weights_source": f"{source} wheel -> {ocr_dir(self.settings.models_dir)}" if source else str(ocr_dir(self.settings.models_dir)),
            "languages": ["en", "es"],
        }


class TesseractEngine:
    """Tesseract 5 (Debian package, eng+spa) through tesserocr, with real word boxes and confidences."""

    name = "tesseract"

    def __init__(self, settings: OcrExtractorSettings) -> None:
        # Tesseract's OpenMP threads fight with the service's own concurrency on a small box; read at library load.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        import tesserocr

        self.settings = settings
        self._tesserocr = tesserocr
        path = str(settings.tessdata_path).rstrip("/") + "/"
        self._api = tesserocr.PyTessBaseAPI(path=path, lang=settings.tesseract_languages, psm=settings.tesseract_psm)
        self._lock = threading.Lock()
        self._path = path

    def recognize(self, image: np.ndarray) -> RawPage:
        from PIL import Image

        tess = self._tesserocr
        rgb = Image.fromarray(np.ascontiguousarray(image[:, :, ::-1]))
        lines: list[RawLine] = []
        with self._lock:
            self._api.SetImage(rgb)
            self._api.Recognize()
            iterator = self._api.GetIterator()
            current: list[RawWord] = []
            level_line, level_word = tess.RIL.TEXTLINE, tess.RIL.WORD

            def flush() -> None:
                if current:
                    box = (
                        min(w.bbox[0] for w in current),
                        min(w.bbox[1] for w in current),
                        max(w.bbox[2] for w in current),
                        max(w.bbox[3] for w in current),
                    )
                    x0, y0, x1, y1 = box
                    lines.append(
                        RawLine(
                            text=" ".join(w.text for w in current),
                            confidence=sum(w.confidence for w in current) / len(current),
                            polygon=((x0, y0), (x1, y0), (x1, y1), (x0, y1)),
                            words=tuple(current),
                        )
                    )
                    current.clear()

            if iterator is not None:
                while True:
                    if iterator.IsAtBeginningOf(level_line):
                        flush()
                    try:
                        text = iterator.GetUTF8Text(level_word)
                        box = iterator.BoundingBox(level_word)
                    except RuntimeError:  # tesserocr raises on an empty page/word instead of returning ""
                        text, box = None, None
                    if text and text.strip() and box:
                        current.append(
                            RawWord(text=text.strip(), confidence=max(iterator.Confidence(level_word), 0.0) / 100.0, bbox=tuple(float(v) for v in box))
                        )
                    if not iterator.Next(level_word):
                        break
                flush()
            self._api.Clear()
        return RawPage(width=int(image.shape[1]), height=int(image.shape[0]), lines=tuple(lines))

    def describe(self) -> dict[str, Any]:
        return {
            "engine": "tesseract",
            "inference_backend": "tesseract",
            "models": [{"role": "ocr", "backend": "tesseract", "model_id": f"tesseract-lstm:{self.settings.tesseract_languages}",
                        "version": self._tesserocr.tesseract_version().split()[1], "path": self._path,
                        "weights_source": f"Debian tesseract-ocr-eng/-spa: {self._path}"}],
            "versions": {"tesseract": self._tesserocr.tesseract_version().split()[1], "tesserocr": _version("tesserocr")},
            "weights_source": f"Debian tesseract-ocr traineddata in {self._path}",
            "languages": ["en", "es"],
        }


ENGINES = {"paddle": PaddleEngine, "tesseract": TesseractEngine}


class EnginePool:
    """`count` engines of one kind behind the one-engine protocol: a call takes a free engine (waiting for one when
    all are busy) and gives it back. Each engine serialises its own calls, so this is how one process runs as many
    OCR calls at once as the thread budget has documents in flight."""

    def __init__(self, engines: list[OcrEngine]) -> None:
        self.engines = engines
        self.name = engines[0].name
        self._free: queue.SimpleQueue[OcrEngine] = queue.SimpleQueue()
        for engine in engines:
            self._free.put(engine)

    def recognize(self, image: np.ndarray) -> RawPage:
        engine = self._free.get()
        try:
            return engine.recognize(image)
        finally:
            self._free.put(engine)

    def describe(self) -> dict[str, Any]:
        return {**self.engines[0].describe(), "workers": len(self.engines)}

    def warm_up(self) -> None:
        """One small page through every engine: the first inference allocates buffers and would otherwise slow
        the first requests."""
        for engine in self.engines:
            engine.recognize(np.full((64, 256, 3), 255, dtype=np.uint8))


def build_engine(settings: OcrExtractorSettings) -> EnginePool:
    """A pool of `settings.engine_count` engines of the configured kind (one is a pool of one)."""
    return EnginePool([ENGINES[settings.ocr_engine](settings) for _ in range(settings.engine_count)])
