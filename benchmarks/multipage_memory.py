"""Memory of a multi-page PDF through the pipeline: RSS of every service process and of the flow process.

Issue 10 asks that pages be processed with bounded memory (a 20-page scan must not hold 20 full-resolution
PNGs in base64 in several processes at once). In one run this benchmark
- generates a 20-page and a 5-page PDF from docgen pages (A4 at 150 dpi, so the image-processor renders them at
  200 dpi as 1654x2339 pages; kinds and scan variants mixed), in a temporary folder;
- starts its own four services and a Prefect server of its own (the `iris up` machinery, `iris_cli.local_stack`)
  under $IRIS_HOME, or uses running services at $IMAGE_PROCESSOR_URL, ... with --use-running;
- runs `process_document` on each PDF in a child process (a fresh IRIS_HOME for it, so no page is a cache hit)
  while sampling, every 0.2 s, VmRSS of each service, of the Prefect server and of the flow process; the peak is
  VmHWM, reset (/proc/<pid>/clear_refs) just before the run, so it is the true peak during the run, not the
  model-loading peak; the per-page /process answers are measured in the flow process (an httpx hook);
- then, for comparison, sends each PDF in ONE `POST /process` without a `page` field (every page decoded and
  returned at once) and measures the image-processor's peak RSS and the answer's size.
Prints the tables as plain text; --json OUT saves every figure. Exits 0 with a message when it cannot run
(models not prepared, a service or the Prefect server does not start).

    IRIS_HOME=/root/iris-D IRIS_CPU_THREADS=2 .venv/bin/python benchmarks/multipage_memory.py --base-port 9401 \
        [--pages 20 --small 5] [--json /tmp/multipage_memory.json] [--use-running]

$IRIS_HOME must hold the models `iris setup` prepared (a symlink to ~/.iris/models is enough; it is made when
missing). The services are stopped at the end (only those this run started).
"""

import argparse
import asyncio
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import proc_kb, reset_peak  # noqa: E402

MARK = "@@multipage-memory "
SAMPLE_SECONDS = 0.2
PAGE_SIZE = (1240, 1754)  # A4 at 150 dpi, as docgen's multi-page invoices
PDF_DPI = 150
VARIANTS = ("clean", "noisy", "flatbed", "rotated", "fax")  # what a scanner feeder produces


@dataclass
class Sampler:
    """Samples VmRSS of named processes every SAMPLE_SECONDS in a thread; keeps the max and a timeline."""

    pids: dict[str, int]
    maxima: dict[str, int] = field(default_factory=dict)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> "Sampler":
        self.started = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            row: dict[str, Any] = {"t": round(time.perf_counter() - self.started, 2)}
            for name, pid in self.pids.items():
                rss = proc_kb(pid, "VmRSS")
                if rss is not None:
                    row[name] = rss
                    self.maxima[name] = max(self.maxima.get(name, 0), rss)
            self.timeline.append(row)
            self._stop.wait(SAMPLE_SECONDS)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()


def snapshot(pids: dict[str, int], key: str = "VmRSS") -> dict[str, int | None]:
    return {name: proc_kb(pid, key) for name, pid in pids.items()}


@contextmanager
def measured(pids: dict[str, int]) -> Iterator[dict[str, Any]]:
    """Before / peak / after RSS (kB) of each process around the block; yields the dict it fills."""
    figures: dict[str, Any] = {"before": snapshot(pids)}
    figures["peak_reset"] = all(reset_peak(pid) for pid in pids.values())
    began = time.perf_counter()
    with Sampler(pids) as sampler:
        yield figures
    figures["seconds"] = round(time.perf_counter() - began, 2)
    hwm = snapshot(pids, "VmHWM")
    figures["after"] = snapshot(pids)
    figures["sampled_max"] = dict(sampler.maxima)
    # with the reset, VmHWM is the exact peak during the block; without it, only the 0.2 s samples are
    figures["peak"] = {}
    for name in pids:
        seen = [v for v in (hwm[name] if figures["peak_reset"] else None, sampler.maxima.get(name)) if v is not None]
        figures["peak"][name] = max(seen) if seen else None
    figures["timeline"] = sampler.timeline[:: max(1, len(sampler.timeline) // 400)]


# --- documents ---------------------------------------------------------------------------------------

def make_pdf(pages: int, seed: int) -> bytes:
    """A PDF of `pages` docgen pages, each on an A4 sheet at 150 dpi (kinds and scan variants mixed)."""
    import cv2
    import docgen
    from PIL import Image

    sheets = []
    for i in range(pages):
        kind = docgen.DOCUMENT_KINDS[i % len(docgen.DOCUMENT_KINDS)]
        image = docgen.render(kind, seed=seed + i, lang=("en", "es")[i % 2], variant=VARIANTS[i % len(VARIANTS)]).image
        page = Image.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        page.thumbnail(PAGE_SIZE)  # keeps the size unless a variant drew a larger page
        sheet = Image.new("RGB", PAGE_SIZE, (255, 255, 255))
        sheet.paste(page, ((PAGE_SIZE[0] - page.width) // 2, 0))
        sheets.append(sheet)
    out = io.BytesIO()
    sheets[0].save(out, format="PDF", save_all=True, append_images=sheets[1:], resolution=PDF_DPI)
    return out.getvalue()


# --- processes ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pid_listening_on(url: str) -> int | None:
    """The pid serving `url` on this machine (for --use-running), None when it cannot be found."""
    from urllib.parse import urlparse

    import psutil

    port = urlparse(url).port
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                return int(conn.pid)
    except psutil.AccessDenied:
        return None
    return None


def healthy_or_raise(services: list[Any], timeout: float) -> None:
    from iris_cli.local_stack import wait_until_up

    status = wait_until_up(services, timeout=timeout)
    if any(s != "healthy" for s in status.values()):
        raise RuntimeError(f"did not come up healthy: {status} (logs under {services[0].home / 'logs'})")


@contextmanager
def own_stack(home: Path, base_port: int) -> Iterator[dict[str, int]]:
    """The four services on base_port.. (free ports when 0) under `home`, stopped after; yields name -> pid."""
    from iris_cli.local_stack import LocalService, start, stop

    from iris_common.settings import SERVICE_NAMES

    ports = [base_port + i if base_port else free_port() for i in range(len(SERVICE_NAMES))]
    services = [LocalService(name, f"http://127.0.0.1:{port}", home) for name, port in zip(SERVICE_NAMES, ports)]
    os.environ.update({s.name.replace("-", "_").upper() + "_URL": s.url for s in services})
    try:
        pids = {svc.name: start(svc, {"IRIS_HOME": str(home)}) for svc in services}
        healthy_or_raise(services, timeout=300)
        yield pids
    finally:
        for svc in services:
            stop(svc)


@contextmanager
def running_stack() -> Iterator[dict[str, int]]:
    from iris_common.settings import SERVICE_NAMES, ClientSettings

    settings = ClientSettings()
    pids = {name: pid_listening_on(settings.url(name)) for name in SERVICE_NAMES}
    missing = [name for name, pid in pids.items() if pid is None]
    if missing:
        print(f"(no pid found for {', '.join(missing)}: their RSS is not measured)")
    yield {name: pid for name, pid in pids.items() if pid is not None}


@contextmanager
def private_prefect(home: Path, port: int) -> Iterator[tuple[str, int]]:
    """A Prefect server of our own (state under `home`); yields its API URL and pid."""
    from iris_cli.local_stack import LocalService, start, stop
    from iris_cli.prefect_env import local_prefect_env

    server = LocalService("prefect-server", f"http://127.0.0.1:{port}", home)
    env = {**local_prefect_env(), "PREFECT_HOME": str(home / "prefect"), "PREFECT_SERVER_API_PORT": str(port)}
    try:
        pid = start(server, env)
        healthy_or_raise([server], timeout=180)
        yield f"{server.url}/api", pid
    finally:
        stop(server)


def flow_run(pdf: Path, work: Path, api_url: str, pids: dict[str, int]) -> dict[str, Any]:
    """`process_document` on `pdf` in a child process; the child waits until the 'before' figures are taken."""
    home = work / f"flow-home-{pdf.stem}"
    home.mkdir(parents=True)
    env = {**os.environ, "IRIS_HOME": str(home), "PREFECT_HOME": str(home / "prefect"), "PREFECT_API_URL": api_url}
    log = (home / "flow.log").open("w")
    child = subprocess.Popen([sys.executable, __file__, "--flow-child", str(pdf)], env=env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1)
    assert child.stdin and child.stdout

    def message() -> dict[str, Any]:
        for line in child.stdout:  # type: ignore[union-attr]
            if line.startswith(MARK):
                return json.loads(line[len(MARK):])
        raise RuntimeError(f"the flow process ended early; log: {home / 'flow.log'}")

    try:
        message()  # imported and ready
        watched = {**pids, "flow process": child.pid}
        with measured(watched) as figures:
            child.stdin.write("go\n")
            child.stdin.flush()
            figures["result"] = message()
        child.stdin.write("exit\n")
        child.stdin.flush()
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
        log.close()
    if not figures["result"].get("ok"):
        raise RuntimeError(f"process_document failed on {pdf.name}: {figures['result'].get('error')}; log: {home / 'flow.log'}")
    return figures


def flow_child(pdf: str) -> None:
    """Runs in the child: import, say ready, wait, run the flow recording every HTTP answer's size, report, wait."""
    import httpx

    from iris_flows.document_flow import process_document

    calls: list[dict[str, Any]] = []
    send = httpx.AsyncClient.send

    async def recording_send(self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        response = await send(self, request, **kwargs)
        try:
            size = len(response.content)
        except httpx.ResponseNotRead:
            size = -1
        calls.append({"endpoint": f"{request.method} {request.url.path}", "request_bytes": int(request.headers.get("content-length", 0)),
                      "response_bytes": size})
        return response

    httpx.AsyncClient.send = recording_send  # type: ignore[method-assign]
    print(MARK + json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()
    began = time.perf_counter()
    try:
        result = asyncio.run(process_document(path=pdf, publish_artifacts=False))
        report = {"ok": True, "page_count": result["page_count"], "document_type": result["document_type"],
                  "total_processing_time": result["total_processing_time"],
                  "phase_seconds": {k: v["processing_time"] for k, v in result["phases"].items()}}
    except Exception as exc:  # reported to the parent, which says where the log is
        report = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    report["seconds"] = round(time.perf_counter() - began, 2)
    report["calls"] = calls
    print(MARK + json.dumps(report), flush=True)
    sys.stdin.readline()


def whole_request(pdf: Path, url: str, pids: dict[str, int]) -> dict[str, Any]:
    """One POST /process of every page at once (no `page` field): the image-processor's peak and the answer's size."""
    import httpx

    from iris_common.settings import ClientSettings

    watched = {"image-processor": pids["image-processor"]} if "image-processor" in pids else {}
    data = pdf.read_bytes()
    with measured(watched) as figures:
        response = httpx.post(f"{url}/process", files={"file": (pdf.name, data, "application/pdf")}, timeout=1800,
                              headers=ClientSettings().authorization())
    figures["status"] = response.status_code
    figures["response_bytes"] = len(response.content)
    figures["pages_returned"] = len(response.json().get("data", {}).get("pages", [])) if response.is_success else 0
    figures["request_bytes"] = len(data)
    return figures


# --- report ------------------------------------------------------------------------------------------

def mb(kb: int | None) -> str:
    return f"{kb / 1024:.0f}" if kb is not None else "-"


def process_table(title: str, figures: dict[str, Any]) -> list[str]:
    lines = [title, f"{'process':<16} {'RSS before MB':>13} {'peak during MB':>14} {'peak - before':>13} {'after MB':>8}"]
    for name, before in figures["before"].items():
        peak = figures["peak"].get(name)
        grow = f"{(peak - before) / 1024:+.0f}" if peak is not None and before is not None else "-"
        lines.append(f"{name:<16} {mb(before):>13} {mb(peak):>14} {grow:>13} {mb(figures['after'].get(name)):>8}")
    return lines


def per_page_answers(run: dict[str, Any]) -> list[int]:
    return [c["response_bytes"] for c in run["result"]["calls"] if c["endpoint"] == "POST /process"]


def report(runs: dict[int, dict[str, Any]], whole: dict[int, dict[str, Any]], pdf_bytes: dict[int, int]) -> str:
    out: list[str] = []
    for pages, run in runs.items():
        res = run["result"]
        out += [""] + process_table(
            f"process_document on a {pages}-page PDF ({pdf_bytes[pages] / 2**20:.1f} MB): wall {run['seconds']:.1f} s, "
            f"{run['seconds'] / res['page_count']:.2f} s/page, pages {res['page_count']}, type {res['document_type']}"
            + ("" if run["peak_reset"] else " (peaks from 0.2 s samples: VmHWM could not be reset)"), run)
        answers = per_page_answers(run)
        out.append(f"  per-page POST /process: {len(answers)} calls, largest answer {max(answers) / 2**20:.2f} MB, "
                   f"all together {sum(answers) / 2**20:.1f} MB (never held at once)")
    out += ["", "all pages in one request (POST /process of the whole PDF, no `page` field) vs page by page in the flow",
            f"{'pages':>5} {'one request s':>13} {'image-processor peak MB':>23} {'peak - before':>13} {'answer MB':>9} "
            f"{'| per page: image-processor peak MB':>34} {'peak - before':>13} {'largest answer MB':>17}"]
    for pages, one in whole.items():
        name = "image-processor"
        run = runs.get(pages)
        grow = (one["peak"][name] - one["before"][name]) / 1024 if one["peak"].get(name) else float("nan")
        per_page = ("-", "-", "-")
        if run and run["peak"].get(name):
            per_page = (mb(run["peak"][name]), f"{(run['peak'][name] - run['before'][name]) / 1024:+.0f}",
                        f"{max(per_page_answers(run)) / 2**20:.2f}")
        status = "" if one["status"] == 200 else f" (HTTP {one['status']})"
        out.append(f"{pages:>5} {one['seconds']:>13.1f} {mb(one['peak'].get(name)):>23} {grow:>+13.0f} "
                   f"{one['response_bytes'] / 2**20:>9.1f} {per_page[0]:>34} {per_page[1]:>13} {per_page[2]:>17}{status}")
    return "\n".join(out)


def ensure_models(home: Path) -> Path | None:
    """$IRIS_HOME/models, linked to the default ~/.iris/models when missing; None when no models were prepared."""
    models = home / "models"
    default = Path.home() / ".iris" / "models"
    if not models.exists() and default.is_dir() and home.resolve() != default.parent.resolve():
        home.mkdir(parents=True, exist_ok=True)
        models.symlink_to(default)
    return models if models.is_dir() and any(models.iterdir()) else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--small", type=int, default=5, help="a second, shorter PDF (0: none)")
    parser.add_argument("--base-port", type=int, default=0, help="services on this port and the 3 next, Prefect on +4 (0: free ports)")
    parser.add_argument("--use-running", action="store_true", help="measure the services at the configured URLs")
    parser.add_argument("--json", type=Path, help="save every figure (with the RSS timelines) here")
    parser.add_argument("--flow-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flow_child:
        flow_child(args.flow_child)
        return 0

    try:
        from iris_common.settings import ClientSettings, IrisHomeSettings
    except ImportError as exc:
        print(f"cannot run: {exc} (run it with the project's venv, .venv/bin/python)")
        return 0
    home = IrisHomeSettings().iris_home
    if not args.use_running and ensure_models(home) is None:
        print(f"cannot run: no models under {home / 'models'} (run `iris setup` first)")
        return 0
    if not Path("/proc/self/status").is_file():
        print("cannot run: RSS is read from /proc/<pid>/status (Linux only)")
        return 0

    work = Path(tempfile.mkdtemp(prefix="iris-multipage-memory-"))
    sizes = [n for n in (args.small, args.pages) if n > 0]
    pdfs = {n: work / f"scan-{n}-pages.pdf" for n in sizes}
    for n, path in pdfs.items():
        path.write_bytes(make_pdf(n, seed=1000))
    pdf_bytes = {n: path.stat().st_size for n, path in pdfs.items()}
    print(f"IRIS_HOME {home}; work folder {work}; IRIS_CPU_THREADS={os.environ.get('IRIS_CPU_THREADS', '2 (default)')}; "
          f"PDFs: " + ", ".join(f"{n} pages {b / 2**20:.1f} MB" for n, b in pdf_bytes.items()))
    prefect_port = args.base_port + 4 if args.base_port else free_port()
    try:
        with (running_stack() if args.use_running else own_stack(home, args.base_port)) as pids, \
                private_prefect(work, prefect_port) as (api_url, prefect_pid):
            watched = {**pids, "prefect-server": prefect_pid}
            print(f"services {pids}, Prefect server pid {prefect_pid} at {api_url}", flush=True)
            runs = {n: flow_run(pdfs[n], work, api_url, watched) for n in sizes}
            url = ClientSettings().url("image-processor")
            whole = {n: whole_request(pdfs[n], url, pids) for n in sizes}
    except RuntimeError as exc:
        print(f"cannot run: {exc}")
        return 0
    text = report(runs, whole, pdf_bytes)
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"pdf_bytes": pdf_bytes, "flow_runs": runs, "one_request": whole,
                                         "cpu_threads": os.environ.get("IRIS_CPU_THREADS"), "table": text}, indent=1))
        print(f"\nfigures saved to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
