"""`IrisClient`: one long-lived async httpx client for the four services.

Each call makes ONE attempt on one replica, with the service's own timeout, behind that replica's circuit breaker, and
raises `ServiceCallError` with an IRIS code and a `retryable` flag. Retries are deliberately not done here:
they belong to the Prefect tasks (see `iris_flows.policies`), where each attempt is visible as a Retrying state
in the UI, delays and jitter are configured in one place, and a task timeout bounds all attempts together.
Retrying in both layers would multiply attempts (client retries x task retries) and hide them from the UI.

A service may run as several replicas (a comma-separated *_URL; one URL is one replica): `ServiceReplicas`
chooses which takes a call (least-in-flight) and keeps a breaker per replica; see `iris_common.client.replicas`.
"""

import asyncio
import fcntl
import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from iris_common.client.breaker import BreakerState, CircuitOpen
from iris_common.client.errors import ServiceCallError, from_response, from_transport_error
from iris_common.client.replicas import Replica, ServiceReplicas, service_state
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
        self.replicas = {
            name: ServiceReplicas(name, self.settings.urls(name),
                                  failure_threshold=self.settings.circuit_breaker_failure_threshold,
                                  recovery_timeout=self.settings.circuit_breaker_recovery_timeout,
                                  on_change=self._breaker_changed)
            for name in SERVICE_NAMES
        }
        self.stats = {name: CallStats() for name in SERVICE_NAMES}

    @property
    def breakers(self) -> dict[str, ServiceReplicas]:
        """Each service's breaker as one: its `.state` is open only when every replica's breaker is."""
        return self.replicas

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
            # the one place the flow's calls get their bearer token (IRIS_API_TOKEN or $IRIS_HOME/secrets/api-token)
            client = httpx.AsyncClient(limits=limits, timeout=None, transport=self._transport,
                                       headers=self.settings.authorization())
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
        """One attempt on one replica; returns the whole success envelope as a dict, or raises ServiceCallError."""
        replicas = self.replicas[service]
        stats = self.stats[service]
        try:
            replica = replicas.acquire(request_id)
        except CircuitOpen as exc:
            raise ServiceCallError(service, ErrorCode.SERVICE_UNAVAILABLE, str(exc), retryable=True,
                                   details={"circuit": "open", "retry_in": round(exc.retry_in, 1)}, request_id=request_id) from exc
        started = time.perf_counter()
        stats.calls += 1
        try:
            response = await self._http().request(
                method, f"{replica.url}{path}", files=files, data=data, json=json_body,
                headers={REQUEST_ID_HEADER: request_id}, timeout=self.timeout(service),
            )
        except httpx.TransportError as exc:
            error = from_transport_error(service, exc, request_id)
            self._failed(replicas, replica, stats, error, started, request_id)
            raise error from exc
        except BaseException:  # cancelled (a task timeout), or not a transport error: no verdict on the replica
            replicas.abandoned(replica)
            raise
        if response.is_success:
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and body.get("success"):
                stats.total_seconds += time.perf_counter() - started
                replicas.succeeded(replica)
                return body
        error = from_response(service, response, request_id)
        self._failed(replicas, replica, stats, error, started, request_id)
        raise error

    async def info(self, service: str) -> dict[str, Any] | None:
        """GET /info (what the service loaded) from a replica that answers, healthy ones first; None when none
        can be reached right now. Replicas serve the same models, so any of them may answer."""
        for replica in self.replicas[service].preferred():
            try:
                response = await self._http().get(f"{replica.url}/info", timeout=self.settings.health_check_timeout)
                if response.is_success:
                    return response.json()
            except (httpx.HTTPError, ValueError):
                continue
        return None

    def _failed(self, replicas: ServiceReplicas, replica: Replica, stats: CallStats, error: ServiceCallError,
                started: float, request_id: str) -> None:
        error.details.setdefault("replica", replica.url)
        stats.failures += 1
        stats.total_seconds += time.perf_counter() - started
        stats.last_error = f"{error.code.value}: {error.message[:160]} ({replica.url})"
        unwell = error.code is ErrorCode.SERVICE_UNAVAILABLE or (error.retryable and (error.status_code or 500) >= 500)
        replicas.failed(replica, request_id, unwell=unwell)

    def _breaker_changed(self, replicas: ServiceReplicas, url: str, old: BreakerState, new: BreakerState) -> None:
        """Record the service's state and each replica's (`iris health` shows them) in the breaker state file."""
        if self.breaker_state_file is None:
            return
        try:
            self.breaker_state_file.parent.mkdir(parents=True, exist_ok=True)
            with _exclusive(self.breaker_state_file.with_name(self.breaker_state_file.name + ".lock")):
                self._record_breaker(self.breaker_state_file, replicas, url, old, new)
        except OSError as exc:
            logger.warning("could not record breaker state in %s: %s", self.breaker_state_file, exc)

    @staticmethod
    def _record_breaker(path: Path, replicas: ServiceReplicas, url: str, old: BreakerState, new: BreakerState) -> None:
        """Read, update and replace the state file: under its lock, since the flow-run processes of one machine share
        it (without it two writers lost each other's update or wrote into one temporary file)."""
        states = read_breaker_states(path)
        now, entry = time.time(), states.get(replicas.service) or {}
        level = service_state(replicas.recorded.values()).value
        if entry.get("state") != level:
            entry = {"state": level, "since": now, "previous": entry.get("state", BreakerState.CLOSED.value),
                     "replicas": entry.get("replicas") or {}}
        # replicas no longer configured are dropped
        entry["replicas"] = {u: r for u, r in entry.get("replicas", {}).items() if u in replicas.recorded}
        entry["replicas"][url] = {"state": new.value, "since": now, "previous": old.value}
        states[replicas.service] = entry
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(states, indent=2))
        tmp.replace(path)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Per-service call statistics and breaker state (logged by the flow, shown by `iris health`), with each
        replica's calls, failures, calls in flight and breaker state."""
        return {
            name: {**asdict(self.stats[name]), "average_seconds": round(self.stats[name].average_seconds, 4),
                   "breaker": self.replicas[name].state.value,
                   "replicas": {r.url: {"calls": r.calls, "failures": r.failures, "in_flight": r.in_flight,
                                        "breaker": r.breaker.state.value} for r in self.replicas[name].replicas}}
            for name in SERVICE_NAMES
        }


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an exclusive flock on `lock_file` (created if missing) for the block."""
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_breaker_states(path: Path) -> dict[str, dict[str, Any]]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def replica_breaker_state(states: dict[str, dict[str, Any]], service: str, url: str) -> str:
    """One replica's breaker state as `read_breaker_states` returned it ("closed" when never recorded)."""
    entry = states.get(service, {})
    replica = entry.get("replicas", {}).get(url)
    if replica is None and "replicas" not in entry:  # written before replicas had their own breakers
        replica = entry
    return (replica or {}).get("state", BreakerState.CLOSED.value)
