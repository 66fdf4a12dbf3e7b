"""The nightly batch in process and fanned out to a work pool (issue 12): what the fan-out costs on one machine.

In one run, on ONE Prefect server and one set of services, this benchmark
- generates --count (default 24) docgen documents (long_batch_memory.py `make_documents`: receipts, invoices and
  forms in turn, en/es, scan variants) and gives every mode its own copy of that folder in which each file carries
  a mode-specific comment (a JPEG COM segment, a PNG tEXt chunk): the same pixels, so the same work, but another
  content hash, so no phase of a later mode is a Prefect task-cache hit (the phase keys chain from the file's
  sha256: policies.phase_key); every mode writes to a fresh output folder;
- starts Prefect's server as its temporary one runs, on a free port with uvicorn's access log on
  (_measure.start_prefect_server; SQLite under the work folder), the four services on free ports
  (tests/service_processes.py `start_all`), and `iris deploy --pool <new pool> --document-runs 4`;
- warms up (2 documents in process; 1 fanned out once the first worker is up), then runs `process_folder` in
  this process (the coordinator) over each mode's folder:
  (a) dispatch local: the documents' phase tasks in the batch's own flow run, concurrency C (default 4);
  (b) fan-out, one document per `process-documents` flow run, global concurrency limit C (C one-document runs at once);
  (c) fan-out, --per-run (default 8) documents per run, limit 2, each run with concurrency C;
  (b) and (c) with 1 process worker (`prefect worker start --pool P --type process`), then with 2.

For each mode it prints docs/min (documents / the batch's wall time) and the ratio to (a), the flow and task runs
created (the server's /flow_runs/count and /task_runs/count before and after), CPU seconds per document (from
/proc, before and after the batch, once the workers' flow-run processes have exited) of the Prefect server, the
coordinator (this process, its own threads only), the workers (their own), the flow-run processes the workers
started (children included: waited-for and alive), the four services, and the machine (all cores busy: a check
that nothing else ran), the Prefect API requests per document (lines of the server's access log; websocket
traffic counts one line per connection there) and the events per document the server persisted (what the clients
send over the events websocket: task-run states, heartbeats; rows of its SQLite `events` table), with the most
frequent routes of some modes.

    flock /tmp/iris-cpu.lock .venv/bin/python benchmarks/fanout_throughput.py                 # ~15 min
    flock /tmp/iris-cpu.lock .venv/bin/python benchmarks/fanout_throughput.py --workers 1     # (b), (c) with 1 worker only

Prefect logging is at WARNING everywhere (as long_batch_memory.py): the runs' INFO log lines are not shipped to
the server, so the request counts leave out log batches. Options: --count, --concurrency, --per-run, --workers
(e.g. "1,2"), --json PATH, --keep (keep the work folder: documents, results, the server's access log, the
workers' and services' logs). Linux only (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from _measure import (  # noqa: E402
    api_requests,
    cpu_seconds,
    descendants,
    log_size,
    machine_busy_seconds,
    prefect_events,
    start_prefect_server,
    tree_cpu_seconds,
)

DEPLOYMENT = "process-documents/process-documents"
LIMIT = "iris-document-runs-benchmark"
SERVICES = ("image-processor", "ml-embeddings", "ml-classifier", "ocr-extractor")
EVENTS_FLUSH_SECONDS = 6.0  # > the event persister's flush interval (5 s)
WORKER_ENV = {"PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "1"}  # as tests/flows/test_fanout.py


# --- documents -------------------------------------------------------------------------------------------------

def tagged(data: bytes, tag: str) -> bytes:
    """The same image with `tag` in a comment: a PNG tEXt chunk before IEND, or a JPEG COM segment after SOI."""
    text = f"iris-benchmark {tag}".encode()
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        body = b"tEXt" + b"Comment\x00" + text
        chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
        end = data.rindex(b"IEND") - 4
        return data[:end] + chunk + data[end:]
    if data[:2] == b"\xff\xd8":
        return data[:2] + b"\xff\xfe" + struct.pack(">H", len(text) + 2) + text + data[2:]
    raise ValueError("neither PNG nor JPEG")


def copy_tagged(files: list[Path], folder: Path, tag: str, names: list[str] | None = None) -> list[Path]:
    """`files` copied into `folder` (under `names`, default theirs), each with `tag` in its comment."""
    folder.mkdir(parents=True)
    out = []
    for i, source in enumerate(files):
        target = folder / (names[i] if names else source.name)
        target.write_bytes(tagged(source.read_bytes(), tag))
        out.append(target)
    return out


# --- processes -------------------------------------------------------------------------------------------------

def stop_tree(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM the process (a worker cancels its runs), then SIGKILL what is left of its tree."""
    below = descendants(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pid in below:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def start_worker(pool: str, name: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", "process",
                                 "--name", name], env={**os.environ, **WORKER_ENV}, stdout=out, stderr=subprocess.STDOUT)


def deploy(pool: str, document_runs: int, log: Path) -> None:
    """`iris deploy` against the benchmark's server: the pool, the limit, the automation, prefect.yaml's deployments
    (their job variables carry this process's service URLs and IRIS_HOME)."""
    done = subprocess.run([sys.executable, "-m", "iris_cli.main", "deploy", "--pool", pool, "--document-runs", str(document_runs)],
                          capture_output=True, text=True, timeout=600)
    log.write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"iris deploy failed ({done.returncode}); see {log}")


def wait_until_idle(workers: list[subprocess.Popen[bytes]], timeout: float = 30.0) -> None:
    """Until the workers' flow-run processes have exited (their CPU is then in the workers' cutime)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(descendants(w.pid) for w in workers):
        time.sleep(0.25)


# --- one mode --------------------------------------------------------------------------------------------------

@dataclass
class Reading:
    """CPU seconds of every watched process, the access log's size and the server's run counts, at one moment."""

    at: float
    cpu: dict[str, float]
    log_offset: int
    flow_runs: int
    task_runs: int
    events: int | None

    @staticmethod
    async def take(pids: dict[str, int], workers: list[subprocess.Popen[bytes]], log: Path) -> Reading:
        from prefect import get_client

        cpu = {"prefect server": sum(tree_cpu_seconds(pids["prefect server"]) or (0.0, 0.0)),
               "coordinator": cpu_seconds(os.getpid(), children=False) or 0.0,
               "services": sum(cpu_seconds(pids[s], children=False) or 0.0 for s in SERVICES),
               "workers": 0.0, "flow-run processes": 0.0, "machine": machine_busy_seconds() or 0.0}
        for worker in workers:
            own, below = tree_cpu_seconds(worker.pid) or (0.0, 0.0)
            cpu["workers"] += own
            cpu["flow-run processes"] += below
        async with get_client() as client:
            flow_runs = (await client._client.post("/flow_runs/count", json={})).json()
            task_runs = (await client._client.post("/task_runs/count", json={})).json()
        return Reading(time.monotonic(), cpu, log_size(log), int(flow_runs), int(task_runs),
                       prefect_events(Path(os.environ["PREFECT_HOME"])))


@dataclass
class ModeRun:
    mode: str
    label: str
    documents: int
    workers: int
    seconds: float = 0.0
    ledger: dict[str, Any] = field(default_factory=dict)
    state: str = ""
    flow_runs: int = 0
    task_runs: int = 0
    events: int | None = None
    cpu: dict[str, float] = field(default_factory=dict)  # seconds over the whole mode
    requests: Counter[str] = field(default_factory=Counter)

    @property
    def docs_per_min(self) -> float:
        return 60 * self.documents / self.seconds if self.seconds else 0.0


async def set_limit(limit: int) -> None:
    from prefect import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate

    async with get_client() as client:
        await client.update_global_concurrency_limit(LIMIT, GlobalConcurrencyLimitUpdate(limit=limit))


async def run_mode(run: ModeRun, folder: Path, out: Path, *, dispatch: str, per_run: int | None, concurrency: int,
                   pids: dict[str, int], workers: list[subprocess.Popen[bytes]], log: Path) -> ModeRun:
    from iris_flows.folder_flow import process_folder

    before = await Reading.take(pids, workers, log)
    began = time.perf_counter()
    state = await process_folder(input_dir=str(folder), output_dir=str(out), concurrency=concurrency, dispatch=dispatch,
                                 documents_per_run=per_run, return_state=True)
    run.seconds = round(time.perf_counter() - began, 2)
    wait_until_idle(workers)
    await asyncio.sleep(EVENTS_FLUSH_SECONDS)  # the server persists events in batches
    after = await Reading.take(pids, workers, log)
    summary = await state.aresult() if state.is_completed() else None
    run.state = state.name if summary else f"{state.name}: {state.message}"
    run.ledger = (summary or {}).get("ledger", {})
    run.flow_runs, run.task_runs = after.flow_runs - before.flow_runs, after.task_runs - before.task_runs
    if after.events is not None and before.events is not None:
        run.events = after.events - before.events
    run.cpu = {k: round(after.cpu[k] - before.cpu[k], 2) for k in after.cpu}
    run.requests = api_requests(log, before.log_offset, after.log_offset)
    print(f"({run.mode}) {run.label}: {run.documents} documents in {run.seconds:.1f} s = {run.docs_per_min:.1f}/min, "
          f"ledger {run.ledger or run.state}, {run.flow_runs} flow runs, {sum(run.requests.values())} API requests", flush=True)
    return run


async def run_all(base: list[Path], work: Path, pool: str, stack: Stack, concurrency: int, per_run: int,
                  worker_counts: list[int]) -> list[ModeRun]:
    n = len(base)
    workers, pids, log = stack.workers, stack.pids, work / "prefect-access.log"
    runs: list[ModeRun] = []

    def folder(tag: str, files: list[Path] = base) -> Path:
        copy_tagged(files, work / "in" / tag, tag)
        return work / "in" / tag

    print("warm-up: 2 documents in process ...", flush=True)
    await run_mode(ModeRun("-", "warm-up, local", 2, 0), folder("warm-up-local", base[:2]), work / "out" / "warm-up-local",
                   dispatch="local", per_run=None, concurrency=concurrency, pids=pids, workers=workers, log=log)
    runs.append(await run_mode(ModeRun("a", f"local, concurrency {concurrency}", n, 0), folder("a"), work / "out" / "a",
                               dispatch="local", per_run=None, concurrency=concurrency, pids=pids, workers=workers, log=log))
    for count in worker_counts:
        while len(workers) < count:
            workers.append(start_worker(pool, f"worker-{len(workers) + 1}", work / f"worker-{len(workers) + 1}.log"))
            await asyncio.sleep(5)  # registered and polling
        if count == worker_counts[0]:
            print("warm-up: 1 document fanned out ...", flush=True)
            await set_limit(1)
            await run_mode(ModeRun("-", "warm-up, fan-out", 1, count), folder("warm-up-fanout", base[:1]),
                           work / "out" / "warm-up-fanout", dispatch=DEPLOYMENT, per_run=1, concurrency=concurrency,
                           pids=pids, workers=workers, log=log)
        plural = "s" if count > 1 else ""
        await set_limit(concurrency)
        tag = f"b-{count}w"
        runs.append(await run_mode(ModeRun("b", f"fan-out, 1 document per run, limit {concurrency}, {count} worker{plural}", n, count),
                                   folder(tag), work / "out" / tag, dispatch=DEPLOYMENT, per_run=1, concurrency=concurrency,
                                   pids=pids, workers=workers, log=log))
        await set_limit(2)
        tag = f"c-{count}w"
        runs.append(await run_mode(ModeRun("c", f"fan-out, {per_run} per run, limit 2, {count} worker{plural}", n, count),
                                   folder(tag), work / "out" / tag, dispatch=DEPLOYMENT, per_run=per_run, concurrency=concurrency,
                                   pids=pids, workers=workers, log=log))
    return runs


# --- report ----------------------------------------------------------------------------------------------------

CPU_COLUMNS = ("prefect server", "coordinator", "workers", "flow-run processes", "services", "machine")


def report(runs: list[ModeRun], header: str, top: int = 8) -> str:
    from iris_cli.table import render_table

    base = runs[0].docs_per_min
    rows = []
    for r in runs:
        failed = r.ledger.get("failed")
        rows.append([r.mode, r.label, f"{r.docs_per_min:.1f}", f"{r.docs_per_min / base:.2f}" if base else "-",
                     f"{r.ledger.get('succeeded', '-')}/{r.documents}" + (f" ({failed} failed)" if failed else ""),
                     r.flow_runs, f"{r.task_runs / r.documents:.1f}",
                     *[f"{r.cpu.get(k, 0.0) / r.documents:.3f}" for k in CPU_COLUMNS],
                     f"{sum(r.requests.values()) / r.documents:.1f}", "-" if r.events is None else f"{r.events / r.documents:.1f}"])
    out = [header, "", "docs/min, ratio to (a), flow runs created (the batch's own included), task runs per document, "
           "CPU seconds per document, Prefect API requests (HTTP) and events (websocket) per document:",
           render_table(["", "mode", "docs/min", "x (a)", "succeeded", "flow runs", "task runs/doc", *[f"{k} CPU s" for k in CPU_COLUMNS],
                         "API req/doc", "events/doc"], rows)]
    for r in runs:
        if r.mode == "a" or r is runs[-1] or r.workers == 1:
            routes = r.requests.most_common(top)
            out += ["", f"({r.mode}) {r.label}: most frequent API requests per document:",
                    render_table(["request", "per doc", "count"], [[k, f"{v / r.documents:.2f}", v] for k, v in routes])]
    return "\n".join(out)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=24, help="documents per mode (default 24)")
    parser.add_argument("--concurrency", type=int, default=4, help="documents in flight in the batch / in a run (default 4)")
    parser.add_argument("--per-run", type=int, default=8, help="documents per flow run of mode (c) (default 8)")
    parser.add_argument("--workers", default="1,2", help="worker counts for (b) and (c), increasing (default 1,2)")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    args.workers = sorted({int(w) for w in args.workers.split(",") if w.strip()})
    return args


def benchmark_environment(prefix: str, reads: str) -> tuple[Path, int, Path] | None:
    """A fresh work folder and the run's private environment (`prepare_environment`): (work, server port, models
    dir), or None, said why, when /proc (what `reads` is read from) or the models `iris setup` prepared are missing."""
    if not Path("/proc/self/status").is_file():
        print(f"cannot run: {reads} is read from /proc (Linux only)")
        return None
    work = Path(tempfile.mkdtemp(prefix=prefix))
    port, models = prepare_environment(work)
    if not models.is_dir():
        print(f"cannot run: no models under {models} (run .venv/bin/iris setup)")
        shutil.rmtree(work, ignore_errors=True)
        return None
    return work, port, models


def prepare_environment(work: Path) -> tuple[int, Path]:
    """Everything private to the run, set before Prefect is imported: its home, its server's URL, the flows' task
    results (IRIS_HOME), the limit's name. Returns the server's port and the models dir."""
    from iris_cli.prefect_env import HEARTBEAT_SECONDS
    from iris_common.settings import ServiceSettings
    from tests.service_processes import free_port

    models = ServiceSettings().models_dir  # the calling environment's (iris setup's), before IRIS_HOME moves
    port = free_port()
    os.environ.update({"IRIS_HOME": str(work / "home"), "PREFECT_HOME": str(work / "prefect"),
                       "PREFECT_API_URL": f"http://127.0.0.1:{port}/api", "PREFECT_LOGGING_LEVEL": "WARNING",
                       "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "IRIS_DOCUMENT_RUNS_LIMIT": LIMIT,
                       "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": HEARTBEAT_SECONDS})  # the coordinator's run, as the CLI's
    (work / "home" / "logs").mkdir(parents=True)
    (work / "prefect").mkdir()
    return port, models


@dataclass
class Stack:
    """What a fan-out benchmark runs on: its Prefect server, the four services, the workers it starts (appended by
    whoever starts them, so `running_stack` stops them too)."""

    server: subprocess.Popen[bytes]
    services: dict[str, Any]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def pids(self) -> dict[str, int]:
        return {"prefect server": self.server.pid, **{n: svc.proc.pid for n, svc in self.services.items() if svc.proc}}


@contextmanager
def running_stack(work: Path, port: int, models: Path, pool: str | None, document_runs: int = 2) -> Iterator[Stack]:
    """Prefect's server on `port`, the four services (their URLs in os.environ) and, given a pool, `iris deploy`
    with that global concurrency limit; everything stopped afterwards, workers first."""
    from tests.service_processes import start_all

    server: subprocess.Popen[bytes] | None = None
    services: dict[str, Any] = {}
    stack: Stack | None = None
    try:
        print("starting the Prefect server and the four services ...", flush=True)
        server = start_prefect_server(work / "prefect", port, work / "prefect-access.log")
        services = start_all(work / "home" / "logs", {"IRIS_MODELS_DIR": str(models), "IRIS_HOME": str(work / "home")})
        os.environ.update({svc.env_var: svc.url for svc in services.values()})
        if pool is not None:
            print(f"iris deploy --pool {pool} ...", flush=True)
            deploy(pool, document_runs, work / "deploy.log")
        stack = Stack(server, services)
        yield stack
    finally:
        for worker in stack.workers if stack else []:
            stop_tree(worker)
        for svc in services.values():
            svc.stop()
        if server is not None:
            stop_tree(server)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if (environment := benchmark_environment("fanout-throughput-", "CPU")) is None:
        return 0
    work, port, models = environment
    from long_batch_memory import make_documents

    began = time.perf_counter()
    pool = f"iris-benchmark-{uuid.uuid4().hex[:6]}"
    try:
        print(f"work folder {work}; generating {args.count} documents ...", flush=True)
        base = make_documents(work / "docs", args.count)
        with running_stack(work, port, models, pool, args.concurrency) as stack:
            load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
            size = sum(f.stat().st_size for f in base) / len(base) / 1024
            header = (f"fan-out throughput: {len(base)} generated documents per mode (receipts, invoices, forms in turn; "
                      f"en/es; {size:.0f} KB each on average), the same pixels in every mode with a per-mode comment (new "
                      f"content hash: no task-cache hits across modes); {len(os.sched_getaffinity(0))} cores; concurrency "
                      f"{args.concurrency}; one Prefect server (temporary-server mode, SQLite); process workers polling "
                      f"every 1 s; load average at start {load}")
            print(header, flush=True)
            runs = asyncio.run(run_all(base, work, pool, stack, args.concurrency, args.per_run, args.workers))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    table = report(runs, header)
    print(table)
    wall = time.perf_counter() - began
    print(f"\nthe whole run took {wall / 60:.1f} min" + (f"; work folder kept: {work}" if args.keep else ""))
    if args.json:
        body = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}, "header": header,
                "runs": [{**{k: v for k, v in vars(r).items() if k != "requests"}, "docs_per_min": round(r.docs_per_min, 2),
                          "requests": dict(r.requests.most_common())} for r in runs],
                "table": table, "wall_seconds": round(wall, 1)}
        args.json.write_text(json.dumps(body, indent=1, default=str), encoding="utf-8")
        print(f"JSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
