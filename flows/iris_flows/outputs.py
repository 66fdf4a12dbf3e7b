"""Where a batch writes: one JSON per document, written atomically, its page vector beside it, and error JSON in
quarantine."""

import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from iris_flows.results import embedding_of, for_output

SUPPORTED_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp", ".pdf")


@dataclass(frozen=True)
class FoundDocuments:
    """What a batch found: the documents it reads, and the files it refuses to read with the reason for each."""

    documents: list[Path]
    rejected: list[tuple[Path, str]]


def find_documents(input_dir: Path, pattern: str, follow_symlinks: bool = False) -> FoundDocuments:
    """Supported files under `input_dir` matching `pattern` (recursive with `**`), sorted for stable runs.

    Only regular files are read, and (unless `follow_symlinks`) only where their resolved path is inside the
    resolved input folder: a link `inbox/passwd.jpg -> /etc/passwd`, a dangling link, a FIFO or a device under a
    document's name is rejected, with its reason, never opened."""
    root = input_dir.resolve()
    documents, rejected = [], []
    for path in sorted(p for p in input_dir.glob(pattern) if p.suffix.lower() in SUPPORTED_SUFFIXES):
        try:
            target, mode = path.resolve(), path.stat().st_mode
        except OSError as exc:
            rejected.append((path, f"cannot be read: {exc.strerror or type(exc).__name__}"))
            continue
        if stat.S_ISDIR(mode):
            continue
        if not stat.S_ISREG(mode):
            rejected.append((path, "not a regular file"))
        elif not follow_symlinks and not target.is_relative_to(root):
            rejected.append((path, f"links outside the input folder (to {target}); IRIS_FOLLOW_SYMLINKS=true reads it"))
        else:
            documents.append(path)
    return FoundDocuments(documents, rejected)


def output_path(root: Path, input_dir: Path, document: Path) -> Path:
    """`a/b.jpg` -> `<root>/a/b.jpg.json`: names stay unique and traceable to the input."""
    return root / document.relative_to(input_dir).with_name(document.name + ".json")


def quarantine_path(quarantine_dir: Path, input_dir: Path, document: Path) -> Path:
    """`a/b.jpg` -> `<quarantine>/a/b.jpg.error.json`: where a document that failed has its error record."""
    return output_path(quarantine_dir, input_dir, document).with_suffix(".error.json")


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


def embedding_path(result_path: Path) -> Path:
    """`out/a/b.jpg.json` -> `out/a/.b.jpg.embedding.npy`: hidden beside its result, float32, for the batch's
    clustering (also of documents a later run skips) without 31 KB of numbers in every result JSON."""
    return result_path.with_name(f".{result_path.name.removesuffix('.json')}.embedding.npy")


def write_embedding(result_path: Path, vector: list[float] | np.ndarray) -> None:
    """The page's vector, float32, in its hidden side file beside `result_path` (written atomically)."""
    side = embedding_path(result_path)
    side.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{side.name}.", suffix=".tmp", dir=side.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, np.asarray(vector, dtype=np.float32))
        os.replace(tmp, side)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_result(path: Path, result: dict[str, Any], full: bool = False) -> dict[str, Any]:
    """The result JSON as a user reads it (`results.for_output`), and the page's vector in its side file first, so
    a result on disk always has its vector (a crash between the two leaves a vector without a result: redone).
    Returns what was written."""
    vector = embedding_of(result)
    if vector is not None:
        write_embedding(path, vector)
    written = for_output(result, full)
    write_json_atomically(path, written)
    return written


def stored_embedding(result_path: Path) -> np.ndarray | None:
    """The float32 vector written beside a result, or None when there is none (a result written before side files)."""
    try:
        return np.load(embedding_path(result_path))
    except (OSError, ValueError):
        return None


def existing_result(path: Path, sha256: str, pipeline_version: str) -> dict[str, Any] | None:
    """The earlier result for this exact content and pipeline version, if there is one."""
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if previous.get("content_sha256") == sha256 and previous.get("pipeline_version") == pipeline_version:
        return previous
    return None
