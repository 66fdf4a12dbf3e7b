"""The nightly batch fanned out to a work pool: two real process workers share one batch's flow runs, one of them
dies (kill -9 of the worker and its flow-run processes, as when its machine goes away) and the batch still ends
with every document done exactly once."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from iris_cli.prefect_env import HEARTBEAT_SECONDS
from tests.flows.conftest import write_document
from tests.service_processes import ServiceProcess

pytestmark = pytest.mark.slow

DOCUMENTS = 20
KINDS = ("receipt", "invoice", "form")


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (read from /proc: the flow runs a worker started, in their own sessions too)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def _kill_tree(pid: int) -> None:
    for victim in [pid, *_descendants(pid)]:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_two_workers_share_a_batch_and_a_killed_worker_loses_no_document(
    fresh_client: None, services: dict[str, ServiceProcess], flow_home: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterTags
    from prefect.settings import PREFECT_API_URL

    from iris_flows.folder_flow import process_folder

    pool = f"iris-fanout-{uuid.uuid4().hex[:8]}"  # no other test's worker can take these runs
    limit = f"iris-document-runs-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "IRIS_HOME": str(flow_home),
           "IRIS_DOCUMENT_RUNS_LIMIT": limit, "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "1",
           "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": HEARTBEAT_SECONDS, "IRIS_ZOMBIE_AFTER_SECONDS": "45"}  # 90 s in production
    deployed = subprocess.run([sys.executable, "-m", "iris_cli.main", "deploy", "--pool", pool, "--document-runs", "2"],
                              env=env, capture_output=True, text=True, timeout=240)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    monkeypatch.setenv("IRIS_DOCUMENT_RUNS_LIMIT", limit)
    monkeypatch.setenv("IRIS_RUN_TIMEOUT_SECONDS", "600")  # a run nobody finishes fails the test in 10 min, not 60

    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    for i in range(DOCUMENTS):
        write_document(inbox, f"doc-{i:02d}.png", kind=KINDS[i % 3], seed=500 + i)

    logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]
    workers = [subprocess.Popen([sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", "process",
                                 "--name", f"worker-{n}"], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
               for n, log in zip((1, 2), logs, strict=True)]
    victim, killed, stop = workers[0], threading.Event(), threading.Event()

    def kill_the_first_worker_mid_document() -> None:
        """Kill the victim (and its flow-run processes) while one of its runs holds a document's claim."""
        claims = outbox / "_batch" / "claims"
        while not stop.is_set() and not killed.is_set():
            mine = set(_descendants(victim.pid))
            if any(json.loads(c.read_text() or "{}").get("pid") in mine for c in claims.glob("*.json") if c.stat().st_size):
                time.sleep(1.0)  # into the document's phases
                _kill_tree(victim.pid)
                killed.set()
            time.sleep(0.2)

    killer = threading.Thread(target=kill_the_first_worker_mid_document, daemon=True)
    killer.start()
    started = time.monotonic()
    try:
        summary = asyncio.run(process_folder(input_dir=str(inbox), output_dir=str(outbox), concurrency=2,
                                             dispatch="process-documents/process-documents", documents_per_run=2))
    finally:
        stop.set()
        killer.join(10)
        for worker in workers:
            _kill_tree(worker.pid)
            worker.wait(10)
    seconds = time.monotonic() - started

    ledger = summary["ledger"]
    assert killed.is_set(), "the first worker never had a document to be killed in"
    assert ledger == {"found": DOCUMENTS, "succeeded": DOCUMENTS, "failed": 0, "skipped": 0, "rejected": 0, "balanced": True}, (ledger, seconds)
    rows = [json.loads(line) for line in Path(summary["manifest"]).read_text().splitlines()]
    assert sorted(r["file"] for r in rows) == sorted(str(p) for p in inbox.iterdir())  # each exactly once
    results = [json.loads((outbox / f"doc-{i:02d}.png.json").read_text()) for i in range(DOCUMENTS)]
    assert all(r["document_type"] for r in results)
    assert not list((outbox / "_batch" / "claims").glob("*.json"))  # every claim released
    assert not (outbox / "_quarantine").exists()

    async def chunk_runs() -> list[tuple[str, str]]:
        async with get_client() as client:
            batch = await client.read_flow_run(uuid.UUID(results[0]["pipeline_id"]))
            runs = await client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=list(batch.tags))))
        return [(r.state.name if r.state else "", str(r.id)) for r in runs]

    states = [state for state, _ in asyncio.run(chunk_runs())]
    assert states.count("Crashed") >= 1, states  # the dead worker's run, marked by the zombie automation
    assert states.count("Completed") == DOCUMENTS // 2, states  # the crashed runs' documents ran again, once each
    both = {r["pipeline_id"] for r in results}
    assert len(both) >= 2  # the documents went to several runs
    print(f"fan-out of {DOCUMENTS} documents over 2 workers, one killed: {seconds:.1f} s, runs {states}")


def test_a_submission_the_api_refuses_is_tried_again_and_then_quarantined_not_a_failed_batch(
    fresh_client: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Error path with a test double: `FanOut._run` raises as run_deployment does when SQLite's server answers 503
    after the client's retries (seen in benchmarks/fanout_throughput.py with two workers)."""
    from iris_flows import fanout
    from iris_flows.folder_flow import process_folder

    attempts: list[str] = []

    async def refused(self, items, label, key, batch_run):  # noqa: ANN001, ANN202
        attempts.append(key)
        raise RuntimeError("503 Service Unavailable: database is locked")

    async def ready(self) -> None:  # noqa: ANN001
        self.slots = 2

    monkeypatch.setattr(fanout.FanOut, "_run", refused)
    monkeypatch.setattr(fanout.FanOut, "check", ready)
    monkeypatch.setattr(fanout, "RESUBMIT_PAUSE_SECONDS", 0.0)
    inbox, outbox = tmp_path / "inbox", tmp_path / "outbox"
    for i in range(3):
        write_document(inbox, f"doc-{i}.png", seed=900 + i)
    summary = asyncio.run(process_folder(input_dir=str(inbox), output_dir=str(outbox), dispatch="process-documents/nowhere",
                                         documents_per_run=2))
    assert summary["ledger"] == {"found": 3, "succeeded": 0, "failed": 3, "skipped": 0, "rejected": 0, "balanced": True}
    assert len(attempts) == 2 * 2  # two chunks, each submitted twice
    record = json.loads((outbox / "_quarantine" / "doc-0.png.error.json").read_text())
    assert record["code"] == "GEN001" and "unsubmitted" in record["message"]
