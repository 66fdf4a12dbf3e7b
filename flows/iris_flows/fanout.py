"""How a batch hands its chunks to a work pool: one `process-documents` flow run per chunk, created with
`run_deployment` while holding a slot of a Prefect global concurrency limit, so any number of workers on any
machines take them and the limit (not this process) bounds the runs in flight across every batch.

The ledger comes from disk, not from the runs' return values: after a run ends, each of its documents has a
result JSON (succeeded), a quarantine record written by one of this batch's runs (failed), a claim of another live
run (wait for that run's output), or nothing. A run that ended without an output for some documents (Prefect
marked it Crashed: its worker died, see `iris deploy`'s zombie automation) is submitted again once for those
documents; whatever is still missing then is quarantined with GEN001 naming the runs, so found always equals
succeeded + failed + skipped. A submission the Prefect API refuses (SQLite's "database is locked" 503 after the
client's own retries) counts as a run that left its documents undone: they go once more, and the batch does not fail.
"""

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import get_client, get_run_logger
from prefect.concurrency.asyncio import concurrency
from prefect.context import get_run_context
from prefect.deployments import run_deployment
from prefect.client.schemas.objects import FlowRun
from prefect.exceptions import ObjectNotFound
from prefect.states import Cancelled

from iris_flows.chunk_flow import Settled, quarantine
from iris_flows.claims import claim_path, is_stale, read_claim
from iris_flows.embed_batching import Pending
from iris_flows.outputs import existing_result, quarantine_path
from iris_flows.results import PIPELINE_VERSION, for_output

SUBMISSIONS_PER_CHUNK = 2  # the first run, and one more for what a crashed run (or a refused submission) left undone
RESUBMIT_PAUSE_SECONDS = 5.0  # after the API refused a submission, before the second one


class FanOutNotReady(RuntimeError):
    """The deployment or the global concurrency limit a fanned-out batch needs does not exist."""


@dataclass
class FanOut:
    """Where and how a batch's chunks run: `deployment` ("process-documents/<name>"), the global concurrency
    limit `limit` held per run, and the parameters every chunk's run shares."""

    deployment: str
    limit: str
    parameters: dict[str, Any]
    input_dir: Path
    output_dir: Path
    quarantine_dir: Path
    poll_seconds: float = 1.0
    claim_wait_seconds: float = 300.0
    run_timeout_seconds: float = 3600.0
    slots: int = field(default=1, init=False)

    async def check(self) -> None:
        """Fail at the start of the batch, with what to do, when the deployment or the limit is missing."""
        async with get_client() as client:
            try:
                await client.read_deployment_by_name(self.deployment)
            except ObjectNotFound:
                raise FanOutNotReady(f"deployment {self.deployment!r} not found: run `iris deploy` first") from None
            try:
                limit = await client.read_global_concurrency_limit_by_name(self.limit)
            except ObjectNotFound:
                raise FanOutNotReady(f"global concurrency limit {self.limit!r} not found: `iris deploy` creates it "
                                     f"(or: prefect gcl create {self.limit} --limit N)") from None
        # chunks wait for a slot here, at most as many as the limit at once, rather than hundreds of waiters
        # polling the API for one slot each
        self.slots = max(1, limit.limit)

    async def dispatch(self, chunk: list[Pending], label: str) -> list[Settled]:
        """Run the chunk on the work pool until each document is settled (see the module docstring)."""
        logger = get_run_logger()
        batch_run = str(get_run_context().flow_run.id)  # type: ignore[union-attr]
        remaining, runs, settled = chunk, set[str](), list[Settled]()
        state_name = "not started"
        for attempt in range(1, SUBMISSIONS_PER_CHUNK + 1):
            try:
                run = await self._run(remaining, label, f"{batch_run}-{label}-{attempt}", batch_run)
            except Exception as exc:  # the API gave out (a 503 "database is locked" after the client's retries)
                logger.warning("submitting or following the flow run of %s failed: %s: %s", label, type(exc).__name__, exc)
                run_name, state_name = "(none)", f"unsubmitted ({type(exc).__name__})"
                await asyncio.sleep(RESUBMIT_PAUSE_SECONDS)
            else:
                runs.add(str(run.id))
                if run.state is None or not run.state.is_final():  # never picked up, or stuck: its documents go again
                    await self._cancel(run.id)
                run_name, state_name = run.name, run.state.name if run.state else "unknown"
            missing = []
            for item in remaining:
                if (done := self._settled_on_disk(item, runs)) is None and await self._wait_for_claim(item, runs):
                    done = self._settled_on_disk(item, runs)
                (settled.append(done) if done is not None else missing.append(item))
            remaining = missing
            if not remaining:
                break
            logger.warning("flow run %s of %s ended %s without an output for %d document(s)%s", run_name, label, state_name,
                           len(remaining), "; submitting them again" if attempt < SUBMISSIONS_PER_CHUNK else "")
        settled += [quarantine(item, self.input_dir, self.quarantine_dir,
                               {"phase": None, "code": "GEN001", "request_id": item.request_id,
                                "message": f"no output after {len(runs)} flow run(s) ({', '.join(sorted(runs))}), the last "
                                           f"ended {state_name}"}, batch_run)
                    for item in remaining]
        return settled

    async def _run(self, items: list[Pending], label: str, key: str, batch_run: str) -> FlowRun:
        """One flow run of `items`, holding a slot of the global concurrency limit until it ends."""
        async with concurrency(self.limit, occupy=1, strict=True):
            return await run_deployment(
                self.deployment, timeout=self.run_timeout_seconds, poll_interval=self.poll_seconds,
                parameters={**self.parameters, "paths": [str(i.document) for i in items], "chunk_label": label},
                idempotency_key=key,  # a retried batch finds its runs, not new ones
                tags=[f"iris-batch-{batch_run[:8]}"])

    async def _cancel(self, run_id: UUID) -> None:
        get_run_logger().warning("flow run %s did not finish in %.0f s: cancelling it", run_id, self.run_timeout_seconds)
        async with get_client() as client:
            await client.set_flow_run_state(run_id, Cancelled(message="the batch stopped waiting for it"), force=True)

    async def settle_claimed(self, items: list[Pending]) -> list[Settled]:
        """Documents another live run held when this batch reached them (two batches over one folder, or a run
        this batch thought dead): wait for that run's output, counted skipped (its result) or failed."""
        batch_run = str(get_run_context().flow_run.id)  # type: ignore[union-attr]
        settled = []
        for item in items:
            owner = str(read_claim(claim_path(self.output_dir, item.sha)).get("flow_run_id"))
            await self._wait_for_claim(item, {batch_run})
            done = self._settled_on_disk(item, {owner})
            settled.append(done if done is not None else quarantine(
                item, self.input_dir, self.quarantine_dir,
                {"phase": None, "code": "GEN001", "request_id": item.request_id,
                 "message": f"held by flow run {owner}, which left no output for it"}, batch_run))
        return settled

    def _settled_on_disk(self, item: Pending, runs: set[str]) -> Settled | None:
        previous = existing_result(item.target, item.sha, PIPELINE_VERSION)
        if previous is not None:
            outcome = "succeeded" if previous.get("pipeline_id") in runs else "skipped"
            return Settled(item.document, outcome, {"file": str(item.document), "output": str(item.target),
                                                    "result": for_output(previous)})
        record_path = quarantine_path(self.quarantine_dir, self.input_dir, item.document)
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if record.get("content_sha256") == item.sha and record.get("flow_run_id") in runs:  # not last night's record
            return Settled(item.document, "failed", {"file": str(item.document), "output": str(record_path), "error": record})
        return None

    async def _wait_for_claim(self, item: Pending, runs: set[str]) -> bool:
        """True when another live run held the document and let it go within `claim_wait_seconds`."""
        path = claim_path(self.output_dir, item.sha)
        held = read_claim(path)
        if not held or held.get("flow_run_id") in runs:
            return False
        deadline = time.monotonic() + self.claim_wait_seconds
        while path.exists() and time.monotonic() < deadline and not await is_stale(read_claim(path)):
            await asyncio.sleep(self.poll_seconds)
        return True
