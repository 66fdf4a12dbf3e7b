"""One thread budget for the stack: documents in flight x threads per model <= the machine's cores.

A batch keeps IRIS_CONCURRENCY documents in flight; each is in one phase at a time, so at most that many model
calls run at once across the services of one machine. Each call runs its model (ONNX Runtime, OpenCV, BLAS) on
IRIS_CPU_THREADS threads. When the product exceeds the cores, threads wait on each other and on the cache; below
it, cores idle. So a service that is not told its thread count takes cores // concurrency (at least 1), and the
batch's default concurrency is the same IRIS_CONCURRENCY: one variable sets both sides.
"""

import os


def available_cores() -> int:
    """Cores this process may run on (the affinity mask: a container's or taskset's limit, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def threads_per_model(documents_in_flight: int, cores: int | None = None) -> int:
    """Threads for one model call when `documents_in_flight` calls may run at once on `cores` cores."""
    cores = available_cores() if cores is None else cores
    return max(1, cores // max(1, documents_in_flight))


def oversubscribed(documents_in_flight: int, threads: int, cores: int | None = None) -> bool:
    cores = available_cores() if cores is None else cores
    return documents_in_flight * threads > cores
