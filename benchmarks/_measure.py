"""What the benchmarks read from /proc: the services' pids, CPU seconds and RSS of a process (and of its process
tree), resetting its peak; and a Prefect server whose access log counts the API requests.

Shared by pipeline_eval.py, batch_throughput.py, fanout_throughput.py and coordinator_memory.py (Linux only; a
process that is gone reads as None); and the environment of a benchmark's batch on the services `iris up` started.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any


def batch_on_running_services() -> None:
    """Set before IRIS_HOME moves to a benchmark's work folder: the running services' API token (read from the
    current IRIS_HOME's secrets; without it every call got 401) and IRIS_FOLLOW_SYMLINKS, since the benchmarks' sets
    are symlinks into ../shared/data (never copied), which a batch otherwise rejects."""
    from iris_common.settings import ClientSettings

    if (token := ClientSettings().api_token) is not None:
        os.environ.setdefault("IRIS_API_TOKEN", token.get_secret_value())
    os.environ["IRIS_FOLLOW_SYMLINKS"] = "true"


def service_pids(home: Path) -> dict[str, int]:
    """name -> pid of the processes `iris up` started under `home` ($IRIS_HOME/run/<name>.pid)."""
    pids = {}
    for pid_file in sorted((home / "run").glob("*.pid")):
        try:
            pids[pid_file.stem] = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
    return pids


def cpu_seconds(pid: int, children: bool = True) -> float | None:
    """User + system CPU seconds of `pid` (all its threads), with its waited-for children unless `children` is False."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    fields = stat[11:15] if children else stat[11:13]  # utime stime [cutime cstime]
    return sum(int(v) for v in fields) / os.sysconf("SC_CLK_TCK")


def proc_kb(pid: int, key: str) -> int | None:
    """A /proc/<pid>/status figure in kB (VmRSS, VmHWM), None when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0; needs to own the process or be root), so that a later
    VmHWM is the peak since now, not the model-loading peak at start-up."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def machine_busy_seconds() -> float | None:
    """CPU seconds every core of the machine spent busy since boot (/proc/stat: all but idle and iowait)."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    ticks = [int(v) for v in first[1:9]]  # user nice system idle iowait irq softirq steal
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def stop_workers(tasks: Any, procs: list[Any], timeout: float = 30.0) -> None:
    """End worker processes that read their jobs from `tasks` until a None: one None each, then join (kill the
    ones that outlast `timeout`)."""
    for _ in procs:
        tasks.put(None)
    for proc in procs:
        proc.join(timeout=timeout)
        if proc.is_alive():
            proc.kill()


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (read from /proc: a worker's flow-run processes, in their own sessions too)."""
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


def tree_cpu_seconds(pid: int) -> tuple[float, float] | None:
    """(the process's own CPU seconds, its descendants'): those it waited for (cutime, cstime) and those alive
    now, each with the children it waited for. The difference of two readings is what the
    tree spent in between, also for a child that was alive at the first reading and reaped by the second."""
    own = cpu_seconds(pid, children=False)
    total = cpu_seconds(pid, children=True)
    if own is None or total is None:
        return None
    below = total - own
    # a live process is in no one's cutime yet: each live descendant counts itself and the children it reaped
    below += sum(cpu_seconds(child, children=True) or 0.0 for child in descendants(pid))
    return own, below


# --- a Prefect server with an access log ------------------------------------------------------------------------

_REQUEST = re.compile(r'"(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (/api/[^ ?"]*)')
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def start_prefect_server(prefect_home: Path, port: int, log: Path, timeout: float = 120.0) -> subprocess.Popen[bytes]:
    """Prefect's server as its temporary one runs (uvicorn on `prefect.server.api.server:create_app`, UI off, the
    services of an ephemeral server, SQLite under `prefect_home`), but on a known port and with uvicorn's access
    log on, so that `api_requests` can count the requests. Point PREFECT_API_URL at http://127.0.0.1:<port>/api
    before Prefect is imported."""
    import httpx

    env = {**os.environ, "PREFECT_HOME": str(prefect_home), "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
           "PREFECT_SERVER_LOGGING_LEVEL": "INFO",  # the level of the uvicorn loggers (access log included)
           "PREFECT__SERVER_FINAL": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    with log.open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
                                 "--host", "127.0.0.1", "--port", str(port), "--log-level", "info", "--lifespan", "on"],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with {proc.returncode}; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"the Prefect server did not answer within {timeout:.0f} s; see {log}")


def log_size(log: Path) -> int:
    return log.stat().st_size if log.exists() else 0


def api_requests(log: Path, start: int = 0, end: int | None = None) -> Counter[str]:
    """HTTP requests in uvicorn's access log between byte offsets `start` and `end`, per "METHOD /api/route" (ids
    replaced by {id}). Websocket traffic (events, logs streamed) is one line per connection, not per message."""
    with log.open("rb") as handle:
        handle.seek(start)
        text = handle.read(None if end is None else max(0, end - start)).decode("utf-8", "replace")
    return Counter(f"{m.group(1)} {_ID.sub('{id}', m.group(2))}" for m in _REQUEST.finditer(text))


def prefect_events(prefect_home: Path) -> int | None:
    """Events the server has persisted (its SQLite database under `prefect_home`): what the clients send over the
    events websocket (task-run states, heartbeats), which the access log shows as one connection."""
    import sqlite3

    try:
        with sqlite3.connect(f"file:{prefect_home / 'prefect.db'}?mode=ro", uri=True, timeout=10) as db:
            return int(db.execute("SELECT count(*) FROM events").fetchone()[0])
    except sqlite3.Error:
        return None
