"""process_folder: outputs, quarantine, skip-on-rerun and the ledger, against the real services."""

import asyncio
import json
from pathlib import Path

import pytest

from tests.flows.conftest import write_document

pytestmark = pytest.mark.slow


def _batch(inbox: Path, outbox: Path, **params: object):  # -> prefect State
    from iris_flows.folder_flow import process_folder

    return asyncio.run(process_folder(input_dir=str(inbox), output_dir=str(outbox), return_state=True, **params))


def test_batch_writes_outputs_quarantines_failures_and_skips_finished_documents(fresh_client: None, tmp_path: Path) -> None:
    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    write_document(inbox, "a/receipt.png", "receipt", seed=21)
    write_document(inbox, "b/invoice.png", "invoice", seed=22)
    (inbox / "b" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (inbox / "notes.txt").write_text("not a document type IRIS reads")  # not a supported suffix: not found

    state = _batch(inbox, outbox, concurrency=2)
    assert state.is_completed(), state.message
    summary = state.result()
    assert summary["ledger"] == {"found": 3, "succeeded": 2, "failed": 1, "skipped": 0, "balanced": True}
    receipt = json.loads((outbox / "a" / "receipt.png.json").read_text())
    assert receipt["phases"]["extract"]["status"] == "completed"
    error = json.loads((outbox / "_quarantine" / "b" / "broken.jpg.error.json").read_text())
    assert error["phase"] == "preprocess" and error["code"] == "VAL001" and error["request_id"].startswith("iris-")
    assert not list(outbox.rglob("*.tmp"))  # nothing half-written
    assert summary["clusters"]["k"] >= 1 and sum(c["size"] for c in summary["clusters"]["clusters"]) == 2

    again = _batch(inbox, outbox, concurrency=2).result()
    assert again["ledger"] == {"found": 3, "succeeded": 0, "failed": 1, "skipped": 2, "balanced": True}
