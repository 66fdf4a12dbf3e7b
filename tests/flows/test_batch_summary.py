"""The batch's manifest, fields.csv and digest, from settled records (no services: the records are what
`process_folder` settles)."""

import csv
from pathlib import Path

import pytest

from iris_flows.batch_summary import FIELDS_CSV, Manifest, digest_markdown, write_fields_csv


def _succeeded(name: str, kind: str, fields: dict, seconds: float, type_review: bool = False) -> tuple[str, dict]:
    result = {"document_type": kind, "document_type_needs_review": type_review, "page_count": 1, "total_processing_time": seconds,
              "final_extraction": {"fields": {n: {"value": v, "confidence": c, "needs_review": c < 0.5} for n, (v, c) in fields.items()}}}
    return "succeeded", {"file": f"/in/{name}", "output": f"/out/{name}.json", "result": result}


def _failed(name: str, phase: str, code: str) -> tuple[str, dict]:
    return "failed", {"file": f"/in/{name}", "error": {"phase": phase, "code": code, "message": f"{code} in {phase}", "request_id": "iris-x"}}


def _write(tmp_path: Path, records: list[tuple[str, dict]]) -> Manifest:
    with Manifest(tmp_path) as manifest:
        for outcome, record in records:
            manifest.add(outcome, record)
    return manifest


def test_fields_csv_has_one_row_per_document_and_the_union_of_the_fields(tmp_path: Path) -> None:
    manifest = _write(tmp_path, [
        _succeeded("r.png", "receipt", {"total": ("12,50", 0.91), "date": ("2026-12-01", 0.4)}, 2.0),
        _succeeded("i.pdf", "invoice", {"invoice_number": ("F-7", 0.8)}, 5.0, type_review=True),
        _failed("bad.jpg", "preprocess", "VAL001"),
        ("skipped", _succeeded("old.png", "receipt", {"total": ("3", 0.99)}, 1.0)[1]),
    ])
    assert manifest.path.is_file() and not manifest.partial.exists()
    with open(write_fields_csv(manifest.path, tmp_path / FIELDS_CSV), newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = {Path(r["file"]).name: r for r in reader}
        assert reader.fieldnames is not None and {"date", "date_confidence", "invoice_number", "total"} <= set(reader.fieldnames)
    assert list(rows) == ["r.png", "i.pdf", "bad.jpg", "old.png"]
    assert rows["r.png"]["total"] == "12,50" and rows["r.png"]["total_confidence"] == "0.91"
    assert rows["r.png"]["needs_review"] == "yes" and rows["r.png"]["review_fields"] == "date"  # its confidence is under 0.5
    assert rows["old.png"]["needs_review"] == "no" and rows["old.png"]["review_fields"] == ""
    assert rows["r.png"]["invoice_number"] == "" and rows["i.pdf"]["type_needs_review"] == "yes"
    assert rows["bad.jpg"]["outcome"] == "failed" and rows["bad.jpg"]["error_code"] == "VAL001"
    assert rows["old.png"]["outcome"] == "skipped" and rows["old.png"]["total"] == "3"
    assert not list(tmp_path.rglob("*.tmp"))


def test_digest_counts_types_failures_and_names_the_slowest(tmp_path: Path) -> None:
    records = [_succeeded(f"r{i}.png", "receipt", {"total": ("1", 0.9)}, float(i)) for i in range(12)]
    records += [_failed("a.jpg", "ocr", "SVC001"), _failed("b.jpg", "ocr", "SVC001"), _failed("c.jpg", "preprocess", "VAL001")]
    text = digest_markdown(_write(tmp_path, records).path)
    assert "15 documents: 3 failed, 12 succeeded" in text
    assert "| receipt | 12 | 0 |" in text and "| ocr | SVC001 | 2 |" in text and "| preprocess | VAL001 | 1 |" in text
    slow = [line for line in text.splitlines() if line.startswith("| r") and ".png" in line]
    assert slow[0] == "| r11.png | receipt | 11.00 |" and len(slow) == 10 and "| r1.png " not in text


def test_a_batch_that_did_not_finish_leaves_only_a_partial_manifest(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        with Manifest(tmp_path) as manifest:
            manifest.add(*_failed("a.jpg", "ocr", "SVC001"))
            raise RuntimeError("the batch stopped")
    assert manifest.partial.is_file() and not manifest.path.exists()
