"""Nothing of its own to prepare: the image-processor's one model file, the OCR recogniser it uses to tell which way
up a page is, is put in place by the `ocr` step of `iris setup` (`iris_models.ocr_weights`). Kept so every service
has a prepare module."""

from pathlib import Path
from typing import Any


def prepare(models_dir: Path, *, force: bool = False) -> dict[str, Any]:
    return {"service": "image-processor", "models": [], "detail": "no model files of its own (the orientation recogniser comes from the ocr step)"}
