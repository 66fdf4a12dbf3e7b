"""The coordinator's memory over a long batch (issue 12: "a 2,000-document batch of small generated pages, the
coordinator's RSS flat within 10 % from document 200 to 2,000").

In one run this benchmark
- generates --unique (default 150) docgen documents (long_batch_memory.py `make_documents`) and, per mode, a
  folder of --count (default 2000) files: file i is unique page i mod U under its own name (00042-...), with a
  mode-specific comment in the file (fanout_throughput.py `copy_tagged`). So the first U documents of a mode run
  for real and the rest are Prefect task-cache hits of their phases (the same content 150 files apart: never two
  copies in flight at once), and no mode reuses another mode's cache;
- starts Prefect's server (temporary-server mode, SQLite, access log: _measure.start_prefect_server), the four
  services on free ports, and for the fan-out `iris deploy` and --workers process workers (default 2);
- runs `process_folder` in this process (the coordinator) over each mode's folder: `local` (the embedded default:
  the coordinator also runs every phase task) and/or `fanout` (--per-run documents per `process-documents` run,
  default 20, global concurrency limit 2: the coordinator only submits runs and reads the outputs);
- samples, from the progress listener (iris_flows.folder_flow.add_progress_listener), at every 100th settled
  document: the coordinator's VmRSS, the number of objects the garbage collector tracks in it (gc.get_objects),
  the Prefect server's VmRSS and (fan-out) the workers' and their flow-run processes' VmRSS summed.

It prints the curve and the growth from document 200 to the last (target: within 10 %). With --tracemalloc the
coordinator starts tracemalloc at document 200 and prints the 15 largest differences (by line) between the
snapshot taken then and the one at the end: what was allocated after document 200 and is still alive (tracemalloc
costs time and memory itself: use it in a second run, not for the curve).

    flock /tmp/iris-cpu.lock .venv/bin/python benchmarks/coordinator_memory.py --modes local,fanout   # ~25 min
    flock /tmp/iris-cpu.lock .venv/bin/python benchmarks/coordinator_memory.py --modes local --count 1000 --tracemalloc

Prefect logging at WARNING (as long_batch_memory.py). Options: --count, --unique, --concurrency (default 4),
--modes, --per-run, --workers, --json PATH, --keep. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import subprocess
import sys
import time
import tracemalloc
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from _measure import descendants, proc_kb  # noqa: E402
from fanout_throughput import (  # noqa: E402
    DEPLOYMENT,
    Stack,
    benchmark_environment,
    copy_tagged,
    running_stack,
    set_limit,
    start_worker,
)

EVERY = 100
FROM = 200
TOP = 15


def rss_mb(pid: int) -> float | None:
    kb = proc_kb(pid, "VmRSS")
    return round(kb / 1024, 1) if kb is not None else None


@dataclass
class Curve:
    """The samples of one mode, taken by the progress listener at every EVERY-th settled document."""

    mode: str
    server: int
    workers: list[subprocess.Popen[bytes]]
    tracemalloc_at: int | None = None
    started: float = field(default_factory=time.monotonic)
    points: list[dict[str, Any]] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    baseline: tracemalloc.Snapshot | None = None

    def listener(self, done: int, total: int, file: str, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if self.tracemalloc_at and done == self.tracemalloc_at:
            tracemalloc.start(1)
            self.baseline = tracemalloc.take_snapshot()
        if done % EVERY and done != total:
            return
        point: dict[str, Any] = {"done": done, "t": round(time.monotonic() - self.started, 1),
                                 "coordinator": rss_mb(os.getpid()), "objects": len(gc.get_objects()),
                                 "prefect server": rss_mb(self.server)}
        if self.workers:
            runs = [pid for w in self.workers for pid in descendants(w.pid)]
            point["workers"] = round(sum(rss_mb(w.pid) or 0.0 for w in self.workers), 1)
            point["flow-run processes"] = round(sum(rss_mb(pid) or 0.0 for pid in runs), 1)
            point["runs alive"] = len(runs)
        self.points.append(point)
        print(f"  {self.mode} {point}", flush=True)  # an interrupted run keeps what it sampled


class Relay:
    """One progress listener for the whole run (folder_flow keeps its listeners for the process's life)."""

    curve: Curve | None = None

    def __call__(self, done: int, total: int, file: str, outcome: str) -> None:
        if self.curve is not None:
            self.curve.listener(done, total, file, outcome)


def growth(a: float | None, b: float | None) -> float | None:
    return round(100 * (b - a) / a, 1) if a and b is not None else None


def report(curve: Curve, seconds: float, ledger: dict[str, Any] | None, state: str, diff: list[str]) -> tuple[str, dict[str, Any]]:
    from iris_cli.table import render_table

    columns = [k for k in ("coordinator", "objects", "prefect server", "workers", "flow-run processes", "runs alive")
               if any(k in p for p in curve.points)]
    rows = [[p["done"], f"{p['t']:.0f}", *[p.get(k, "-") for k in columns]] for p in curve.points]
    done = curve.points[-1]["done"] if curve.points else 0
    first = next((p for p in curve.points if p["done"] == FROM), None)
    last = curve.points[-1] if curve.points else None
    figures = {"mode": curve.mode, "seconds": round(seconds, 1), "docs_per_min": round(60 * done / seconds, 1) if seconds else None,
               "ledger": ledger, "state": state, "points": curve.points,
               "growth_pct": {k: growth(first.get(k), last.get(k)) for k in columns if k != "runs alive"} if first and last else {}}
    out = [f"{curve.mode}: RSS (MB) of each process and objects tracked by the coordinator's gc, at every {EVERY}th settled document "
           f"(t = seconds into the batch):", render_table(["doc", "t s", *columns], rows)]
    if figures["growth_pct"]:
        out.append(f"growth from document {FROM} to {last['done']} (target for the coordinator: within 10 %): "
                   + ", ".join(f"{k} {v:+.1f} %" for k, v in figures["growth_pct"].items() if v is not None))
    out.append(f"{done} documents in {seconds:.0f} s = {figures['docs_per_min']} docs/min; ledger {ledger or state}")
    if diff:
        out += [f"tracemalloc: the {TOP} largest differences between document {FROM} and the end (size, count, where):", *diff]
    return "\n".join(out), figures


async def run_mode(curve: Curve, relay: Relay, folder: Path, out: Path, *, concurrency: int, per_run: int) -> tuple[str, dict[str, Any]]:
    from iris_flows.folder_flow import process_folder

    relay.curve = curve
    curve.started = time.monotonic()
    began = time.perf_counter()
    fanned = curve.mode != "local"
    state = await process_folder(input_dir=str(folder), output_dir=str(out), concurrency=concurrency,
                                 dispatch=DEPLOYMENT if fanned else "local", documents_per_run=per_run if fanned else None,
                                 return_state=True)
    seconds = time.perf_counter() - began
    relay.curve = None
    diff: list[str] = []
    if curve.baseline is not None:
        stats = tracemalloc.take_snapshot().compare_to(curve.baseline, "lineno")
        tracemalloc.stop()
        diff = [f"  {s.size_diff / 1024:+9.0f} KB {s.count_diff:+8d}  {s.traceback}" for s in stats[:TOP]]
    summary = await state.aresult() if state.is_completed() else None
    table, figures = report(curve, seconds, (summary or {}).get("ledger"), f"{state.name}: {state.message}", diff)
    print(table, flush=True)
    return table, figures


async def run_all(args: argparse.Namespace, work: Path, unique: list[Path], stack: Stack,
                  pool: str) -> tuple[list[str], list[dict[str, Any]]]:
    from iris_flows.folder_flow import add_progress_listener

    relay = Relay()
    add_progress_listener(relay)
    names = [f"{i:05d}-{unique[i % len(unique)].name}" for i in range(args.count)]
    tables: list[str] = []
    figures: list[dict[str, Any]] = []
    workers, server = stack.workers, stack.server.pid
    for mode in args.modes:
        files = [unique[i % len(unique)] for i in range(args.count)]
        folder = work / "in" / mode
        copy_tagged(files, folder, mode, names)
        if mode == "fanout":
            while len(workers) < args.workers:
                workers.append(start_worker(pool, f"worker-{len(workers) + 1}", work / f"worker-{len(workers) + 1}.log"))
            await asyncio.sleep(5)
            await set_limit(2)
        print(f"{mode}: process_folder over {args.count} documents ({len(unique)} unique) ...", flush=True)
        curve = Curve(mode, server, workers if mode == "fanout" else [], FROM if args.tracemalloc else None)
        table, figure = await run_mode(curve, relay, folder, work / "out" / mode, concurrency=args.concurrency, per_run=args.per_run)
        tables.append(table)
        figures.append(figure)
    return tables, figures


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="documents per mode (default 2000)")
    parser.add_argument("--unique", type=int, default=150, help="distinct pages among them (default 150)")
    parser.add_argument("--concurrency", type=int, default=4, help="documents in flight (default 4)")
    parser.add_argument("--modes", default="local,fanout", help="local and/or fanout, in this order (default both)")
    parser.add_argument("--per-run", type=int, default=20, help="documents per flow run of the fan-out (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="process workers of the fan-out (default 2)")
    parser.add_argument("--tracemalloc", action="store_true", help=f"diff tracemalloc snapshots of documents {FROM} and the last")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not set(args.modes) <= {"local", "fanout"} or args.count < FROM:
        parser.error(f"--modes takes local and/or fanout; --count must be >= {FROM}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if (environment := benchmark_environment("coordinator-memory-", "RSS")) is None:
        return 0
    work, port, models = environment
    from long_batch_memory import make_documents

    began = time.perf_counter()
    pool = f"iris-benchmark-{uuid.uuid4().hex[:6]}"
    try:
        print(f"work folder {work}; generating {args.unique} documents ...", flush=True)
        unique = make_documents(work / "docs", args.unique)
        with running_stack(work, port, models, pool if "fanout" in args.modes else None) as stack:
            load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
            print(f"coordinator memory: {args.count} documents per mode, {args.unique} unique pages; "
                  f"{len(os.sched_getaffinity(0))} cores; concurrency {args.concurrency}; fan-out {args.per_run} per run, "
                  f"limit 2, {args.workers} workers; load average at start {load}", flush=True)
            tables, figures = asyncio.run(run_all(args, work, unique, stack, pool))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    wall = time.perf_counter() - began
    print(f"\nthe whole run took {wall / 60:.1f} min" + (f"; work folder kept: {work}" if args.keep else ""))
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                                         "modes": figures, "tables": tables, "wall_seconds": round(wall, 1)}, indent=1, default=str))
        print(f"JSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
