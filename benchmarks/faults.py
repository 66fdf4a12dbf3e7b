"""The fault suite of issue 13: `iris batch` over a fresh folder of generated documents while one fault is injected,
and a table of what it cost: documents lost, duplicated, quarantined, whether a re-run was needed, time to recover.

Everything runs on this machine and is private to the run:
- session bearer tokens (IRIS_API_TOKEN, IRIS_ADMIN_TOKEN) unless the environment has them;
- the four services on free ports (tests/service_processes.py `start_all`), on a COPY of the models folder `iris
  setup` prepared (the fuzz scenario sends malformed /train requests), IRIS_HOME under the work folder;
- a Prefect server (`prefect server start` on a free port, SQLite under a temporary PREFECT_HOME), with the zombie
  automation of deployments/automations created by `iris_cli.deploy.ensure_zombie_automation`
  (IRIS_ZOMBIE_AFTER_SECONDS, --zombie-after, default 45 s here; 90 s in the file); the batches send heartbeats
  (PREFECT_FLOWS_HEARTBEAT_FREQUENCY=30, set by the CLI for a lasting server);
- each scenario a fresh folder of --docs (default 12) docgen documents (long_batch_memory.py `make_documents`: receipts,
  invoices, forms; en/es; clean, flatbed, fax, rotated), its own IRIS_HOME (cold task cache, its own breaker file),
  and `python -m iris_cli.main batch <folder> --out <out>` in a subprocess, with IRIS_OUTAGE_BUDGET_SECONDS=600 and
  CIRCUIT_BREAKER_RECOVERY_TIMEOUT=15 (--recovery).

Scenarios (--only picks some, by name):
  baseline   no fault (the batch time the others compare with)
  kill       ocr-extractor SIGKILLed after the 3rd result, restarted 25 s later (--down) on the same port
  pause      ocr-extractor SIGSTOPped for 30 s (--pause) with OCR_EXTRACTOR_TIMEOUT=10, then SIGCONT
  storm      50 % of the POSTs to ocr-extractor answered 503 SVC001 (tests/flows/flaky_proxy.py) for the whole batch
  zombie     the batch process SIGKILLed after the 3rd result; its flow run must turn Crashed; `iris batch` again
  prefect    the Prefect server stopped after the 3rd result and started again 5 s (--prefect-gap) later on the same port and
             database; a re-run only if the batch did not finish its documents
  fuzz       benchmarks/fuzz_requests.py: 600 malformed requests over the nine POST endpoints (0 crashes, 0 5xx,
             every error VAL001 with a 4xx)

The columns
- lost: found, but with neither a result JSON nor a quarantine record at the end (after the re-run, if any);
- duplicated: documents whose result JSON was written more than once (an mtime change seen by the watcher, which
  polls the output every 0.3 s over all the scenario's runs), plus manifest rows beyond one per document;
- quarantined: quarantine records left at the end;
- re-run: whether the first `iris batch` left documents without a result (or failed);
- recover s: from the fault's end (service healthy again, SIGCONT, Prefect server healthy again) to the end of the
  batch; for the zombie, from the kill to the run's Crashed state; for the storm, the batch's extra time over the
  baseline.

    flock /tmp/iris-cpu.lock .venv/bin/python benchmarks/faults.py                 # all (~15-20 min on 2 cores)
    flock /tmp/iris-cpu.lock .venv/bin/python benchmarks/faults.py --only kill,pause --keep

Exit status 1 when a row misses the goal (0 lost, 0 duplicated, 0 quarantined, no re-run; the zombie row: Crashed
and 0 lost / 0 duplicated after its re-run; the fuzz row: its assertions). Linux only (signals, /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from fuzz_requests import copied_models, fuzz  # noqa: E402
from long_batch_memory import make_documents  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse, Response  # noqa: E402

from iris_cli.table import render_table  # noqa: E402
from tests.flows.flaky_proxy import FlakyProxy, _error  # noqa: E402
from tests.service_processes import ServiceProcess, free_port, session_tokens, start_all  # noqa: E402

SCENARIOS = ("baseline", "kill", "pause", "storm", "zombie", "prefect", "fuzz")
MID_BATCH = 3  # the fault is injected once this many results are written
POLL = 0.3
BATCH_TIMEOUT = 1500.0  # a batch that waits out part of the 600 s outage budget still ends within this


@dataclass
class Row:
    scenario: str
    fault: str
    documents: int = 0
    lost: int | str = "-"
    duplicated: int | str = "-"
    quarantined: int | str = "-"
    rerun: str = "-"
    recover: float | str | None = None
    batch_seconds: float | None = None
    note: str = ""
    goal_met: bool = False

    def cells(self) -> list[Any]:
        recover = f"{self.recover:.0f}" if isinstance(self.recover, float) else (self.recover or "-")
        return [self.scenario, self.fault, self.documents, self.lost, self.duplicated, self.quarantined, self.rerun, recover,
                f"{self.batch_seconds:.0f}" if self.batch_seconds is not None else "-", "yes" if self.goal_met else "NO",
                self.note]


HEADERS = ["scenario", "fault", "docs", "lost", "duplicated", "quarantined", "re-run", "recover s", "batch s", "goal", "notes"]


# --- the Prefect server ----------------------------------------------------------------------------------------

@dataclass
class PrefectServer:
    """`prefect server start` on a fixed port with its SQLite database under `home`; can be stopped and started
    again on the same port and database."""

    home: Path
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self, timeout: float = 180.0) -> None:
        env = {**os.environ, "PREFECT_HOME": str(self.home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
               "PREFECT_UI_ENABLED": "false", "PREFECT_SERVER_UI_ENABLED": "false"}
        env.pop("PREFECT_API_URL", None)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port",
                                          str(self.port)], stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the Prefect server exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"the Prefect server did not answer within {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        """SIGTERM to the server's process group (this script started it in its own session), SIGKILL after 20 s."""
        if not self.proc or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


# --- a 50 % 503 storm ------------------------------------------------------------------------------------------

class StormProxy(FlakyProxy):
    """tests/flows/flaky_proxy.py's proxy, answering a random `rate` of the POSTs with 503 SVC001 (seeded)."""

    def __init__(self, target: str, rate: float, seed: int = 13) -> None:
        super().__init__(target)
        self.rate, self.rng, self.injected = rate, random.Random(seed), 0

    async def _handle(self, request: Request) -> Response:
        if request.method == "POST" and self.rng.random() < self.rate:
            self.injected += 1
            self.seen_posts += 1
            return JSONResponse(status_code=503, content=_error("SVC001", "503 storm", retryable=True))
        return await super()._handle(request)


# --- watching a batch ------------------------------------------------------------------------------------------

@dataclass
class Watch:
    """The output folder of one scenario, polled: every result JSON's mtimes (a second one = written twice)."""

    inbox: Path
    outbox: Path
    writes: dict[Path, set[int]] = field(default_factory=dict)

    def results(self) -> list[Path]:
        if not self.outbox.is_dir():
            return []
        return [p for p in self.outbox.rglob("*.json") if not p.relative_to(self.outbox).parts[0].startswith("_")]

    def poll(self) -> int:
        found = self.results()
        for path in found:
            try:
                self.writes.setdefault(path, set()).add(path.stat().st_mtime_ns)
            except FileNotFoundError:
                pass
        return len(found)

    def quarantined(self) -> list[Path]:
        return list((self.outbox / "_quarantine").rglob("*.error.json")) if (self.outbox / "_quarantine").is_dir() else []

    def documents(self) -> list[Path]:
        return sorted(p for p in self.inbox.rglob("*") if p.is_file())

    def missing(self) -> list[Path]:
        """Documents without a result yet (quarantined ones included)."""
        return [d for d in self.documents() if not self.outbox.joinpath(d.relative_to(self.inbox).parent, d.name + ".json").is_file()]

    def lost(self) -> list[Path]:
        quarantine = self.outbox / "_quarantine"
        return [d for d in self.missing() if not quarantine.joinpath(d.relative_to(self.inbox).parent, d.name + ".error.json").is_file()]

    def duplicated(self) -> int:
        twice = sum(1 for stamps in self.writes.values() if len(stamps) > 1)
        manifest = self.outbox / "_batch" / "manifest.jsonl"
        lines = manifest.read_text().splitlines() if manifest.is_file() else []
        rows = Counter(json.loads(line)["file"] for line in lines if line.strip())
        return twice + sum(n - 1 for n in rows.values() if n > 1)


@dataclass
class Suite:
    work: Path
    services: dict[str, ServiceProcess]
    prefect: PrefectServer
    models: Path
    docs: int
    recovery: float
    baseline_seconds: float | None = None

    def folder(self, name: str) -> Watch:
        """A fresh folder of `docs` documents. make_documents always uses seeds 1000 + i: each scenario's own
        IRIS_HOME (`batch_env`) keeps its task cache cold, so every phase really calls the services."""
        inbox = self.work / f"inbox-{name}-{uuid.uuid4().hex[:6]}"
        make_documents(inbox, self.docs)
        return Watch(inbox, self.work / f"out-{name}")

    def batch_env(self, name: str, extra: dict[str, str] | None = None) -> dict[str, str]:
        home = self.work / f"home-{name}"
        home.mkdir(exist_ok=True)
        env = {**os.environ, **{svc.env_var: svc.url for svc in self.services.values()}, "IRIS_HOME": str(home),
               "IRIS_MODELS_DIR": str(self.models), "PREFECT_API_URL": self.prefect.api_url,
               "PREFECT_HOME": str(self.work / "prefect-client"), "IRIS_OUTAGE_BUDGET_SECONDS": "600",
               "CIRCUIT_BREAKER_RECOVERY_TIMEOUT": str(self.recovery), "PREFECT_LOGGING_LEVEL": "INFO"}
        return {**env, **(extra or {})}

    def start_batch(self, name: str, watch: Watch, env: dict[str, str], run: int = 1) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.work / f"batch-{name}-{run}.log"
        out = log.open("ab")
        proc = subprocess.Popen([sys.executable, "-m", "iris_cli.main", "batch", str(watch.inbox), "--out", str(watch.outbox)],
                                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        return proc, log

    def wait_results(self, watch: Watch, proc: subprocess.Popen[bytes], count: int, timeout: float = 600.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if watch.poll() >= count:
                return True
            if proc.poll() is not None:
                return False
            time.sleep(POLL)
        return False

    def wait_batch(self, watch: Watch, proc: subprocess.Popen[bytes], timeout: float = BATCH_TIMEOUT) -> int:
        deadline = time.monotonic() + timeout
        while proc.poll() is None and time.monotonic() < deadline:
            watch.poll()
            time.sleep(POLL)
        if proc.poll() is None:
            proc.kill()
        watch.poll()
        return proc.wait()

    def finish_row(self, row: Row, watch: Watch, first_missing: int, rc: int) -> Row:
        row.documents = len(watch.documents())
        row.lost = len(watch.lost())
        row.duplicated = watch.duplicated()
        row.quarantined = len(watch.quarantined())
        row.rerun = "yes" if first_missing or rc not in (0,) else "no"
        row.goal_met = row.lost == 0 and row.duplicated == 0 and row.quarantined == 0 and row.rerun == "no"
        return row

    # --- scenarios ---------------------------------------------------------------------------------------------

    def baseline(self) -> Row:
        watch = self.folder("baseline")
        proc, log = self.start_batch("baseline", watch, self.batch_env("baseline"))
        began = time.monotonic()
        rc = self.wait_batch(watch, proc)
        self.baseline_seconds = time.monotonic() - began
        row = Row("baseline", "none", batch_seconds=self.baseline_seconds, note=f"exit {rc}")
        return self.finish_row(row, watch, len(watch.missing()), rc)

    def kill(self, down: float) -> Row:
        watch = self.folder("kill")
        ocr = self.services["ocr-extractor"]
        proc, log = self.start_batch("kill", watch, self.batch_env("kill"))
        began = time.monotonic()
        row = Row("kill", f"ocr-extractor SIGKILL, restarted after {down:.0f} s")
        if not self.wait_results(watch, proc, MID_BATCH):
            row.note = "the batch ended before the fault"
            return self.finish_row(row, watch, len(watch.missing()), self.wait_batch(watch, proc))
        assert ocr.proc is not None
        ocr.proc.kill()
        ocr.proc.wait(10)
        killed_at = watch.poll()
        self._sleep_watching(watch, down)
        ocr.start()
        ocr.wait_healthy(300)
        back = time.monotonic()
        rc = self.wait_batch(watch, proc)
        row.recover, row.batch_seconds = time.monotonic() - back, time.monotonic() - began
        row.note = f"killed at {killed_at} results; back (healthy) {back - began:.0f} s into the batch; exit {rc}"
        return self.finish_row(row, watch, len(watch.missing()), rc)

    def pause(self, paused: float) -> Row:
        watch = self.folder("pause")
        ocr = self.services["ocr-extractor"]
        proc, log = self.start_batch("pause", watch, self.batch_env("pause", {"OCR_EXTRACTOR_TIMEOUT": "10"}))
        began = time.monotonic()
        row = Row("pause", f"ocr-extractor SIGSTOP {paused:.0f} s (timeout 10 s), SIGCONT")
        if not self.wait_results(watch, proc, MID_BATCH):
            row.note = "the batch ended before the fault"
            return self.finish_row(row, watch, len(watch.missing()), self.wait_batch(watch, proc))
        assert ocr.proc is not None
        os.kill(ocr.proc.pid, signal.SIGSTOP)
        try:
            self._sleep_watching(watch, paused)
        finally:
            os.kill(ocr.proc.pid, signal.SIGCONT)
        resumed = time.monotonic()
        rc = self.wait_batch(watch, proc)
        row.recover, row.batch_seconds = time.monotonic() - resumed, time.monotonic() - began
        row.note = f"exit {rc}"
        return self.finish_row(row, watch, len(watch.missing()), rc)

    def storm(self, rate: float = 0.5) -> Row:
        watch = self.folder("storm")
        ocr = self.services["ocr-extractor"]
        with StormProxy(ocr.url, rate) as proxy:
            proc, log = self.start_batch("storm", watch, self.batch_env("storm", {"OCR_EXTRACTOR_URL": proxy.url}))
            began = time.monotonic()
            rc = self.wait_batch(watch, proc)
            seconds = time.monotonic() - began
        row = Row("storm", f"{rate:.0%} of ocr-extractor POSTs 503", batch_seconds=seconds,
                  note=f"{proxy.injected} of {proxy.seen_posts} POSTs answered 503; exit {rc}")
        if self.baseline_seconds is not None:
            row.recover = f"+{seconds - self.baseline_seconds:.0f} vs baseline"
        return self.finish_row(row, watch, len(watch.missing()), rc)

    def zombie(self, zombie_after: float) -> Row:
        from iris_cli.deploy import ensure_zombie_automation

        watch = self.folder("zombie")
        env = self.batch_env("zombie", {"IRIS_ZOMBIE_AFTER_SECONDS": str(zombie_after)})
        ensure_zombie_automation(env)
        proc, log = self.start_batch("zombie", watch, env)
        began = time.monotonic()
        row = Row("zombie", f"iris batch SIGKILL (automation {zombie_after:.0f} s)")
        if not self.wait_results(watch, proc, MID_BATCH):
            row.note = "the batch ended before the fault"
            return self.finish_row(row, watch, len(watch.missing()), self.wait_batch(watch, proc))
        proc.kill()
        proc.wait(10)
        killed = time.monotonic()
        name = f"batch-{watch.inbox.name}"
        state = run_states(name)
        crashed_after = None
        while time.monotonic() - killed < zombie_after + 180:
            state = run_states(name)
            if state and state[0] == "Crashed":
                crashed_after = time.monotonic() - killed
                break
            time.sleep(2)
        watch.poll()
        missing = len(watch.missing())
        again, log2 = self.start_batch("zombie", watch, env, run=2)
        rerun_began = time.monotonic()
        rc = self.wait_batch(watch, again)
        row.batch_seconds = time.monotonic() - began
        row.recover = crashed_after if crashed_after is not None else f"not Crashed ({state})"
        row.note = (f"Crashed {crashed_after:.0f} s after the kill" if crashed_after is not None else f"state {state}")
        row.note += f"; {missing} left, re-run {time.monotonic() - rerun_began:.0f} s, exit {rc}"
        self.finish_row(row, watch, missing, rc)
        # a killed batch needs its re-run by nature: the goal is Crashed, then nothing lost or written twice
        row.goal_met = crashed_after is not None and row.lost == 0 and row.duplicated == 0 and row.quarantined == 0
        return row

    def prefect_restart(self, gap: float = 5.0) -> Row:
        watch = self.folder("prefect")
        env = self.batch_env("prefect")
        proc, log = self.start_batch("prefect", watch, env)
        began = time.monotonic()
        row = Row("prefect", f"Prefect server stopped, started again after {gap:.0f} s")
        if not self.wait_results(watch, proc, MID_BATCH):
            row.note = "the batch ended before the fault"
            return self.finish_row(row, watch, len(watch.missing()), self.wait_batch(watch, proc))
        stopped = time.monotonic()
        self.prefect.stop()
        self._sleep_watching(watch, gap)
        self.prefect.start()
        back = time.monotonic()
        rc = self.wait_batch(watch, proc)
        ended = time.monotonic()
        missing = len(watch.missing())
        row.recover, row.batch_seconds = ended - back, ended - began
        row.note = f"server down {back - stopped:.0f} s; first run exit {rc}, {missing} left"
        if missing or rc != 0:
            again, _ = self.start_batch("prefect", watch, env, run=2)
            rc2 = self.wait_batch(watch, again)
            row.note += f"; re-run exit {rc2}"
        # the client's own retries are logged at DEBUG only; the events websocket warns when it cannot reconnect
        dropped = log.read_text(errors="replace").count("failed to process item")
        row.note += f"; {dropped} event(s) the events client gave up on"
        return self.finish_row(row, watch, missing, rc)

    def fuzz(self, count: int) -> Row:
        report = fuzz({name: svc.url for name, svc in self.services.items()}, count=count, log=sys.stdout)
        (self.work / "fuzz.txt").write_text(report.summary())
        worst = report.worst
        row = Row("fuzz", f"{count} malformed requests, 9 POST endpoints", documents=0, rerun="no",
                  note=(f"crashes {report.crashes}, 5xx {report.server_errors}, not VAL001/4xx "
                        f"{len(report.problems) - report.crashes - report.server_errors}; worst {worst.seconds:.2f} s "
                        f"({worst.endpoint})" if worst else "no requests"))
        row.goal_met = report.ok
        print(report.summary(), flush=True)
        return row

    def _sleep_watching(self, watch: Watch, seconds: float) -> None:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            watch.poll()
            time.sleep(POLL)


def run_states(name: str) -> list[str]:
    """States of the flow runs named `name` (newest first) on the server PREFECT_API_URL names."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    async def read() -> list[str]:
        async with get_client() as client:
            runs = await client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])),
                                               sort=FlowRunSort.START_TIME_DESC)
        return [r.state.name if r.state else "" for r in runs]

    return asyncio.run(read())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(SCENARIOS), help=f"comma-separated, of {', '.join(SCENARIOS)}")
    parser.add_argument("--docs", type=int, default=12, help="documents per scenario (default 12)")
    parser.add_argument("--recovery", type=float, default=15.0, help="CIRCUIT_BREAKER_RECOVERY_TIMEOUT of the batches (15)")
    parser.add_argument("--down", type=float, default=25.0, help="seconds the killed ocr-extractor stays down (25)")
    parser.add_argument("--pause", type=float, default=30.0, help="seconds the ocr-extractor stays SIGSTOPped (30)")
    parser.add_argument("--prefect-gap", type=float, default=5.0, help="seconds the Prefect server stays stopped (5)")
    parser.add_argument("--zombie-after", type=float, default=45.0, help="IRIS_ZOMBIE_AFTER_SECONDS of the automation (45)")
    parser.add_argument("--fuzz", type=int, default=600, help="malformed requests of the fuzz scenario (600)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (batches' logs, outputs, services' logs)")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    if unknown := set(chosen) - set(SCENARIOS):
        parser.error(f"unknown scenarios {sorted(unknown)}")
    from iris_common.settings import ServiceSettings

    models = ServiceSettings().models_dir
    if not models.is_dir():
        print(f"cannot run: no models under {models} (run .venv/bin/iris setup)")
        return 0
    session_tokens()  # the services require them; the batches and the fuzzer send them (from the environment)
    work = Path(tempfile.mkdtemp(prefix="iris-faults-"))
    (work / "logs").mkdir()
    began = time.monotonic()
    prefect = PrefectServer(work / "prefect-server", work / "logs" / "prefect.log")
    services: dict[str, ServiceProcess] = {}
    rows: list[Row] = []
    try:
        print(f"work folder {work}; starting the Prefect server and the four services ...", flush=True)
        prefect.home.mkdir()
        prefect.start()
        # this process reads flow-run states from the same server
        os.environ.update({"PREFECT_API_URL": prefect.api_url, "PREFECT_HOME": str(work / "prefect-client")})
        copy = copied_models(models, work)
        services = start_all(work / "logs", {"IRIS_MODELS_DIR": str(copy), "IRIS_HOME": str(work / "services-home")})
        suite = Suite(work, services, prefect, copy, args.docs, args.recovery)
        print(f"ready in {time.monotonic() - began:.0f} s: Prefect {prefect.api_url}; " +
              ", ".join(f"{n} {s.url}" for n, s in services.items()), flush=True)
        runs = {"baseline": suite.baseline, "kill": lambda: suite.kill(args.down), "pause": lambda: suite.pause(args.pause),
                "storm": suite.storm, "zombie": lambda: suite.zombie(args.zombie_after),
                "prefect": lambda: suite.prefect_restart(args.prefect_gap),
                "fuzz": lambda: suite.fuzz(args.fuzz)}
        for name in [s for s in SCENARIOS if s in chosen]:
            started = time.monotonic()
            print(f"--- {name} ...", flush=True)
            try:
                row = runs[name]()
            except Exception as exc:  # one broken scenario must not hide the others' rows
                row = Row(name, "error", note=f"{type(exc).__name__}: {exc}"[:300])
            rows.append(row)
            print(render_table(HEADERS, [row.cells()]), f"\n({time.monotonic() - started:.0f} s)", flush=True)
    finally:
        for svc in services.values():
            if svc.proc and svc.proc.poll() is None:
                os.kill(svc.proc.pid, signal.SIGCONT)  # a paused one cannot terminate
            svc.stop()
        prefect.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nfault suite: {args.docs} generated documents per scenario, IRIS_OUTAGE_BUDGET_SECONDS=600, "
          f"CIRCUIT_BREAKER_RECOVERY_TIMEOUT={args.recovery:g}, {len(os.sched_getaffinity(0))} cores; "
          f"{(time.monotonic() - began) / 60:.1f} min" + (f"; work folder kept: {work}" if args.keep else ""))
    print(render_table(HEADERS, [r.cells() for r in rows]))
    return 0 if all(r.goal_met for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
