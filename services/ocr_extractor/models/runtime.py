"""The ocr-extractor runtime: loads the selected OCR engine once, at start-up, and reports on it."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from iris_common.contract.extraction import OcrResult
from iris_common.contract.health import CheckResult
from iris_common.errors import OcrFailed, ServiceUnavailable

from ocr_extractor.core.calibration import Calibration
from ocr_extractor.core.document import EXTRACTION_REVISION
from ocr_extractor.core.layout import build_ocr_result
from ocr_extractor.models.calibrate import calibration_path, load_calibration, load_type_calibration, type_calibration_path
from ocr_extractor.models.engines import ENGINES, OcrEngine, build_engine
from ocr_extractor.settings import OcrExtractorSettings

logger = logging.getLogger(__name__)


class OcrRuntime:
    """Holds the OCR engine. `load` never raises: a missing model or library is recorded so /health says
    `unhealthy` with the reason, and requests get SVC001 instead of a crash."""

    def __init__(self, settings: OcrExtractorSettings) -> None:
        self.settings = settings
        self.engine: OcrEngine | None = None
        self.error: str | None = None
        self.load_seconds: float | None = None
        self.calibration: Calibration | None = None
        self.calibration_error: str | None = None
        self.type_calibration: Calibration | None = None
        self.type_calibration_error: str | None = None

    def load(self) -> None:
        if self.engine is not None:
            return
        started = time.perf_counter()
        try:
            self.calibration, self.calibration_error = load_calibration(self.settings.models_dir), None
        except (OSError, ValueError, KeyError) as exc:
            # fields still get OCR x evidence confidences; /health says degraded with the reason
            self.calibration, self.calibration_error = None, f"{type(exc).__name__}: {exc}"
            logger.warning("field-confidence calibration not loaded: %s", self.calibration_error)
        try:
            self.type_calibration, self.type_calibration_error = load_type_calibration(self.settings.models_dir), None
        except (OSError, ValueError, KeyError) as exc:
            # the type's confidence is then the classifier's probability of it; /health says degraded
            self.type_calibration, self.type_calibration_error = None, f"{type(exc).__name__}: {exc}"
            logger.warning("document-type calibration not loaded: %s", self.type_calibration_error)
        try:
            pool = build_engine(self.settings)
            pool.warm_up()
            self.engine = pool
            self.error = None
        except Exception as exc:  # noqa: BLE001 - any failure must become a health report, not a crash
            self.engine = None
            self.error = f"{type(exc).__name__}: {exc}"
            logger.error("OCR engine %r failed to load: %s", self.settings.ocr_engine, self.error)
        self.load_seconds = round(time.perf_counter() - started, 3)

    def checks(self) -> dict[str, CheckResult]:
        return {
            "ocr_engine": CheckResult(
                ok=self.engine is not None,
                detail=f"{self.settings.ocr_engine} loaded" if self.engine is not None else (self.error or "not loaded yet"),
                info={"engine": self.settings.ocr_engine, "load_seconds": self.load_seconds},
            ),
            "confidence_calibration": CheckResult(
                ok=self.calibration is not None,
                critical=False,
                detail=(f"version {self.calibration.version}" if self.calibration is not None
                        else (self.calibration_error or "not loaded yet") + "; confidences are uncalibrated"),
                info={"path": str(calibration_path(self.settings.models_dir))},
            ),
            "type_confidence_calibration": CheckResult(
                ok=self.type_calibration is not None,
                critical=False,
                detail=(f"version {self.type_calibration.version}" if self.type_calibration is not None
                        else (self.type_calibration_error or "not loaded yet") + "; document-type confidence is the classifier's"),
                info={"path": str(type_calibration_path(self.settings.models_dir))},
            ),
        }

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {
            "engine": self.settings.ocr_engine,
            "loaded": self.engine is not None,
            "error": self.error,
            "available_engines": sorted(ENGINES),
        }
        if self.engine is not None:
            info.update(self.engine.describe())
            info["engine"] = self.settings.ocr_engine
        info["models"] = [
            *info.get("models", []),
            _calibration_model("field_confidence_calibration", "field-confidence", self.calibration,
                               calibration_path(self.settings.models_dir)),
            _calibration_model("type_confidence_calibration", "document-type-confidence", self.type_calibration,
                               type_calibration_path(self.settings.models_dir)),
            # the extraction rules: part of the flow's cache key, so a new revision re-extracts instead of a stale hit
            {"role": "field_extraction", "backend": "iris-rules", "model_id": "field-extraction",
             "version": f"rules{EXTRACTION_REVISION}", "weights_source": "none (rules in ocr_extractor.core)"},
        ]
        return info

    def recognize(self, pages: list[np.ndarray]) -> OcrResult:
        """OCR every page; SVC001 when the engine is not loaded, OCR001 when it fails on this input."""
        if self.engine is None:
            raise ServiceUnavailable(f"OCR engine {self.settings.ocr_engine!r} is not loaded: {self.error or 'not loaded yet'}")
        try:
            raw = [self.engine.recognize(page) for page in pages]
        except Exception as exc:  # noqa: BLE001 - translated into the contract's error at this boundary
            logger.exception("OCR failed")
            raise OcrFailed(f"OCR failed: {type(exc).__name__}: {exc}") from exc
        return build_ocr_result("paddleocr" if self.engine.name == "paddle" else self.engine.name, raw)


def _calibration_model(role: str, model_id: str, cal: Calibration | None, path: Path) -> dict[str, Any]:
    """One calibration map as `/models` lists it."""
    return {
        "role": role,
        "backend": "iris-logistic",
        "model_id": model_id,
        "version": cal.version if cal is not None else "uncalibrated",
        "weights_source": str(path) if cal is not None else None,
        "fitted_on": cal.fitted_on if cal is not None else None,
        "metrics": cal.metrics if cal is not None else None,
    }
