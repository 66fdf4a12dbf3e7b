"""Runtime of the image-processor: OpenCV (proved working once at start-up) and the text-line recogniser that
decides page orientation (loaded once, from the models `iris setup` prepared)."""

import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from iris_common.contract.health import CheckResult
from iris_common.threads import ComputeSlots, compute_slots

from image_processor.core.orientation import ReadConfidence
from image_processor.core.pipeline import PIPELINE_REVISION
from image_processor.models.line_reader import LineRecognizer, rec_model_path

logger = logging.getLogger(__name__)


class ImageProcessorRuntime:
    """Sets OpenCV's thread count, runs a tiny warp + PNG round trip, and loads the orientation recogniser.

    Without the recogniser the service still processes pages (orientation is skipped and said so in the notes),
    but /health reports "degraded" with the reason when orientation is switched on, so a deployment cannot miss it.
    """

    def __init__(self, cpu_threads: int, models_dir: Path | None = None, auto_orient: bool = True,
                 mem_arena: bool = False) -> None:
        self.cpu_threads = cpu_threads
        self.mem_arena = mem_arena
        # pages processed at once: the thread budget's slots (iris_common.threads); further requests wait
        self.slots = ComputeSlots(compute_slots(cpu_threads))
        self.models_dir = models_dir
        self.auto_orient = auto_orient
        self.ready = False
        self.error: str | None = None
        self.reader: LineRecognizer | None = None
        self.reader_error: str | None = None

    def load(self) -> None:
        try:
            cv2.setNumThreads(self.cpu_threads)
            probe = np.zeros((32, 32, 3), np.uint8)
            cv2.putText(probe, "ok", (2, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
            warped = cv2.warpAffine(probe, cv2.getRotationMatrix2D((16, 16), 5, 1.0), (32, 32))
            ok, buf = cv2.imencode(".png", warped)
            if not ok or cv2.imdecode(buf, cv2.IMREAD_COLOR).shape != probe.shape:
                raise RuntimeError("PNG round trip failed")
            self.ready, self.error = True, None
        except Exception as exc:  # recorded for /health instead of crashing the process
            self.ready, self.error = False, f"{type(exc).__name__}: {exc}"
            logger.error("OpenCV self-test failed: %s", self.error)
        if self.auto_orient and self.models_dir is not None:
            path = rec_model_path(self.models_dir)
            try:
                if not path.is_file():
                    raise FileNotFoundError(f"{path} is missing: run `iris setup`")
                self.reader, self.reader_error = LineRecognizer(path, self.cpu_threads, self.mem_arena), None
            except Exception as exc:
                self.reader, self.reader_error = None, f"{type(exc).__name__}: {exc}"
                logger.error("orientation recogniser not loaded: %s", self.reader_error)

    @property
    def read_lines(self) -> ReadConfidence | None:
        return self.reader.confidences if self.reader is not None else None

    def checks(self) -> dict[str, CheckResult]:
        checks = {
            "opencv": CheckResult(
                ok=self.ready,
                detail=f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads" if self.ready else (self.error or "not loaded"),
                info={"version": cv2.__version__, "threads": cv2.getNumThreads()},
            )
        }
        if self.auto_orient:
            checks["orientation_model"] = CheckResult(
                ok=self.reader is not None,
                critical=False,
                detail=str(self.reader.path) if self.reader is not None else (self.reader_error or "not loaded"),
            )
        return checks

    def describe(self) -> dict[str, Any]:
        models: list[dict[str, Any]] = [
            {"backend": "opencv", "model_id": "classical: projection-profile deskew, contour unwarping, narrow-content crop",
             "version": f"{cv2.__version__}+pipeline{PIPELINE_REVISION}", "weights_source": "none (no learned weights)"}
        ]
        if self.reader is not None:
            import onnxruntime

            models.append({"backend": "onnxruntime", "model_id": "PP-OCRv6_small_rec (page orientation: reads a few lines both ways)",
                           "version": onnxruntime.__version__, "weights_source": str(self.reader.path)})
        return {
            "backend": "opencv",
            "version": cv2.__version__,
            "model_id": None,
            "weights": "classical image processing; orientation reads text lines with the OCR recogniser",
            "cpu_threads": self.cpu_threads,
            "auto_orient": self.auto_orient,
            "ready": self.ready,
            "models": models,
        }
