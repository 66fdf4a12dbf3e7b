"""`iris setup`'s OCR step: the PP-OCRv6 weights (prepared by the shared `iris_models.ocr_weights`, which the
image-processor reads too) and then the ocr-extractor's own field-confidence calibration.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from iris_models.ocr_weights import DET, REC_PRECISIONS, prepare_ocr_models
from ocr_extractor.core.calibration import Calibration

logger = logging.getLogger(__name__)


def prepare(models_dir: Path, *, force: bool = False, calibrate_confidence: bool = True,
            calibration_seeds: int = 3, calibration_samples: Path | None = None) -> dict[str, Any]:
    """Build `models_dir/ocr/<model>/{inference.onnx, inference.yml}` from the rapidocr wheel, then (unless
    present) fit the field-confidence calibration on generated documents; return the provenance.

    Files are written to a temporary name and renamed, so a concurrent reader never sees half a model.
    """
    result = prepare_ocr_models(models_dir, force=force)
    if calibrate_confidence:
        # refitted when the weights the configured engine reads changed (not when another precision's folder did)
        from ocr_extractor.settings import OcrExtractorSettings

        precision = OcrExtractorSettings(IRIS_MODELS_DIR=models_dir).rec_precision
        read = {DET.folder, REC_PRECISIONS[precision].folder}
        result["calibration"] = prepare_calibration(models_dir, force=force or bool(read & set(result["changed_folders"])),
                                                    seeds=calibration_seeds, samples_dir=calibration_samples)
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
