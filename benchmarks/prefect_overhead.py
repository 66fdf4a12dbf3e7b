"""What Prefect itself costs per document, without the services: the floor under `iris batch`'s orchestration share.

A batch flow runs N synthetic documents the way `process_folder` runs real ones (a look-ahead phase-1 task, then
per document a phase-1 task that is a cache hit, then OCR, classify and extract tasks, all in the batch's own
flow run; documents `--concurrency` at a time), but every task only sleeps 0 s and returns
a payload of the size the real phase returns (phase 1: the processed page as base64, `--page-kb`). Task options
are the phase tasks' own (`iris_flows.policies.phase_options`: retries, timeout, the phase-key cache policy,
persisted results), and each task logs two lines through `get_run_logger` as the phase tasks do. So what is
measured is Prefect's work: run and task-run creation, state transitions, cache look-ups, result persistence,
logs and events sent to the API, and the server storing them.

Shapes (one run each, same N, printed side by side):
  iris          the shape above
  subflow       each document's tasks in a subflow run of its own, as `process_folder` ran them until 2026-12-07
                (on Prefect's SQLite server most subflow starts then met a "database is locked" 503 and waited
                ~2 s for the client's retry)
  no-logs       iris without the run-logger lines (flow-level logs still go to the API)
  small-page    iris with a 1 KB phase-1 payload (what passing the page by reference would leave)
  no-persist    iris without result persistence or caching

Printed per shape: wall s/doc at the concurrency, CPU ms/doc of this process (the flow's client side) and of the
Prefect server (a temporary one, Prefect's own, started as a child of this process unless PREFECT_API_URL is
set), and that CPU as a share of the OCR's CPU per receipt (`--ocr-cpu`, default 1.78 s: 2 cores / 67.6 receipts
per min, benchmarks/batch_throughput.py stage (a) at 0f9d904).

    .venv/bin/python benchmarks/prefect_overhead.py                 # 40 documents per shape
    .venv/bin/python benchmarks/prefect_overhead.py --docs 100 --shapes iris,no-subflow
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

SHAPES = ("iris", "subflow", "no-logs", "small-page", "no-persist")


def build(shape: str, page_kb: int, storage: Path) -> Any:
    """The batch flow of one shape (defined per shape so that options differ per run)."""
    from prefect import flow, get_run_logger, task

    from iris_flows.policies import PHASE_CACHE_POLICY, phase_options

    options = {**phase_options("ocr-extractor"), "result_storage": storage}
    if shape == "no-persist":
        options = {k: v for k, v in options.items() if k not in ("cache_policy", "cache_expiration", "persist_result")}
        options |= {"persist_result": False, "cache_policy": None}
    else:
        options["cache_policy"] = PHASE_CACHE_POLICY
    log = shape != "no-logs"
    page = base64.b64encode(os.urandom((1 if shape == "small-page" else page_kb) * 1024)).decode()

    @task(name="phase", **options)
    async def phase(name: str, payload: str, *, phase_key: str) -> dict[str, Any]:
        if log:
            logger = get_run_logger()
            logger.info("phase %s request_id=%s", name, phase_key[:12])
            logger.info("done %s", name)
        return {"data": {"payload": payload}, "processing_time": 0.0, "warnings": []}

    async def document_phases(i: int) -> None:
        await phase(f"pre-{i}", page, phase_key=f"{shape}-pre-{i}")  # the cache hit of the look-ahead's result
        await phase(f"ocr-{i}", "x" * 4000, phase_key=f"{shape}-ocr-{i}")
        await phase(f"cls-{i}", "x" * 200, phase_key=f"{shape}-cls-{i}")
        await phase(f"ext-{i}", "x" * 2000, phase_key=f"{shape}-ext-{i}")

    @flow(name="overhead-document", persist_result=shape != "no-persist", result_storage=storage)
    async def document(i: int) -> None:
        if log:
            get_run_logger().info("document %d", i)
        await document_phases(i)

    @flow(name=f"overhead-{shape}", persist_result=False)
    async def batch(n: int, concurrency: int) -> None:
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with gate:
                await phase(f"pre-{i}", page, phase_key=f"{shape}-pre-{i}")  # the look-ahead
                if shape == "subflow":
                    await document(i)
                else:
                    await document_phases(i)

        await asyncio.gather(*(one(i) for i in range(n)))

    return batch


async def run_shape(shape: str, docs: int, concurrency: int, page_kb: int, storage: Path, server: int | None) -> dict[str, Any]:
    from _measure import cpu_seconds

    batch = build(shape, page_kb, storage / shape)
    own0 = cpu_seconds(os.getpid(), children=False) or 0.0
    srv0 = (cpu_seconds(server) or 0.0) if server else 0.0
    started = time.perf_counter()
    await batch(docs, concurrency)
    wall = time.perf_counter() - started
    own = (cpu_seconds(os.getpid(), children=False) or 0.0) - own0
    srv = ((cpu_seconds(server) or 0.0) - srv0) if server else None
    return {"shape": shape, "wall": wall / docs, "client_ms": 1000 * own / docs, "server_ms": None if srv is None else 1000 * srv / docs}


async def main_async(args: argparse.Namespace) -> None:
    from batch_throughput import prefect_server_pid, start_prefect

    work = Path(tempfile.mkdtemp(prefix="prefect-overhead-"))
    server = await start_prefect(work)
    await run_shape("iris", 4, args.concurrency, args.page_kb, work / "warm", server)  # engine and server warm
    rows = [await run_shape(s, args.docs, args.concurrency, args.page_kb, work, server or prefect_server_pid(work))
            for s in args.shapes.split(",")]
    print(f"\nPrefect's own cost per document ({args.docs} synthetic documents, concurrency {args.concurrency}, "
          f"4 phase tasks + 1 look-ahead per document, phase-1 payload {args.page_kb} KB)")
    print(f"{'shape':<12} {'wall s/doc':>10} {'client CPU ms':>14} {'server CPU ms':>14} {'both / OCR CPU':>15}")
    for r in rows:
        both = r["client_ms"] + (r["server_ms"] or 0.0)
        print(f"{r['shape']:<12} {r['wall']:>10.3f} {r['client_ms']:>14.0f} "
              f"{'-' if r['server_ms'] is None else format(r['server_ms'], '.0f'):>14} {both / (1000 * args.ocr_cpu):>14.1%}")
    print(f"(OCR CPU per receipt: {args.ocr_cpu} s; server: {'pid ' + str(server) if server else 'not found'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--page-kb", type=int, default=400, help="phase-1 payload (a processed receipt's PNG as base64)")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--ocr-cpu", type=float, default=1.78)
    args = parser.parse_args()
    # run loggers at INFO as `iris batch` has them (their lines go to the API); only the console is quiet
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("IRIS_HOME", tempfile.mkdtemp(prefix="prefect-overhead-home-"))
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
