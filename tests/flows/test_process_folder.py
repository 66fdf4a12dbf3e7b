"""process_folder: outputs, quarantine, skip-on-rerun, the ledger and batched embedding, against the real services."""

import asyncio
import csv
import json
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.auth import api_headers
from tests.flows.conftest import write_document
from tests.service_processes import ServiceProcess

pytestmark = pytest.mark.slow


def _batch(inbox: Path, outbox: Path, **params: object):  # -> prefect State
    from iris_flows.folder_flow import process_folder

    return asyncio.run(process_folder(input_dir=str(inbox), output_dir=str(outbox), return_state=True, **params))


def _requests(service: ServiceProcess, endpoint: str) -> int:
    """How many requests `service` has served on `endpoint` (e.g. "POST /embed"), from its own /metrics."""
    return httpx.get(f"{service.url}/metrics", headers=api_headers()).json()["endpoints"].get(endpoint, {}).get("requests", 0)


def _results(outbox: Path) -> dict[str, dict]:
    return {str(p.relative_to(outbox)): json.loads(p.read_text()) for p in sorted(outbox.rglob("*.json")) if "_quarantine" not in p.parts}


def test_batch_writes_outputs_quarantines_failures_and_skips_finished_documents(
    fresh_client: None, services: dict[str, ServiceProcess], tmp_path: Path
) -> None:
    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    write_document(inbox, "a/receipt.png", "receipt", seed=21)
    write_document(inbox, "b/invoice.png", "invoice", seed=22)
    (inbox / "b" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (inbox / "notes.txt").write_text("not a document type IRIS reads")  # not a supported suffix: not found

    state = _batch(inbox, outbox, concurrency=2)
    assert state.is_completed(), state.message
    summary = state.result()
    assert summary["ledger"] == {"found": 3, "succeeded": 2, "failed": 1, "skipped": 0, "rejected": 0, "balanced": True}
    receipt = json.loads((outbox / "a" / "receipt.png.json").read_text())
    assert receipt["phases"]["extract"]["status"] == "completed"
    assert receipt["phases"]["embed"]["result"]["batch"]["size"] == 1  # first chunk: receipt + broken, which never reached /embed
    # the broken file failed phase 1 ahead of the batch, then in its own process_document run, which is what is recorded
    error = json.loads((outbox / "_quarantine" / "b" / "broken.jpg.error.json").read_text())
    assert error["phase"] == "preprocess" and error["code"] == "VAL001" and error["request_id"].startswith("iris-")
    assert not list(outbox.rglob("*.tmp"))  # nothing half-written
    assert summary["clusters"]["k"] >= 1 and sum(c["size"] for c in summary["clusters"]["clusters"]) == 2
    # the result JSON holds what a user reads; the page's vector is in a hidden side file beside it
    assert "embedding" not in receipt["phases"]["embed"]["result"]
    assert not {"structured_document", "routing"} & set(receipt["phases"]["extract"]["result"])
    assert receipt["final_extraction"]["fields"] and receipt["routing"]["chosen"] == receipt["document_type"]
    vector = np.load(outbox / "a" / ".receipt.png.embedding.npy")
    assert vector.dtype == np.float32 and vector.shape == (receipt["phases"]["embed"]["result"]["dimension"],)
    # the spreadsheet summary: one row per document found, the receipt's fields with their confidences
    with open(summary["fields_csv"], newline="", encoding="utf-8") as handle:
        rows = {Path(r["file"]).name: r for r in csv.DictReader(handle)}
    assert set(rows) == {"receipt.png", "invoice.png", "broken.jpg"}
    assert rows["broken.jpg"]["outcome"] == "failed" and rows["broken.jpg"]["error_code"] == "VAL001"
    name, field = next((n, f) for n, f in receipt["final_extraction"]["fields"].items() if f.get("value") is not None)
    assert rows["receipt.png"]["document_type"] == receipt["document_type"]
    assert rows["receipt.png"][name] == str(field["value"])
    assert float(rows["receipt.png"][f"{name}_confidence"]) == round(field["confidence"], 3)
    assert len(Path(summary["manifest"]).read_text().splitlines()) == 3

    clusterings = _requests(services["ml-embeddings"], "POST /cluster")
    again = _batch(inbox, outbox, concurrency=2).result()
    assert again["ledger"] == {"found": 3, "succeeded": 0, "failed": 1, "skipped": 2, "rejected": 0, "balanced": True}
    # skipped documents are clustered from their side files; the same vectors again are a cache hit, not a request
    assert again["clusters"] == summary["clusters"]
    assert _requests(services["ml-embeddings"], "POST /cluster") == clusterings


def test_full_results_keep_the_embedding_and_the_ocr_lines_of_every_page(fresh_client: None, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    write_document(inbox, "receipt.png", "receipt", seed=23)
    slim, full = tmp_path / "slim", tmp_path / "full"
    assert _batch(inbox, slim, concurrency=1).is_completed()
    assert _batch(inbox, full, concurrency=1, full_results=True).is_completed()
    small, large = json.loads((slim / "receipt.png.json").read_text()), json.loads((full / "receipt.png.json").read_text())
    assert len(large["phases"]["embed"]["result"]["embedding"]) == large["phases"]["embed"]["result"]["dimension"]
    lines = large["phases"]["ocr"]["result"]["pages_read"][0]["lines"]
    assert len(lines) == large["phases"]["ocr"]["result"]["lines"] > 0
    assert "pages_read" not in small["phases"]["ocr"]["result"]
    assert small["final_extraction"] == large["final_extraction"]
    assert (slim / "receipt.png.json").stat().st_size * 3 < (full / "receipt.png.json").stat().st_size


def test_batch_embeds_in_fewer_requests_than_documents_with_the_same_results(
    fresh_client: None, services: dict[str, ServiceProcess], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    for i, kind in enumerate(["receipt", "invoice", "form", "letter", "receipt"]):
        write_document(inbox, f"{i}-{kind}.png", kind, seed=40 + i)
    embeddings, processor = services["ml-embeddings"], services["image-processor"]
    monkeypatch.setenv("EMBED_BATCH_SIZE", "4")

    embed_before, process_before = _requests(embeddings, "POST /embed"), _requests(processor, "POST /process")
    batched = _batch(inbox, tmp_path / "batched", concurrency=2)
    assert batched.is_completed(), batched.message
    assert _requests(embeddings, "POST /embed") - embed_before == 2  # a first chunk of `concurrency` pages, then 3 (<= 4)
    # phase 1 once per document: the document's own is a cache hit of the look-ahead's
    assert _requests(processor, "POST /process") - process_before == 5

    embed_before = _requests(embeddings, "POST /embed")
    one_by_one = _batch(inbox, tmp_path / "one-by-one", concurrency=2, embed_batch_size=0)
    assert one_by_one.is_completed(), one_by_one.message
    assert _requests(embeddings, "POST /embed") - embed_before == 5

    assert batched.result()["ledger"] == one_by_one.result()["ledger"] == {
        "found": 5, "succeeded": 5, "failed": 0, "skipped": 0, "rejected": 0, "balanced": True}
    with_batch, without = _results(tmp_path / "batched"), _results(tmp_path / "one-by-one")
    assert list(with_batch) == list(without) and len(with_batch) == 5
    for name, result in with_batch.items():
        other = without[name]
        assert list(result["phases"]) == list(other["phases"]) == ["preprocess", "embed", "ocr", "classify", "extract"]
        assert result["phases"]["preprocess"]["status"] == "cached"
        embed = result["phases"]["embed"]
        assert embed["status"] == "completed" and embed["result"]["batch"]["size"] in (2, 3)
        assert embed["result"]["batch"]["request_id"].startswith("iris-batch-")
        assert "batch" not in other["phases"]["embed"]["result"]
        side = f".{Path(name).name.removesuffix('.json')}.embedding.npy"
        assert np.allclose(np.load(tmp_path / "batched" / side), np.load(tmp_path / "one-by-one" / side), atol=1e-5)
        assert {k: v for k, v in embed["result"].items() if k != "batch"} == other["phases"]["embed"]["result"]
        assert result["document_type"] == other["document_type"]
        assert result["final_extraction"] == other["final_extraction"]


def test_a_batch_the_service_rejects_falls_back_to_one_request_per_document(
    fresh_client: None, services: dict[str, ServiceProcess], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.flows.flaky_proxy import FlakyProxy

    inbox = tmp_path / "inbox"
    write_document(inbox, "receipt.png", "receipt", seed=51)
    write_document(inbox, "letter.png", "letter", seed=52)

    def several_files(path: str, body: bytes) -> bool:
        return path == "/embed" and body.count(b'name="files"') > 1

    with FlakyProxy(services["ml-embeddings"].url, reject=several_files) as proxy:
        monkeypatch.setenv("ML_EMBEDDINGS_URL", proxy.url)
        state = _batch(inbox, tmp_path / "outbox", concurrency=2)
    assert state.is_completed(), state.message
    assert state.result()["ledger"] == {"found": 2, "succeeded": 2, "failed": 0, "skipped": 0, "rejected": 0, "balanced": True}
    assert proxy.seen_posts == 1 + 2 + 1  # the refused batch (VAL001: not retried), one /embed per document, /cluster
    for result in _results(tmp_path / "outbox").values():
        assert result["phases"]["embed"]["status"] == "completed" and "batch" not in result["phases"]["embed"]["result"]


def test_the_clustering_of_a_large_batch_is_an_even_sample_of_it() -> None:
    from iris_flows.folder_flow import even_sample

    assert even_sample(list(range(10)), 20) == list(range(10))
    sample = even_sample(list(range(100_003)), 5000)
    assert len(sample) == 5000 and sample[0] == 0 and sample == sorted(set(sample)) and sample[-1] > 99_900


def test_a_success_removes_the_documents_older_quarantine_record(fresh_client: None, tmp_path: Path) -> None:
    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    write_document(inbox, "late.png", "receipt", seed=23)
    stale = outbox / "_quarantine" / "late.png.error.json"  # what last night's outage left
    stale.parent.mkdir(parents=True)
    stale.write_text(json.dumps({"file": str(inbox / "late.png"), "code": "SVC001", "phase": "ocr"}))
    summary = _batch(inbox, outbox, concurrency=1).result()
    assert summary["ledger"]["succeeded"] == 1 and not stale.exists()
    assert not list((outbox / "_batch" / "claims").glob("*"))
