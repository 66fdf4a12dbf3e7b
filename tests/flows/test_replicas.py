"""Two real ocr-extractor replicas behind the client (OCR_EXTRACTOR_URL="url1,url2"): a batch spreads its OCR calls
over both, and one replica killed mid-batch loses no document (its calls fail SVC001, the tasks' retries go to the
other replica). The session's services serve everything else; only the second ocr-extractor is started here."""

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.auth import api_headers
from tests.flows.conftest import write_document
from tests.service_processes import ServiceProcess, free_port

pytestmark = pytest.mark.slow

DOCUMENTS = 12
KINDS = ("receipt", "invoice", "form", "letter")
KILL_AFTER = 3  # documents settled before the second replica is killed


@pytest.fixture
def second_ocr(services: dict[str, ServiceProcess], flow_home: Path) -> Iterator[ServiceProcess]:
    """A second ocr-extractor, started like the session's (same models, home and thread budget)."""
    first = services["ocr-extractor"]
    replica = ServiceProcess("ocr-extractor", free_port(), flow_home / "logs" / f"ocr-extractor-replica-{time.time_ns()}.log",
                             {**first.env, "OCR_WORKERS": "1"})
    with replica.running(timeout=120):
        yield replica


@pytest.fixture
def two_replicas(fresh_client: None, services: dict[str, ServiceProcess], second_ocr: ServiceProcess,
                 monkeypatch: pytest.MonkeyPatch) -> list[ServiceProcess]:
    replicas = [services["ocr-extractor"], second_ocr]
    monkeypatch.setenv("OCR_EXTRACTOR_URL", ",".join(r.url for r in replicas))
    return replicas


def _inbox(folder: Path, first_seed: int) -> Path:
    """Documents no other test generates (their own seeds), so no phase of theirs is a cache hit."""
    for i in range(DOCUMENTS):
        write_document(folder, f"{i:02d}-{KINDS[i % len(KINDS)]}.png", KINDS[i % len(KINDS)], seed=first_seed + i)
    return folder


def _batch(inbox: Path, outbox: Path):  # -> prefect State
    from iris_flows.folder_flow import process_folder

    return asyncio.run(process_folder(input_dir=str(inbox), output_dir=str(outbox), concurrency=4, return_state=True))


def _ocr_requests(replica: ServiceProcess) -> int:
    """POST /ocr requests `replica` has served, from its own /metrics."""
    return httpx.get(f"{replica.url}/metrics", headers=api_headers(), timeout=5).json()["endpoints"].get("POST /ocr", {}).get("requests", 0)


def _replica_calls() -> dict[str, dict]:
    from iris_common.client import IrisClient

    return IrisClient.shared().snapshot()["ocr-extractor"]["replicas"]


def test_a_batch_spreads_its_ocr_calls_over_both_replicas(two_replicas: list[ServiceProcess], tmp_path: Path) -> None:
    before = [_ocr_requests(r) for r in two_replicas]
    state = _batch(_inbox(tmp_path / "inbox", first_seed=600), tmp_path / "outbox")
    assert state.is_completed(), state.message
    assert state.result()["ledger"] == {"found": DOCUMENTS, "succeeded": DOCUMENTS, "failed": 0, "skipped": 0, "rejected": 0, "balanced": True}
    served = [_ocr_requests(r) - b for r, b in zip(two_replicas, before, strict=True)]
    assert all(n >= 2 for n in served), served  # both replicas read pages
    assert sum(served) == DOCUMENTS  # one page each, one attempt each: nothing failed, nothing read twice
    calls = _replica_calls()
    assert set(calls) == {r.url for r in two_replicas}
    assert all(c["calls"] > 0 and c["failures"] == 0 and c["in_flight"] == 0 for c in calls.values()), calls


def test_killing_one_replica_mid_batch_loses_no_document(two_replicas: list[ServiceProcess], tmp_path: Path) -> None:
    from iris_flows import folder_flow

    survivor, victim = two_replicas
    killed_at: list[int] = []

    def kill_after_a_few(done: int, total: int, file: str, outcome: str) -> None:
        if done >= KILL_AFTER and not killed_at and victim.proc is not None:
            victim.proc.kill()  # SIGKILL: no graceful shutdown, calls in flight are cut off
            killed_at.append(done)

    folder_flow.add_progress_listener(kill_after_a_few)
    try:
        state = _batch(_inbox(tmp_path / "inbox", first_seed=700), tmp_path / "outbox")
    finally:
        folder_flow._listeners.remove(kill_after_a_few)
    assert killed_at == [KILL_AFTER] and victim.proc is not None and victim.proc.poll() is not None
    assert state.is_completed(), state.message
    summary = state.result()
    assert summary["ledger"] == {"found": DOCUMENTS, "succeeded": DOCUMENTS, "failed": 0, "skipped": 0, "rejected": 0, "balanced": True}
    assert summary["failures"] == [] and not list((tmp_path / "outbox").rglob("*.error.json"))
    calls = _replica_calls()
    assert calls[victim.url]["failures"] >= 1, calls  # the dead replica was asked and failed: retries went elsewhere
    assert calls[survivor.url]["failures"] == 0 and calls[survivor.url]["calls"] > calls[victim.url]["calls"], calls
