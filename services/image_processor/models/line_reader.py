"""The PP-OCRv6 small text-line recogniser, used only to tell which way up a page is.

A line read the right way up gets confident characters; the same line upside down or sideways does not. The
weights are the ONNX file `iris setup` prepares for the OCR (from the rapidocr wheel, `iris_models.ocr_weights`),
so no extra download is needed; the image-processor reads it from the shared models folder. It reads the fp32 file,
not the int8 one the OCR loads by default (OCR_REC_PRECISION): replayed on the orientation crops of the 60 SROIE
receipts, int8 saved 0.004 s of phase 1's 0.305 s per receipt and moved line confidences by up to 0.25
(benchmarks/recogniser_precision.py), too little time for a risk to the page's direction.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from iris_models.ocr_weights import REC, onnx_file

logger = logging.getLogger(__name__)

LINE_HEIGHT = 48  # the model's input height
MAX_LINE_WIDTH = 480  # longer crops are cut: a few words decide the direction as well as a whole line


def rec_model_path(models_dir: Path) -> Path:
    """Where `iris setup` put the recognition model (the shared `iris_models.ocr_weights` owns the layout)."""
    return onnx_file(models_dir, REC)


def _to_input(crop: np.ndarray) -> np.ndarray:
    """Grey or BGR crop -> float CHW at height 48, normalised to [-1, 1] as PaddleOCR's RecResizeImg does."""
    if crop.ndim == 2:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
    h, w = crop.shape[:2]
    width = int(min(MAX_LINE_WIDTH, max(8, round(w * LINE_HEIGHT / max(h, 1)))))
    if w * LINE_HEIGHT / max(h, 1) > MAX_LINE_WIDTH:  # keep the aspect: cut the crop rather than squeeze it
        crop = crop[:, : max(1, int(round(MAX_LINE_WIDTH * h / LINE_HEIGHT)))]
    resized = cv2.resize(crop, (width, LINE_HEIGHT), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    return ((resized / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)


class LineRecognizer:
    """Confidence of reading each crop as a text line (mean top-1 probability of its non-blank CTC steps)."""

    def __init__(self, onnx_path: Path, cpu_threads: int, mem_arena: bool = False) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, cpu_threads)
        options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = mem_arena  # IRIS_CPU_MEM_ARENA: crops of every width would grow the arena
        self.path = Path(onnx_path)
        self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def confidences(self, crops: list[np.ndarray]) -> np.ndarray:
        if not crops:
            return np.zeros(0, np.float32)
        tensors = [_to_input(c) for c in crops]
        width = max(t.shape[2] for t in tensors)
        batch = np.zeros((len(tensors), 3, LINE_HEIGHT, width), np.float32)  # zero = mid-grey after normalising
        for i, t in enumerate(tensors):
            batch[i, :, :, : t.shape[2]] = t
        probs = self._session.run(None, {self._input: batch})[0]  # (N, T, classes); class 0 is the CTC blank
        best = probs.argmax(axis=2)
        top = probs.max(axis=2)
        out = np.zeros(len(crops), np.float32)
        for i in range(len(crops)):
            steps = best[i] != 0
            out[i] = float(top[i][steps].mean()) if steps.any() else 0.0
        return out
