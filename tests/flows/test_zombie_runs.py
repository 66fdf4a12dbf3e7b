"""A batch whose process is killed (kill -9 of `iris batch`) does not stay Running for ever: its heartbeats stop and
the zombie automation marks the run Crashed; the next run over the same folder finishes what was left."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.flows.conftest import write_document
from tests.service_processes import ServiceProcess

pytestmark = pytest.mark.slow

ZOMBIE_AFTER_SECONDS = 45  # the automation's `within` for this test (90 s in deployments/automations)


def test_a_killed_batch_is_marked_crashed_and_the_next_run_finishes_it(
    fresh_client: None, services: dict[str, ServiceProcess], flow_home: Path, tmp_path: Path
) -> None:
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.settings import PREFECT_API_URL

    from iris_cli.deploy import ensure_zombie_automation

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "IRIS_HOME": str(flow_home),
           "IRIS_ZOMBIE_AFTER_SECONDS": str(ZOMBIE_AFTER_SECONDS)}
    ensure_zombie_automation(env)  # as `iris up --prefect` does (a no-op when another test made it)
    inbox = tmp_path / f"inbox-{uuid.uuid4().hex[:6]}"
    outbox = tmp_path / "outbox"
    for i in range(6):
        write_document(inbox, f"doc-{i}.png", kind=("receipt", "invoice")[i % 2], seed=700 + i)

    batch = subprocess.Popen([sys.executable, "-m", "iris_cli.main", "batch", str(inbox), "--out", str(outbox),
                              "--concurrency", "1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    claims = outbox / "_batch" / "claims"
    deadline = time.monotonic() + 120
    while not list(claims.glob("*.json")) and time.monotonic() < deadline and batch.poll() is None:
        time.sleep(0.2)
    assert list(claims.glob("*.json")), "the batch never started a document"
    time.sleep(3)  # the run's first heartbeat event (sent at its start) is on the server, so the automation is armed
    os.kill(batch.pid, signal.SIGKILL)
    batch.wait(10)
    killed = time.monotonic()

    async def state_of_the_run() -> str:
        async with get_client() as client:
            runs = await client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[f"batch-{inbox.name}"])))
        return runs[0].state.name if runs and runs[0].state else ""

    state = asyncio.run(state_of_the_run())
    assert state == "Running"
    # the automation's window, then the server's triggers service working through the events of the suite's other runs
    while state == "Running" and time.monotonic() - killed < ZOMBIE_AFTER_SECONDS + 180:
        time.sleep(2)
        state = asyncio.run(state_of_the_run())
    assert state == "Crashed", f"{state} {time.monotonic() - killed:.0f} s after the kill"

    again = subprocess.run([sys.executable, "-m", "iris_cli.main", "batch", str(inbox), "--out", str(outbox)], env=env,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    rows = [json.loads(line) for line in (outbox / "_batch" / "manifest.jsonl").read_text().splitlines()]
    assert len(rows) == 6 and {r["outcome"] for r in rows} <= {"succeeded", "skipped"}  # the dead run's claim was stale
    print(f"killed batch marked Crashed {time.monotonic() - killed:.0f} s after the kill")
