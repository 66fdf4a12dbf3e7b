"""One thread budget for the stack: in each service, computations at once x threads per computation <= cores.

A model call (OCR, the phase-1 chain, an embedding) runs on IRIS_CPU_THREADS threads (default 1: two 1-thread
calls on 2 cores read 63.5 receipts/min against 49.8 for one 2-thread call). A service runs at most
`compute_slots` = cores // threads of them at once (the ocr-extractor holds that many engines); further requests
wait for a slot instead of oversubscribing the cores. A batch keeps more documents in flight than there are
slots (IRIS_CONCURRENCY, default 2 per core): a document spends much of its time in Prefect's task bookkeeping
and in HTTP, not in a model: on 2 cores `iris batch` of 60 SROIE receipts took 139 s with 2 in flight and
91-112 s with 4 (seven single runs of this session's variants; see the issue-11 notes).
"""

import os
import threading
from types import TracebackType


def available_cores() -> int:
    """Cores this process may run on (the affinity mask: a container's or taskset's limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def compute_slots(threads: int, cores: int | None = None) -> int:
    """Model calls one service runs at once with `threads` threads each, without oversubscribing `cores`."""
    cores = available_cores() if cores is None else cores
    return max(1, cores // max(1, threads))


def documents_in_flight(cores: int | None = None) -> int:
    """The batch's default concurrency: two documents per core (see the module docstring for the measurement)."""
    return 2 * (available_cores() if cores is None else cores)


class ComputeSlots:
    """At most `n` computations at once in this process; the others wait (a request queues, it is not refused)."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._semaphore = threading.BoundedSemaphore(n)

    def __enter__(self) -> "ComputeSlots":
        self._semaphore.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._semaphore.release()
