"""ml-embeddings /embed over real HTTP: one page per request (what process_document sends) beside batches of
4 / 8 / 16 / 32 of the same pages (what process_folder sends, EMBED_BATCH_SIZE), in one table; then, with
--folder N, process_folder on N generated documents with batched vs per-document embedding.

Pages are docgen renders (so it runs without ../shared), plus up to --real pages listed in
../shared/data/doc_types.csv when that exists. The services are started on free ports with a private IRIS_HOME
(the `iris up` machinery, `iris_cli.local_stack`) and only those are stopped at the end; --use-running measures
the services at ML_EMBEDDINGS_URL, ... instead (all four must run for --folder). Each folder run is a child
process with a fresh IRIS_HOME, so no run is served from another's Prefect cache; they share one private Prefect
server. Requests are counted by the service itself (GET /metrics).

Wall times on a shared machine move with its load (printed); CPU-seconds (read from /proc for the services this
script started, and from the child's rusage for the flow process, imports included) move less, so both are printed.

    .venv/bin/python benchmarks/embed_batch_http.py [--pages 32] [--real 32] [--rounds 3] [--folder 12]
"""

import argparse
import asyncio
import csv
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import httpx

import docgen
from iris_common.settings import SERVICE_NAMES, ClientSettings, ServiceSettings

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
BATCH_SIZES = (1, 4, 8, 16, 32)
KINDS = ("receipt", "invoice", "form", "letter", "other")
VARIANTS = ("clean", "noisy", "photo", "rotated")
TICKS = os.sysconf("SC_CLK_TCK")

Page = tuple[str, bytes, str]  # name, bytes, media type


def docgen_pages(n: int) -> list[Page]:
    """n generated pages across kinds, languages and degradations, PNG-encoded like the processed pages the flow sends."""
    pages = []
    for i in range(n):
        kind, lang, variant = KINDS[i % len(KINDS)], ("en", "es")[i % 2], VARIANTS[i % len(VARIANTS)]
        image = docgen.render(kind, seed=100 + i, lang=lang, variant=variant).image
        pages.append((f"{kind}-{i}.png", cv2.imencode(".png", image)[1].tobytes(), "image/png"))
    return pages


def real_pages(n: int) -> list[Page]:
    """Up to n labelled scans from ../shared/data/doc_types.csv, spread over its sources (sent as stored)."""
    listing = DATA / "doc_types.csv"
    if n <= 0 or not listing.is_file():
        return []
    rows = [r for r in csv.DictReader(listing.open()) if (DATA / r["path"]).is_file()]
    picked = rows[:: max(1, len(rows) // n)][:n]
    media = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".tif": "image/tiff", ".tiff": "image/tiff"}
    return [(Path(r["path"]).name, (DATA / r["path"]).read_bytes(), media.get(Path(r["path"]).suffix.lower(), "application/octet-stream"))
            for r in picked]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (0 when we did not start them and do not know their pids)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / TICKS


@dataclass
class Pass:
    wall: float
    service: float
    cpu: float
    requests: int


def embed_pass(client: httpx.Client, url: str, pages: list[Page], batch: int, pids: list[int]) -> Pass:
    """Every page once, `batch` per request, one request at a time (as the flow sends a chunk)."""
    wall = service = 0.0
    requests = 0
    cpu_before = cpu_seconds(pids)
    for start in range(0, len(pages), batch):
        chunk = pages[start : start + batch]
        field = "file" if batch == 1 else "files"  # one page: the field process_document uses
        began = time.perf_counter()
        response = client.post(f"{url}/embed", files=[(field, page) for page in chunk])
        wall += time.perf_counter() - began
        body = response.json()
        if not body.get("success") or body["data"]["count"] != len(chunk):
            raise RuntimeError(f"/embed of {len(chunk)} pages failed: {body.get('error')}")
        service += body["processing_time"]
        requests += 1
    return Pass(wall, service, cpu_seconds(pids) - cpu_before, requests)


def embed_table(url: str, pages: list[Page], rounds: int, title: str, pids: list[int]) -> None:
    """Median over rounds of each batch size's pass; the order of batch sizes rotates per round to spread drift."""
    passes: dict[int, list[Pass]] = {b: [] for b in BATCH_SIZES}
    with httpx.Client(timeout=300, headers=ClientSettings().authorization()) as client:
        embed_pass(client, url, pages[:4], 1, pids)  # warm-up: first-call allocations are not the service's steady state
        for r in range(rounds):
            for b in BATCH_SIZES[r % len(BATCH_SIZES):] + BATCH_SIZES[: r % len(BATCH_SIZES)]:
                passes[b].append(embed_pass(client, url, pages, b, pids))
    n = len(pages)
    print(f"\n{title}: {n} pages, {rounds} rounds (median), load average {os.getloadavg()[0]:.1f}")
    print(f"{'pages/request':>13} {'requests':>8} {'wall s':>7} {'pages/s':>8} {'ms/page':>8} {'service ms/page':>15} "
          f"{'service CPU ms/page':>19} {'pages/s vs 1':>12}")
    base = statistics.median(p.wall for p in passes[1])
    for b in BATCH_SIZES:
        wall = statistics.median(p.wall for p in passes[b])
        service = statistics.median(p.service for p in passes[b])
        cpu = f"{1000 * statistics.median(p.cpu for p in passes[b]) / n:.1f}" if pids else "-"
        print(f"{b:>13} {passes[b][0].requests:>8} {wall:>7.2f} {n / wall:>8.1f} {1000 * wall / n:>8.1f} {1000 * service / n:>15.1f} "
              f"{cpu:>19} {base / wall:>11.2f}x")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def requests_served(url: str, endpoint: str) -> int:
    return httpx.get(f"{url}/metrics", timeout=10, headers=ClientSettings().authorization()).json()["endpoints"].get(endpoint, {}).get("requests", 0)


@contextmanager
def own_stack(names: list[str], home: Path) -> Iterator[dict[str, int]]:
    """Start `names` on free ports under `home` (their URLs go into this process's environment), stop them after;
    yields their pids."""
    from iris_cli.local_stack import LocalService, start, stop, wait_until_up

    services = [LocalService(name, f"http://127.0.0.1:{free_port()}", home) for name in names]
    os.environ.update({s.name.replace("-", "_").upper() + "_URL": s.url for s in services})
    try:
        pids = {svc.name: start(svc, {"IRIS_HOME": str(home)}) for svc in services}
        status = wait_until_up(services, timeout=300)
        if any(s != "healthy" for s in status.values()):
            raise RuntimeError(f"services did not come up healthy: {status} (logs under {home / 'logs'})")
        yield pids
    finally:
        for svc in services:
            stop(svc)


@contextmanager
def private_prefect(home: Path) -> Iterator[tuple[str, int]]:
    """A Prefect server of our own (state under `home`), on a free port; yields its API URL and pid."""
    from iris_cli.local_stack import LocalService, start, stop, wait_until_up
    from iris_cli.prefect_env import local_prefect_env

    port = free_port()
    server = LocalService("prefect-server", f"http://127.0.0.1:{port}", home)
    env = {**local_prefect_env(), "PREFECT_HOME": str(home / "prefect"), "PREFECT_SERVER_API_PORT": str(port)}
    try:
        pid = start(server, env)
        if wait_until_up([server], timeout=180).get("prefect-server") != "healthy":
            raise RuntimeError(f"Prefect server did not start; log: {server.log_file}")
        yield f"{server.url}/api", pid
    finally:
        stop(server)


def folder_run(inbox: Path, home: Path, batch_size: int, prefect: tuple[str, int], pids: list[int]) -> dict[str, float]:
    """One process_folder run in a child process with a fresh IRIS_HOME (read at import: the Prefect cache lives there)."""
    urls = ClientSettings()
    embeds_before = requests_served(urls.url("ml-embeddings"), "POST /embed")
    api_url, server_pid = prefect
    services_before, server_before = cpu_seconds(pids), cpu_seconds([server_pid])
    child_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {**os.environ, "IRIS_HOME": str(home), "PREFECT_HOME": str(home / "prefect"), "PREFECT_API_URL": api_url}
    home.mkdir(parents=True)
    with (home / "flow.log").open("w") as log:
        out = subprocess.run([sys.executable, __file__, "--folder-child", str(inbox), str(home / "out"), str(batch_size)],
                             env=env, stdout=subprocess.PIPE, stderr=log, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"folder run (batch size {batch_size}) failed; log: {home / 'flow.log'}")
    child_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = json.loads(out.stdout.strip().splitlines()[-1])
    run["embed_requests"] = requests_served(urls.url("ml-embeddings"), "POST /embed") - embeds_before
    run["services_cpu"] = cpu_seconds(pids) - services_before
    run["prefect_cpu"] = cpu_seconds([server_pid]) - server_before
    run["flow_cpu"] = (child_after.ru_utime + child_after.ru_stime) - (child_before.ru_utime + child_before.ru_stime)
    return run


def folder_table(count: int, rounds: int, work: Path, prefect: tuple[str, int], pids: list[int]) -> None:
    """process_folder on `count` generated documents, per-document vs batched embedding, alternating runs."""
    inbox = work / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        kind = KINDS[i % 4]  # the four types IRIS extracts
        cv2.imwrite(str(inbox / f"{i:02d}-{kind}.png"), docgen.render(kind, seed=300 + i, lang=("en", "es")[i % 2]).image)
    size = ClientSettings().embed_batch_size
    modes = {"per document": 0, f"batch of {size}": size}
    results: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
    for r in range(rounds):
        for mode in (list(modes) if r % 2 == 0 else list(modes)[::-1]):
            results[mode].append(folder_run(inbox, work / f"run-{r}-{modes[mode]}", modes[mode], prefect, pids))
    print(f"\nprocess_folder on {count} generated documents, concurrency 2, {rounds} run(s) per mode (median), "
          f"load average {os.getloadavg()[0]:.1f}; flow logs under {work}/run-*/flow.log")
    print(f"{'embedding':<14} {'/embed requests':>15} {'succeeded':>9} {'wall s':>7} {'each run s':>18} {'documents/s':>11} "
          f"{'services CPU-s':>14} {'flow process CPU-s':>18} {'Prefect server CPU-s':>20}")
    for mode, runs in results.items():
        wall = statistics.median(r["seconds"] for r in runs)
        each = " / ".join(f"{r['seconds']:.1f}" for r in runs)
        services_cpu = f"{statistics.median(r['services_cpu'] for r in runs):.1f}" if pids else "-"
        print(f"{mode:<14} {runs[0]['embed_requests']:>15} {runs[0]['succeeded']:>9} {wall:>7.1f} {each:>18} {count / wall:>11.2f} "
              f"{services_cpu:>14} {statistics.median(r['flow_cpu'] for r in runs):>18.1f} "
              f"{statistics.median(r['prefect_cpu'] for r in runs):>20.1f}")


def folder_child(inbox: str, out: str, batch_size: int) -> None:
    """One timed process_folder run; prints its figures as one JSON line."""
    from iris_flows.folder_flow import process_folder

    began = time.perf_counter()
    state = asyncio.run(process_folder(input_dir=inbox, output_dir=out, concurrency=2, embed_batch_size=batch_size,
                                       return_state=True))
    seconds = time.perf_counter() - began
    print(json.dumps({"seconds": round(seconds, 2), "succeeded": state.result()["ledger"]["succeeded"]}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=32, help="generated pages for the /embed table (0: none)")
    parser.add_argument("--real", type=int, default=32, help="real pages from ../shared/data/doc_types.csv when present (0: none)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--folder", type=int, default=0, help="also time process_folder on this many generated documents")
    parser.add_argument("--folder-rounds", type=int, default=3)
    parser.add_argument("--use-running", action="store_true", help="measure the services at the configured URLs")
    parser.add_argument("--folder-child", nargs=3, metavar=("INBOX", "OUT", "BATCH_SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.folder_child:
        folder_child(args.folder_child[0], args.folder_child[1], int(args.folder_child[2]))
        return 0

    work = Path(tempfile.mkdtemp(prefix="iris-embed-bench-"))
    os.environ["IRIS_MODELS_DIR"] = str(ServiceSettings().models_dir)  # the models `iris setup` prepared, read only
    os.environ["IRIS_HOME"] = str(work / "home")
    names = list(SERVICE_NAMES) if args.folder else ["ml-embeddings"]
    print(f"private IRIS_HOME {work / 'home'}; IRIS_CPU_THREADS={os.environ.get('IRIS_CPU_THREADS', '2 (default)')}")
    with own_stack(names, work / "home") if not args.use_running else _no_stack() as pids:
        url = ClientSettings().url("ml-embeddings")
        embed_pid = [pids["ml-embeddings"]] if pids else []
        if args.pages:
            embed_table(url, docgen_pages(args.pages), args.rounds, f"/embed at {url}, generated pages (docgen, PNG)", embed_pid)
        if real := real_pages(args.real):
            embed_table(url, real, args.rounds, "/embed, real scans from ../shared/data/doc_types (JPEG/PNG as stored)", embed_pid)
        if args.folder:
            with private_prefect(work / "home") as prefect:
                folder_table(args.folder, args.folder_rounds, work, prefect, list(pids.values()))
    return 0


@contextmanager
def _no_stack() -> Iterator[dict[str, int]]:
    yield {}


if __name__ == "__main__":
    sys.exit(main())
