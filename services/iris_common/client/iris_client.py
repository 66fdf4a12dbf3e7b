"""`IrisClient`: one long-lived async httpx client for the four services.

Each call makes ONE attempt, with the service's own timeout, behind the service's circuit breaker, and
raises `ServiceCallError` with an IRIS code and a `retryable` flag. Retries are deliberately not done here:
they belong to the Prefect tasks (see `iris_flows.policies`), where each attempt is visible as a Retrying state
in the UI, delays and jitter are configured in one place, and a task timeout bounds all attempts together.
Retrying in both layers would multiply attempts (client retries x task retries) and hide them from the UI.
"""

import asyncio
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from iris_common.client.breaker import BreakerState, CircuitBreaker, CircuitOpen
from iris_common.client.errors import ServiceCallError, from_response, from_transport_error
from iris_common.contract.error_codes import ErrorCode
from iris_common.settings import SERVICE_NAMES, ClientSettings

logger = logging.getLogger(__name__)
REQUEST_ID_HEADER = "X-Request-ID"


@dataclass
class CallStats:
    calls: int = 0
    failures: int = 0
    total_seconds: float = 0.0
    last_error: str = ""

    @property
    def average_seconds(self) -> float:
        return self.total_seconds / self.calls if self.calls else 0.0


class IrisClient:
    """Create once per process (`IrisClient.shared()`); safe to use from many coroutines at once."""

    _shared: "IrisClient | None" = None

    def __init__(self, settings: ClientSettings | None = None, breaker_state_file: Path | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings or ClientSettings()
        self.breaker_state_file = breaker_state_file
        self._transport = transport
        self._clients: dict[int, httpx.AsyncClient] = {}
        self.breakers = {
            name: CircuitBreaker(name, self.settings.circuit_breaker_failure_threshold,
                                 self.settings.circuit_breaker_recovery_timeout, on_change=self._breaker_changed)
            for name in SERVICE_NAMES
        }
        self.stats = {name: CallStats() for name in SERVICE_NAMES}

    @classmethod
    def shared(cls, breaker_state_file: Path | None = None) -> "IrisClient":
        if cls._shared is None:
            cls._shared = cls(breaker_state_file=breaker_state_file)
        return cls._shared

    def _http(self) -> httpx.AsyncClient:
        """One httpx client per event loop (an AsyncClient's connections belong to the loop that made them)."""
        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None or client.is_closed:
            limits = httpx.Limits(max_connections=self.settings.max_connections,
                                  max_keepalive_connections=self.settings.max_keepalive_connections)
            client = httpx.AsyncClient(limits=limits, timeout=None, transport=self._transport)
            self._clients[loop_id] = client
        return client

    async def aclose(self) -> None:
        loop_id = id(asyncio.get_running_loop())
        if (client := self._clients.pop(loop_id, None)) is not None:
            await client.aclose()

    def timeout(self, service: str) -> httpx.Timeout:
        total = self.settings.timeout(service)
        return httpx.Timeout(total, connect=min(5.0, total))

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        request_id: str,
        files: Any = None,
        data: dict[str, Any] | None = None,
        json_body: Any = None,
    ) -> dict[str, Any]:
        """One attempt; returns the whole success envelope as a dict, or raises ServiceCallError."""
        breaker = self.breakers[service]
        stats = self.stats[service]
        try:
            breaker.before_call()
        except CircuitOpen as exc:
            raise ServiceCallError(service, ErrorCode.SERVICE_UNAVAILABLE, str(exc), retryable=True,
                                   details={"circuit": "open", "retry_in": round(exc.retry_in, 1)}, request_id=request_id) from exc
        started = time.perf_counter()
        stats.calls += 1
        try:
            response = await self._http().request(
                method, f"{self.settings.url(service)}{path}", files=files, data=data, json=json_body,
                headers={REQUEST_ID_HEADER: request_id}, timeout=self.timeout(service),
            )
        except httpx.TransportError as exc:
            error = from_transport_error(service, exc, request_id)
            self._failed(breaker, stats, error, started)
            raise error from exc
        if response.is_success:
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and body.get("success"):
                stats.total_seconds += time.perf_counter() - started
                breaker.record_success()
                return body
        error = from_response(service, response, request_id)
        self._failed(breaker, stats, error, started)
        raise error

    async def info(self, service: str) -> dict[str, Any] | None:
        """GET /info (what the service loaded), or None when it cannot be reached right now."""
        try:
            response = await self._http().get(f"{self.settings.url(service)}/info", timeout=self.settings.health_check_timeout)
            return response.json() if response.is_success else None
        except (httpx.HTTPError, ValueError):
            return None

    def _failed(self, breaker: CircuitBreaker, stats: CallStats, error: ServiceCallError, started: float) -> None:
        stats.failures += 1
        stats.total_seconds += time.perf_counter() - started
        stats.last_error = f"{error.code.value}: {error.message[:160]}"
        if error.code is ErrorCode.SERVICE_UNAVAILABLE or (error.retryable and (error.status_code or 500) >= 500):
            breaker.record_failure()
        else:
            breaker.record_neutral()

    def _breaker_changed(self, service: str, old: BreakerState, new: BreakerState) -> None:
        if self.breaker_state_file is None:
            return
        try:
            self.breaker_state_file.parent.mkdir(parents=True, exist_ok=True)
            states = read_breaker_states(self.breaker_state_file)
            states[service] = {"state": new.value, "since": time.time(), "previous": old.value}
            tmp = self.breaker_state_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(states, indent=2))
            tmp.replace(self.breaker_state_file)
        except OSError as exc:
            logger.warning("could not record breaker state in %s: %s", self.breaker_state_file, exc)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Per-service call statistics and breaker state (logged by the flow, shown by `iris health`)."""
        return {
            name: {**asdict(self.stats[name]), "average_seconds": round(self.stats[name].average_seconds, 4),
                   "breaker": self.breakers[name].state.value}
            for name in SERVICE_NAMES
        }


def read_breaker_states(path: Path) -> dict[str, dict[str, Any]]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
