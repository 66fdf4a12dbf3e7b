"""What the benchmarks read from /proc: the services' pids, CPU seconds and RSS of a process, resetting its peak.

Shared by pipeline_eval.py and batch_throughput.py (Linux only; a process that is gone reads as None).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


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
