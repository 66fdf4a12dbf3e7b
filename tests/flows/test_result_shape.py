"""What a result JSON holds (`results.for_output`) and what a skipped result leaves beside it: no services."""

import copy
from pathlib import Path

import pytest

from iris_flows.results import embedding_of, for_output


def _result() -> dict:
    return {
        "document_type": "receipt",
        "routing": {"chosen": "receipt"},
        "final_extraction": {"fields": {"total": {"value": "9.99"}}},
        "phases": {
            "embed": {"status": "completed", "result": {"dimension": 3, "embedding": [0.1, 0.2, 0.3]}},
            "ocr": {"status": "completed", "result": {"lines": 1, "pages_read": [{"lines": [{"text": "TOTAL 9.99"}]}]}},
            "extract": {"status": "completed", "result": {"structured_document": {"fields": {}}, "routing": {}, "timings": {"rules": 0.01}}},
        },
    }


def test_the_slim_result_leaves_out_the_vector_the_ocr_lines_and_the_extract_copies_without_changing_its_input() -> None:
    result = _result()
    before = copy.deepcopy(result)
    slim = for_output(result)
    assert slim["phases"]["embed"]["result"] == {"dimension": 3}
    assert slim["phases"]["ocr"]["result"] == {"lines": 1}
    assert slim["phases"]["extract"]["result"] == {"timings": {"rules": 0.01}}
    assert slim["final_extraction"] == result["final_extraction"] and slim["routing"] == result["routing"]
    assert result == before
    assert embedding_of(result) == [0.1, 0.2, 0.3] and embedding_of(slim) is None


def test_the_full_result_keeps_the_vector_and_the_ocr_lines() -> None:
    full = for_output(_result(), full=True)
    assert full["phases"]["embed"]["result"]["embedding"] == [0.1, 0.2, 0.3]
    assert full["phases"]["ocr"]["result"]["pages_read"][0]["lines"][0]["text"] == "TOTAL 9.99"
    assert "structured_document" not in full["phases"]["extract"]["result"]


def test_a_skipped_result_with_its_vector_inside_gets_the_side_file_the_clustering_reads(tmp_path: Path) -> None:
    import hashlib
    import json

    from iris_flows.chunk_flow import Settled, pending_or_skipped
    from iris_flows.outputs import stored_embedding
    from iris_flows.results import PIPELINE_VERSION

    inbox, outbox = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    scan = inbox / "old.png"
    scan.write_bytes(b"a scan written before side files")
    previous = {"content_sha256": hashlib.sha256(scan.read_bytes()).hexdigest(), "pipeline_version": PIPELINE_VERSION,
                "phases": {"embed": {"status": "completed", "processing_time": 0.1, "result": {"embedding": [0.6, 0.8]}}}}
    (outbox / "old.png.json").parent.mkdir(parents=True)
    (outbox / "old.png.json").write_text(json.dumps(previous))
    settled = pending_or_skipped(scan, inbox, outbox)
    assert isinstance(settled, Settled) and settled.outcome == "skipped"
    assert "embedding" not in settled.record["result"]["phases"]["embed"]["result"]
    vector = stored_embedding(outbox / "old.png.json")
    assert vector is not None and vector.dtype == "float32" and vector.tolist() == pytest.approx([0.6, 0.8])
