"""Runtime of the image-processor: no model weights, only OpenCV, which load() proves works once at start-up."""

import logging
from typing import Any

import cv2
import numpy as np

from iris_common.contract.health import CheckResult

logger = logging.getLogger(__name__)


class ImageProcessorRuntime:
    """Sets OpenCV's thread count and runs a tiny warp + PNG round trip, so /health reflects a working OpenCV."""

    def __init__(self, cpu_threads: int) -> None:
        self.cpu_threads = cpu_threads
        self.ready = False
        self.error: str | None = None

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

    def checks(self) -> dict[str, CheckResult]:
        return {
            "opencv": CheckResult(
                ok=self.ready,
                detail=f"OpenCV {cv2.__version__}, {cv2.getNumThreads()} threads" if self.ready else (self.error or "not loaded"),
                info={"version": cv2.__version__, "threads": cv2.getNumThreads()},
            )
        }

    def describe(self) -> dict[str, Any]:
        return {
            "backend": "opencv",
            "version": cv2.__version__,
            "model_id": None,
            "weights": "none: classical image processing (projection-profile deskew, contour unwarping)",
            "cpu_threads": self.cpu_threads,
            "ready": self.ready,
            "models": [{"backend": "opencv", "model_id": "classical: projection-profile deskew, contour unwarping",
                        "version": cv2.__version__, "weights_source": "none (no learned weights)"}],
        }
