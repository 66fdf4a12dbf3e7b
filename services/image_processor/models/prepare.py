"""Nothing to download: the image-processor has no model files. Kept so `iris setup` treats every service alike."""

from pathlib import Path
from typing import Any


def prepare(models_dir: Path, *, force: bool = False) -> dict[str, Any]:
    return {"service": "image-processor", "models": [], "detail": "no model files needed (OpenCV only)"}
