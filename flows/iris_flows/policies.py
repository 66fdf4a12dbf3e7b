"""The retry, timeout and cache policy of every phase task: defined once, here.

Retries live in Prefect (not in the HTTP client): each attempt shows as a Retrying state in the UI, delays
back off exponentially with jitter, and `retry_only_retryable` stops retries of failures that cannot get
better by trying again (VAL001 bad input, ML002 classification), using the `retryable` flag the service sent.
An outage (SVC001) is retried further, once per breaker recovery period within IRIS_OUTAGE_BUDGET_SECONDS
(`outage_delays`): a service restart shorter than the budget delays documents instead of quarantining them.
"""

import hashlib
import json
import math
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from prefect.cache_policies import TASK_SOURCE, CachePolicy
from prefect.client.schemas.objects import TaskRun
from prefect.context import TaskRunContext
from prefect.states import State

from iris_common.client import ServiceCallError
from iris_common.contract.error_codes import ErrorCode
from iris_common.settings import ClientSettings

RETRY_BASE_DELAY_SECONDS = 2.0
RETRY_JITTER_FACTOR = 0.5
TASK_TIMEOUT_MARGIN_SECONDS = 10.0
CACHE_EXPIRATION = timedelta(days=30)


def retry_delays(attempts: int, base: float = RETRY_BASE_DELAY_SECONDS) -> list[float]:
    """Exponential backoff: base, 2*base, 4*base, ... (Prefect adds the jitter)."""
    return [base * 2**i for i in range(max(attempts, 1))]


def outage_delays(settings: ClientSettings) -> list[float]:
    """Retries of a phase whose service is unavailable (SVC001: refused connections, an open breaker), after its
    ordinary ones: one per breaker recovery period until the outage budget is spent, so the document waits for
    the breaker's half-open probe instead of failing while the service restarts."""
    period = settings.circuit_breaker_recovery_timeout
    return [period] * math.ceil(settings.outage_budget_seconds / period) if settings.outage_budget_seconds else []


def retry_condition(ordinary_retries: int) -> Callable[[Any, TaskRun, State[Any]], bool]:
    """Retry what `retry_only_retryable` allows: an outage (SVC001) for as long as the retries last (the outage
    budget), any other retryable failure (a timeout, a retryable 5xx) only `ordinary_retries` times."""

    def should_retry(task: Any, task_run: TaskRun, state: State[Any]) -> bool:
        if not retry_only_retryable(task, task_run, state):
            return False
        exc = _exception_of(state)
        outage = isinstance(exc, ServiceCallError) and exc.code is ErrorCode.SERVICE_UNAVAILABLE
        return outage or task_run.run_count <= ordinary_retries

    return should_retry


def retry_only_retryable(task: Any, task_run: TaskRun | None, state: State[Any]) -> bool:
    """Retry SVC001, timeouts, connection errors and retryable 5xx; never VAL001, ML002 or other bugs."""
    exc = _exception_of(state)
    if isinstance(exc, ServiceCallError):
        return exc.retryable
    return isinstance(exc, TimeoutError)


def _exception_of(state: State[Any]) -> BaseException | None:
    """The exception a failed state carries. Read from `state.data` directly: this hook runs inside the
    engine's event loop, where `state.result()` would hand back an un-awaited coroutine."""
    data = state.data
    if isinstance(data, BaseException):
        return data
    inner = getattr(data, "result", None)  # a ResultRecord wrapping the exception
    return inner if isinstance(inner, BaseException) else None


def phase_options(service: str, settings: ClientSettings | None = None) -> dict[str, Any]:
    """Task options for a phase that calls `service`: retries and timeouts from the environment."""
    settings = settings or ClientSettings()
    ordinary = settings.max_retries(service)
    delays = retry_delays(ordinary)[:ordinary] + outage_delays(settings)
    return {
        "retries": len(delays),
        "retry_delay_seconds": delays or [0.0],
        "retry_jitter_factor": RETRY_JITTER_FACTOR,
        "retry_condition_fn": retry_condition(ordinary),
        # the HTTP call's own timeout (settings.timeout) sits inside this, so a hung service cannot outlive the task
        "timeout_seconds": settings.timeout(service) + TASK_TIMEOUT_MARGIN_SECONDS,
        "cache_policy": PHASE_CACHE_POLICY,
        "cache_expiration": CACHE_EXPIRATION,
        "persist_result": True,
        "result_storage": result_storage(settings),
    }


def lookahead_options() -> dict[str, Any]:
    """Phase 1 run ahead of the documents by `process_folder` so their pages can be embedded in batches: ONE
    attempt. A document it could not preprocess then runs through `process_document` unchanged, whose own
    preprocess task owns the retries and the failure record; retrying here as well would double every wait
    (and every attempt) while a service is down."""
    return {"retries": 0}


def result_storage(settings: ClientSettings | None = None) -> Path:
    """Where task and flow results are persisted (so `run_deployment(...).state.result()` can read them)."""
    return (settings or ClientSettings()).iris_home / "prefect-results"


def flow_options() -> dict[str, Any]:
    return {"persist_result": True, "result_storage": result_storage(), "log_prints": False}


def _phase_key_from_inputs(context: TaskRunContext, inputs: dict[str, Any]) -> str | None:
    return inputs.get("phase_key")


# The cache key is the explicit `phase_key` argument (content hash + parameters + model versions, see
# `phase_key`) plus the task's source code. File names are not part of it: a renamed copy is a cache hit.
PHASE_CACHE_POLICY: CachePolicy = CachePolicy.from_cache_key_fn(_phase_key_from_inputs) + TASK_SOURCE


def phase_key(upstream: str, phase: str, params: dict[str, Any], model: dict[str, Any]) -> str:
    """Chain key: this phase's result depends on everything upstream, its own parameters and its model."""
    payload = json.dumps({"upstream": upstream, "phase": phase, "params": params, "model": model}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()
