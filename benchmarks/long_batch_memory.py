"""Memory over a long batch: RSS of every process from document 1 to document N of `iris batch` (issue 11's
"RSS growth <= 5 % from document 100 to document 1,000 of a long batch" and "the four services <= 3 GB peak").

In one run this benchmark
- generates N (--count, default 1000) distinct small documents with docgen (services/docgen, as
  batch_throughput.py's generated folder): receipts (JPEG, 560x661), invoices and forms (A4 at 150 dpi scaled by
  A4_SCALE to 744x1052; PNG when clean or fax, JPEG otherwise) in turn, English and Spanish, scan variants clean,
  flatbed, fax, rotated; every document its own seed, so every content hash differs and no phase is a cache hit;
- starts its OWN four services on free ports (tests/service_processes.py `start_all`, the command `iris up` uses),
  on the models `iris setup` prepared (IRIS_MODELS_DIR = the models dir of the calling environment) with a
  private IRIS_HOME under the work folder, and Prefect's temporary server (PREFECT_API_URL removed, PREFECT_HOME
  under the work folder; batch_throughput.py `start_prefect`); the services on 8001-8004 are not used;
- runs `process_folder` over the folder as `iris batch` does (batch_throughput.py `batch_folder`), cold cache
  (task results under the private IRIS_HOME), while a thread samples VmRSS of each service, of the Prefect server
  and of this process (the flow process) every --interval seconds (default 2); the flow's progress listener
  (iris_flows.folder_flow.add_progress_listener) gives the time each document was done.

The numbers
- RSS at document d: the first sample taken after the d-th document was done (a point), for d = 1, 50, 100, 200,
  300, ..., N. Several documents are in flight at any time, so a point carries their buffers; "median" is the
  median of the samples taken while documents d-WINDOW+1 .. d were done (the level, not the noise).
- growth 100 -> N: (RSS at N - RSS at 100) / RSS at 100, per process and for the four services' sum, from the
  points and from the medians; issue 11's target is <= 5 % for the services.
- peak: VmHWM, reset (/proc/<pid>/clear_refs) just before the batch starts, so model loading is not counted;
  "sum of peaks" (an upper bound of the peak of the sum) and the largest sampled sum; target <= 3,000 MB.
- docs/min: N / the batch's wall seconds x 60; the ledger is process_folder's (found = succeeded + failed + skipped).

    flock /tmp/iris-cpu.lock .venv/bin/python benchmarks/long_batch_memory.py --count 60        # check (~3 min)
    flock /tmp/iris-cpu.lock .venv/bin/python benchmarks/long_batch_memory.py --json /tmp/lbm.json  # 1000 (~30 min)

On 2 cores the 1000 documents take ~4 min to generate and ~26 min through the batch (38.5 docs/min, the machine
shared with a test run); the services' start-up and Prefect's temporary server ~1 min.

Options: --count N, --concurrency C (default IRIS_CONCURRENCY: two per core), --interval S, --json PATH (every
sample, the documents' completion times and the table's figures), --keep (keep the work folder: documents, result
JSONs, the services' logs; its path is printed). Linux only (/proc).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
from _measure import proc_kb, reset_peak  # noqa: E402

SERVICES = ("image-processor", "ml-embeddings", "ml-classifier", "ocr-extractor")
FLOW, PREFECT = "flow process", "prefect"
KINDS = ("receipt", "invoice", "form")
VARIANTS = ("clean", "flatbed", "fax", "rotated")  # light ones: small files, ordinary OCR time
A4_SCALE = 0.6  # invoices and forms: A4 at 150 dpi (1240x1754) scaled to 744x1052, text still ~15 px high
PNG_VARIANTS = ("clean", "fax")  # invoices and forms in these as PNG (they compress well); the others as JPEG
WINDOW = 20  # documents per median level
SUM = "4 services"


# --- documents -------------------------------------------------------------------------------------------------

def make_documents(folder: Path, count: int) -> list[Path]:
    """`count` docgen documents, kinds, languages and variants in turn, seeds 1000 + i (all distinct)."""
    import cv2

    import docgen

    folder.mkdir(parents=True)
    files = []
    for i in range(count):
        kind, lang, variant = KINDS[i % len(KINDS)], ("en", "es")[(i // len(KINDS)) % 2], VARIANTS[(i // 2) % len(VARIANTS)]
        image = docgen.render(kind, seed=1000 + i, lang=lang, variant=variant).image
        if kind != "receipt" and A4_SCALE != 1.0:
            image = cv2.resize(image, None, fx=A4_SCALE, fy=A4_SCALE, interpolation=cv2.INTER_AREA)
        suffix = "png" if kind != "receipt" and variant in PNG_VARIANTS else "jpg"
        path = folder / f"{i:04d}-{kind}-{lang}-{variant}.{suffix}"
        cv2.imwrite(str(path), image)
        files.append(path)
    return files


# --- sampling --------------------------------------------------------------------------------------------------

@dataclass
class Sampler:
    """VmRSS (MB) of named processes every `interval` s in a thread, with the documents done at that moment."""

    pids: dict[str, int]
    interval: float
    started: float = field(default_factory=time.monotonic)
    samples: list[dict[str, Any]] = field(default_factory=list)
    done_at: list[float] = field(default_factory=list)  # seconds since start at which document k+1 was done
    outcomes: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def listener(self, done: int, total: int, file: str, outcome: str) -> None:
        self.done_at.append(round(time.monotonic() - self.started, 3))
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    def sample(self) -> None:
        rss = {name: (round(kb / 1024, 1) if (kb := proc_kb(pid, "VmRSS")) is not None else None) for name, pid in self.pids.items()}
        self.samples.append({"t": round(time.monotonic() - self.started, 3), "done": len(self.done_at), "rss_mb": rss})

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> Sampler:
        self.started = time.monotonic()
        self.sample()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.sample()


def services_sum(rss: dict[str, float | None]) -> float | None:
    values = [rss.get(name) for name in SERVICES]
    return round(sum(values), 1) if all(v is not None for v in values) else None  # type: ignore[arg-type]


def at_document(sampler: Sampler, d: int) -> dict[str, Any] | None:
    """The first sample taken after the d-th document was done."""
    if d > len(sampler.done_at):
        return None
    when = sampler.done_at[d - 1]
    return next((s for s in sampler.samples if s["t"] >= when), None)


def level(sampler: Sampler, d: int, name: str) -> float | None:
    """Median RSS of `name` (or SUM) over the samples taken while documents d-WINDOW+1 .. d were done."""
    low = max(1, d - WINDOW + 1)
    values = [services_sum(s["rss_mb"]) if name == SUM else s["rss_mb"].get(name)
              for s in sampler.samples if low <= s["done"] <= d]
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 1) if values else None


def milestones(count: int) -> list[int]:
    return sorted({d for d in (1, 50, *range(100, count + 1, 100), count) if d <= count})


def growth(a: float | None, b: float | None) -> float | None:
    return round(100 * (b - a) / a, 1) if a and b is not None else None


# --- the run ---------------------------------------------------------------------------------------------------

async def batch(folder: Path, out: Path, home: Path, pids: dict[str, int], concurrency: int, interval: float) -> dict[str, Any]:
    from batch_throughput import batch_folder, start_prefect

    from iris_flows.folder_flow import add_progress_listener

    print("starting Prefect's temporary server ...", flush=True)
    prefect_pid = await start_prefect(home)
    watched = {**pids, FLOW: os.getpid(), **({PREFECT: prefect_pid} if prefect_pid else {})}
    if prefect_pid is None:
        print("(the Prefect server's pid was not found: its RSS is not measured)", flush=True)
    sampler = Sampler(watched, interval)
    add_progress_listener(sampler.listener)
    reset = {name: reset_peak(pid) for name, pid in watched.items()}
    hwm_before = {name: (round(kb / 1024, 1) if (kb := proc_kb(pid, "VmHWM")) is not None else None) for name, pid in watched.items()}
    print(f"process_folder over {folder} (concurrency {concurrency}) ...", flush=True)
    began = time.perf_counter()
    with sampler:
        state = await batch_folder(folder, out, concurrency)
    seconds = time.perf_counter() - began
    peaks = {name: (round(kb / 1024, 1) if (kb := proc_kb(pid, "VmHWM")) is not None else None) for name, pid in watched.items()}
    summary = await state.aresult() if state.is_completed() else None
    return {"sampler": sampler, "seconds": round(seconds, 1), "peaks": peaks, "peak_reset": reset, "hwm_after_reset": hwm_before,
            "state": f"{state.name}: {state.message}", "summary": summary, "pids": watched}


def report(run: dict[str, Any], count: int, header: str) -> tuple[str, dict[str, Any]]:
    from iris_cli.table import render_table

    sampler: Sampler = run["sampler"]
    names = [n for n in (*SERVICES, PREFECT, FLOW) if n in run["pids"]]
    columns = [*names[:len(SERVICES)], SUM, *names[len(SERVICES):]]
    done = len(sampler.done_at)
    marks = [d for d in milestones(count) if d <= done]

    def value(sample: dict[str, Any] | None, name: str) -> float | None:
        if sample is None:
            return None
        return services_sum(sample["rss_mb"]) if name == SUM else sample["rss_mb"].get(name)

    def fmt(v: float | None, spec: str = ".0f") -> str:
        return "-" if v is None else format(v, spec)

    curve = {d: {"t": (s := at_document(sampler, d)) and s["t"], **{n: value(s, n) for n in columns}} for d in marks}
    levels = {d: {n: level(sampler, d, n) for n in columns} for d in marks}
    rows = [[d, fmt(curve[d]["t"], ".0f"), *[fmt(curve[d][n]) for n in columns]] for d in marks]
    out = [header, "", f"RSS (MB) after document d (the first sample after it was done; t = seconds into the batch):",
           render_table(["doc", "t s", *columns], rows)]
    out += ["", f"median RSS (MB) over the samples while documents d-{WINDOW - 1}..d were done:",
            render_table(["doc", *columns], [[d, *[fmt(levels[d][n]) for n in columns]] for d in marks])]
    first, last = (100 if 100 in marks else (marks[0] if marks else None)), (marks[-1] if marks else None)
    figures: dict[str, Any] = {"from": first, "to": last, "growth_point_pct": {}, "growth_median_pct": {}}
    if first and last and last > first:
        for n in columns:
            figures["growth_point_pct"][n] = growth(curve[first][n], curve[last][n])
            figures["growth_median_pct"][n] = growth(levels[first][n], levels[last][n])
        out += ["", f"growth from document {first} to {last} (target for the services <= 5 %):",
                render_table(["", *columns], [["points", *[fmt(figures["growth_point_pct"][n], "+.1f") + " %" for n in columns]],
                                             ["medians", *[fmt(figures["growth_median_pct"][n], "+.1f") + " %" for n in columns]]])]
    sums = [v for s in sampler.samples if (v := services_sum(s["rss_mb"])) is not None]
    peaks = run["peaks"]
    peak_values = [peaks.get(n) for n in SERVICES]
    sum_of_peaks = round(sum(peak_values), 1) if all(v is not None for v in peak_values) else None  # type: ignore[arg-type]
    figures.update({"peak_mb": peaks, "sum_of_service_peaks_mb": sum_of_peaks, "max_sampled_sum_mb": max(sums) if sums else None,
                    "peak_reset": run["peak_reset"]})
    out += ["", "peak RSS (MB) during the batch (VmHWM reset at its start" + ("" if all(run["peak_reset"].values()) else
            ", NOT reset for some: peaks since start") + "); the sum of the four peaks bounds the peak of the sum (target <= 3,000 MB):",
            render_table([*columns], [[fmt(peaks.get(n)) if n != SUM else f"{fmt(sum_of_peaks)} (sampled max {fmt(figures['max_sampled_sum_mb'])})"
                                       for n in columns]])]
    ledger = (run["summary"] or {}).get("ledger")
    rate = 60 * done / run["seconds"] if run["seconds"] else None
    figures.update({"documents_done": done, "seconds": run["seconds"], "docs_per_min": round(rate, 1) if rate else None,
                    "ledger": ledger, "outcomes": sampler.outcomes, "state": run["state"], "curve": curve, "levels": levels})
    out += ["", f"{done} documents in {run['seconds']:.0f} s = {fmt(rate, '.1f')} docs/min; ledger {ledger or run['state']}"]
    failures = (run["summary"] or {}).get("failures") or []
    for f in failures[:5]:
        out.append(f"failed: {Path(f['file']).name}: {f.get('code')}: {str(f.get('message'))[:200]}")
    return "\n".join(out), figures


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="documents in the batch (default 1000)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="documents in flight (as `iris batch --concurrency`; default IRIS_CONCURRENCY: two per core)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between RSS samples (default 2)")
    parser.add_argument("--json", type=Path, default=None, help="write every sample and figure here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (documents, results, services' logs)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path("/proc/self/status").is_file():
        print("cannot run: RSS is read from /proc (Linux only)")
        return 0
    from iris_common.settings import ClientSettings, ServiceSettings

    models = ServiceSettings().models_dir  # the calling environment's (iris setup's), before IRIS_HOME moves
    if not models.is_dir():
        print(f"cannot run: no models under {models} (run .venv/bin/iris setup)")
        return 0
    concurrency = args.concurrency or ClientSettings().concurrency
    work = Path(tempfile.mkdtemp(prefix="long-batch-memory-"))
    home = work / "home"
    (home / "logs").mkdir(parents=True)
    # everything private: the flow's task results (cold cache), Prefect's database, the services' state
    os.environ.pop("PREFECT_API_URL", None)
    os.environ.update({"IRIS_HOME": str(home), "PREFECT_HOME": str(work / "prefect"), "PREFECT_LOGGING_LEVEL": "WARNING",
                       "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    began = time.perf_counter()
    services: dict[str, Any] = {}
    try:
        print(f"work folder {work}; generating {args.count} documents ...", flush=True)
        files = make_documents(work / "docs", args.count)
        size = sum(f.stat().st_size for f in files)
        from tests.service_processes import start_all

        print("starting the four services ...", flush=True)
        services = start_all(home / "logs", {"IRIS_MODELS_DIR": str(models), "IRIS_HOME": str(home)})
        os.environ.update({svc.env_var: svc.url for svc in services.values()})
        pids = {name: svc.proc.pid for name, svc in services.items() if svc.proc}
        load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
        header = (f"long batch memory: {len(files)} generated documents ({', '.join(KINDS)} in turn; en/es; "
                  f"{', '.join(VARIANTS)}; {size / len(files) / 1024:.0f} KB each on average); "
                  f"{len(os.sched_getaffinity(0))} cores; concurrency {concurrency}; threads per model "
                  f"{ServiceSettings().cpu_threads}; RSS sampled every {args.interval:g} s; load average at start {load}")
        print(header, flush=True)
        run = asyncio.run(batch(work / "docs", work / "out", home, pids, concurrency, args.interval))
    finally:
        for svc in services.values():
            svc.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    table, figures = report(run, len(files), header)
    print(table)
    wall = time.perf_counter() - began
    print(f"\nthe whole run took {wall / 60:.1f} min" + (f"; work folder kept: {work}" if args.keep else ""))
    if args.json:
        sampler: Sampler = run["sampler"]
        body = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}, "concurrency": concurrency,
                "pids": run["pids"], "header": header, "figures": figures, "done_at": sampler.done_at, "samples": sampler.samples,
                "hwm_after_reset_mb": run["hwm_after_reset"], "table": table, "wall_seconds": round(wall, 1)}
        args.json.write_text(json.dumps(body, indent=1, default=str), encoding="utf-8")
        print(f"JSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
