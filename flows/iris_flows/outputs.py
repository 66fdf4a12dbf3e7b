"""Where a batch writes: one JSON per document, written atomically, and error JSON in quarantine."""

import json
import os
import tempfile
from pathlib import Path
from typing import Any

SUPPORTED_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".pdf")


def find_documents(input_dir: Path, pattern: str) -> list[Path]:
    """Supported files under `input_dir` matching `pattern` (recursive with `**`), sorted for stable runs."""
    return sorted(p for p in input_dir.glob(pattern) if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


def output_path(root: Path, input_dir: Path, document: Path) -> Path:
    """`a/b.jpg` -> `<root>/a/b.jpg.json`: names stay unique and traceable to the input."""
    return root / document.relative_to(input_dir).with_name(document.name + ".json")


def write_json_atomically(path: Path, payload: dict[str, Any]) -> None:
    """Write to a temporary file in the same folder, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, ensure_ascii=False, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def existing_result(path: Path, sha256: str, pipeline_version: str) -> dict[str, Any] | None:
    """The earlier result for this exact content and pipeline version, if there is one."""
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if previous.get("content_sha256") == sha256 and previous.get("pipeline_version") == pipeline_version:
        return previous
    return None
