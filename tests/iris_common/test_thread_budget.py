"""The stack's thread budget (iris_common.threads): in each service, computations at once x threads <= cores; a
batch keeps two documents per core in flight."""

import threading
import time

import pytest

from iris_common.settings import ClientSettings, ServiceSettings
from iris_common.threads import ComputeSlots, compute_slots, documents_in_flight


@pytest.mark.parametrize(("threads", "cores", "slots"), [(1, 2, 2), (2, 2, 1), (3, 2, 1), (2, 8, 4), (1, 1, 1)])
def test_slots_share_the_cores_among_calls_of_that_many_threads(threads: int, cores: int, slots: int) -> None:
    assert compute_slots(threads, cores) == slots
    assert slots * threads <= cores or threads > cores  # never oversubscribed unless one call wants more than all


def test_settings_derive_the_budget_from_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("iris_common.threads.available_cores", lambda: 4)
    for name in ("IRIS_CPU_THREADS", "IRIS_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    assert ServiceSettings().cpu_threads == 1 and ServiceSettings().compute_slots == 4
    assert ClientSettings().concurrency == documents_in_flight(4) == 8
    monkeypatch.setenv("IRIS_CPU_THREADS", "2")
    monkeypatch.setenv("IRIS_CONCURRENCY", "3")  # explicit settings win
    assert ServiceSettings().compute_slots == 2 and ClientSettings().concurrency == 3


def test_compute_slots_let_n_calls_run_at_once_and_queue_the_rest() -> None:
    slots, lock, running = ComputeSlots(2), threading.Lock(), [0, 0]

    def call() -> None:
        with slots:
            with lock:
                running[0] += 1
                running[1] = max(running[1], running[0])
            time.sleep(0.03)
            with lock:
                running[0] -= 1

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert running == [0, 2]
