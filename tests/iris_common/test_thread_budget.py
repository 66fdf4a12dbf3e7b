"""The stack's thread budget: documents in flight x threads per model call <= cores (iris_common.threads)."""

import pytest

from iris_common.settings import ClientSettings, ServiceSettings
from iris_common.threads import oversubscribed, threads_per_model


@pytest.mark.parametrize(("in_flight", "cores", "threads"), [(1, 2, 2), (2, 2, 1), (3, 2, 1), (2, 8, 4), (3, 8, 2), (1, 1, 1)])
def test_threads_per_model_share_the_cores_among_the_documents_in_flight(in_flight: int, cores: int, threads: int) -> None:
    assert threads_per_model(in_flight, cores) == threads
    assert not oversubscribed(in_flight, threads, cores) or in_flight > cores


def test_a_service_sizes_its_threads_by_the_batch_concurrency_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("iris_common.threads.available_cores", lambda: 4)
    monkeypatch.delenv("IRIS_CPU_THREADS", raising=False)
    monkeypatch.setenv("IRIS_CONCURRENCY", "2")
    assert ServiceSettings().cpu_threads == 2 and ClientSettings().concurrency == 2
    monkeypatch.setenv("IRIS_CONCURRENCY", "1")
    assert ServiceSettings().cpu_threads == 4
    monkeypatch.setenv("IRIS_CPU_THREADS", "3")  # an explicit setting wins
    assert ServiceSettings().cpu_threads == 3


def test_oversubscription_is_named() -> None:
    assert oversubscribed(2, 2, 2) and not oversubscribed(2, 1, 2) and not oversubscribed(1, 2, 2)
