"""`iris setup`: puts every model in place offline, in dependency order (the classifier needs the encoder)."""

import importlib
import logging
import time
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

# (step name, module whose `prepare(models_dir, force=...)` does the work)
PREPARE_STEPS = (
    ("embeddings", "iris_models.encoders.efficientnet_lite0"),
    ("ocr", "ocr_extractor.models.prepare"),  # the shared OCR weights (iris_models.ocr_weights), then the calibration
    ("classifier", "ml_classifier.models.prepare"),
)


def prepare_all(models_dir: Path, *, force: bool = False) -> dict[str, dict[str, Any]]:
    """Run every prepare step; each is idempotent, so a second `iris setup` is quick."""
    models_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    for step, module_name in PREPARE_STEPS:
        started = time.perf_counter()
        module = importlib.import_module(module_name)
        results[step] = module.prepare(models_dir, force=force)
        results[step]["seconds"] = round(time.perf_counter() - started, 1)
    return results
