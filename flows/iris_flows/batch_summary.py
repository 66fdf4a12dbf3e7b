"""A batch's summary for people: `<out>/_batch/manifest.jsonl` (one line per document found, written as each
document settles), `<out>/_batch/fields.csv` (one row per document, for a spreadsheet) and a markdown digest for
the Prefect UI (counts per type, failures by phase and code, the slowest documents).

Both files are built from the stream of settled documents, not from results held in memory: the manifest is
appended line by line, and the CSV and the digest are read back from it at the end (two passes: the field columns
are the union of every document's fields). Until the batch ends the manifest is `manifest.jsonl.partial`; the
CSV is written to a temporary name and renamed, so neither is ever read half-written.
"""

import csv
import heapq
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

SUMMARY_DIR = "_batch"
MANIFEST = "manifest.jsonl"
FIELDS_CSV = "fields.csv"
SLOWEST = 10


def manifest_row(outcome: str, record: dict[str, Any]) -> dict[str, Any]:
    """What one settled document contributes: its outcome, type and fields, or where it failed."""
    row: dict[str, Any] = {"file": record["file"], "outcome": outcome, "output": record.get("output")}
    if outcome in ("failed", "rejected"):
        error = record.get("error") or {}
        return row | {"phase": error.get("phase"), "code": error.get("code"), "message": error.get("message"),
                      "request_id": error.get("request_id")}
    result = record.get("result") or {}
    fields = {}
    for name, field in ((result.get("final_extraction") or {}).get("fields") or {}).items():
        if isinstance(field, dict):
            fields[name] = {"value": field.get("value"), "confidence": field.get("confidence"),
                            "needs_review": bool(field.get("needs_review", False))}
    type_review = bool(result.get("document_type_needs_review"))
    classify = ((result.get("phases") or {}).get("classify") or {}).get("result") or {}
    return row | {"document_type": result.get("document_type"), "type_needs_review": type_review,
                  "classify_confidence": classify.get("confidence"),
                  "needs_review": type_review or any(f["needs_review"] for f in fields.values()),
                  "pages": result.get("page_count"), "seconds": result.get("total_processing_time"), "fields": fields}


class Manifest:
    """The batch's JSON Lines manifest, appended as documents settle; `close()` publishes it under its name."""

    def __init__(self, output_dir: Path) -> None:
        self.dir = output_dir / SUMMARY_DIR
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / MANIFEST
        self.partial = self.dir / (MANIFEST + ".partial")
        self._handle: TextIO = self.partial.open("w", encoding="utf-8")

    def add(self, outcome: str, record: dict[str, Any]) -> None:
        self._handle.write(json.dumps(manifest_row(outcome, record), ensure_ascii=False, default=str) + "\n")
        self._handle.flush()

    def close(self) -> Path:
        if not self._handle.closed:
            self._handle.close()
            os.replace(self.partial, self.path)
        return self.path

    def __enter__(self) -> "Manifest":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:  # a batch that did not finish leaves its partial manifest, named as such
            self._handle.close()


def read_manifest(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def write_fields_csv(manifest: Path, target: Path) -> Path:
    """One row per document: file, outcome, type, review flags (and which fields to check) and seconds, each field's
    value and confidence (columns: the union of the batch's fields, sorted), and for a failed document its phase,
    code and message."""
    names = sorted({name for row in read_manifest(manifest) for name in row.get("fields") or {}})
    header = ["file", "outcome", "document_type", "type_needs_review", "needs_review", "review_fields", "pages", "seconds"]
    header += [column for name in names for column in (name, f"{name}_confidence")]
    header += ["error_phase", "error_code", "error_message"]
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in read_manifest(manifest):
                fields = row.get("fields") or {}
                review = " ".join(name for name in sorted(fields) if (fields[name] or {}).get("needs_review"))
                values = [row["file"], row["outcome"], row.get("document_type") or "", _flag(row.get("type_needs_review")),
                          _flag(row.get("needs_review")), review, row.get("pages") or "", row.get("seconds") or ""]
                for name in names:
                    field = fields.get(name) or {}
                    confidence = field.get("confidence")
                    values += ["" if field.get("value") is None else field["value"],
                               "" if confidence is None else round(float(confidence), 3)]
                values += [row.get("phase") or "", row.get("code") or "", row.get("message") or ""]
                writer.writerow(values)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _flag(value: Any) -> str:
    return "" if value is None else ("yes" if value else "no")


def digest_markdown(manifest: Path) -> str:
    """Counts per outcome and type, failures by phase and code, the slowest documents: the batch's UI artifact."""
    outcomes: Counter[str] = Counter()
    types: Counter[str] = Counter()
    review: Counter[str] = Counter()
    failures: Counter[tuple[str, str]] = Counter()
    slowest: list[tuple[float, str, str]] = []
    for row in read_manifest(manifest):
        outcomes[row["outcome"]] += 1
        if row["outcome"] in ("failed", "rejected"):
            failures[(str(row.get("phase") or "-"), str(row.get("code") or "-"))] += 1
            continue
        kind = str(row.get("document_type"))
        types[kind] += 1
        review[kind] += bool(row.get("needs_review"))
        if row["outcome"] == "succeeded" and row.get("seconds") is not None:
            item = (float(row["seconds"]), Path(row["file"]).name, kind)
            (heapq.heappush if len(slowest) < SLOWEST else heapq.heappushpop)(slowest, item)
    lines = [f"### batch: {sum(outcomes.values())} documents: " + ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items())), "",
             "| document type | documents | needing review |", "|---|---|---|"]
    lines += [f"| {kind} | {n} | {review[kind]} |" for kind, n in types.most_common()]
    if failures:
        lines += ["", "| failed in phase | code | documents |", "|---|---|---|"]
        lines += [f"| {phase} | {code} | {n} |" for (phase, code), n in failures.most_common()]
    if slowest:
        lines += ["", "| slowest documents | type | seconds |", "|---|---|---|"]
        lines += [f"| {name} | {kind} | {seconds:.2f} |" for seconds, name, kind in sorted(slowest, reverse=True)]
    return "\n".join(lines)
