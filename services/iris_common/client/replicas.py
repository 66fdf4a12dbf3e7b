"""The replicas of one service behind `IrisClient`: which one takes the next call, and one breaker each.

A service's *_URL setting may list several base URLs (`ClientSettings.urls`); one URL is a set of one.

Choice of replica: least-in-flight, ties broken round-robin. An OCR call takes seconds and its length varies with
the page, so a replica still busy with long pages should not be handed the next one while another idles (plain
round-robin would queue it there); with one call at a time the tie-break makes calls alternate. The count is this
process's own calls in flight: nothing to coordinate between processes, nothing that goes stale.

Breakers: each replica has its own. A replica whose breaker refuses is skipped while another admits the call;
the service's state is open only when every replica's is (`service_state`). A call is still ONE attempt on ONE
replica. When it fails because the replica is unwell, the replica is remembered for that request id, so the
next attempt of the same call (the Prefect task's retry sends the same X-Request-ID) goes to another replica
whenever there is one: a replica dying mid-batch costs its documents one retry, not the document.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from iris_common.client.breaker import BreakerState, CircuitBreaker, CircuitOpen

# request ids whose last failed replica is remembered (a retry comes seconds later; this bounds the memory)
REMEMBERED_FAILURES = 4096

ReplicaChange = Callable[["ServiceReplicas", str, BreakerState, BreakerState], None]


def service_state(states: Iterable[BreakerState]) -> BreakerState:
    """A service is closed while any replica is, half-open while any replica may be probed, open otherwise."""
    seen = set(states)
    for state in (BreakerState.CLOSED, BreakerState.HALF_OPEN):
        if state in seen:
            return state
    return BreakerState.OPEN


@dataclass
class Replica:
    url: str
    breaker: CircuitBreaker
    calls: int = 0
    failures: int = 0
    in_flight: int = 0


class ServiceReplicas:
    """The replicas of one service; thread-safe, shared by every coroutine of the process."""

    def __init__(self, service: str, urls: list[str], *, failure_threshold: int, recovery_timeout: float,
                 on_change: ReplicaChange | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if not urls:
            raise ValueError(f"{service}: no replica URL")
        self.service = service
        self._on_change = on_change
        self._lock = threading.Lock()
        self._next = 0  # where the round-robin tie-break of calls starts
        self._next_info = 0  # and of /info reads, which must not shift the calls' turn
        self._failed_for: OrderedDict[str, str] = OrderedDict()  # request id -> URL of its last unwell attempt
        # the last state each breaker moved to, kept apart from the breakers: read inside their change callbacks,
        # where asking a breaker for its state would take the lock it holds
        self.recorded: dict[str, BreakerState] = {url: BreakerState.CLOSED for url in urls}
        self.replicas = [
            Replica(url, CircuitBreaker(service if len(urls) == 1 else f"{service} at {url}", failure_threshold,
                                        recovery_timeout, on_change=self._changed(url), clock=clock))
            for url in urls
        ]

    def _changed(self, url: str) -> Callable[[str, BreakerState, BreakerState], None]:
        def changed(_name: str, old: BreakerState, new: BreakerState) -> None:
            self.recorded[url] = new
            if self._on_change:
                self._on_change(self, url, old, new)
        return changed

    @property
    def state(self) -> BreakerState:
        """The service-level breaker state: open only when every replica's breaker is open."""
        return service_state(r.breaker.state for r in self.replicas)

    def acquire(self, request_id: str) -> Replica:
        """The replica that takes this call, counted in flight (hand it back with `succeeded` or `failed`).
        Raises CircuitOpen, naming the service, when every replica's breaker refuses the call."""
        refused: list[CircuitOpen] = []
        with self._lock:
            avoid = self._failed_for.get(request_id)
            count, start = len(self.replicas), self._next
            order = sorted(range(count), key=lambda i: (self.replicas[i].url == avoid, self.replicas[i].in_flight,
                                                        (i - start) % count))
            for i in order:
                replica = self.replicas[i]
                try:
                    replica.breaker.before_call()
                except CircuitOpen as exc:
                    refused.append(exc)
                    continue
                self._next = (i + 1) % count
                replica.in_flight += 1
                replica.calls += 1
                return replica
        raise CircuitOpen(self.service, min(exc.retry_in for exc in refused))

    def succeeded(self, replica: Replica) -> None:
        with self._lock:
            replica.in_flight -= 1
        replica.breaker.record_success()

    def failed(self, replica: Replica, request_id: str, *, unwell: bool) -> None:
        """`unwell`: the failure says the replica is not well (SVC001, retryable 5xx); otherwise it is the
        caller's (VAL001) and says nothing about the replica."""
        with self._lock:
            replica.in_flight -= 1
            replica.failures += 1
            if unwell and len(self.replicas) > 1:
                self._failed_for[request_id] = replica.url
                self._failed_for.move_to_end(request_id)
                while len(self._failed_for) > REMEMBERED_FAILURES:
                    self._failed_for.popitem(last=False)
        if unwell:
            replica.breaker.record_failure()
        else:
            replica.breaker.record_neutral()

    def abandoned(self, replica: Replica) -> None:
        """The call ended without an answer that says anything (cancelled): not counted for or against."""
        with self._lock:
            replica.in_flight -= 1
        replica.breaker.record_abandoned()

    def preferred(self) -> list[Replica]:
        """Every replica, those whose breaker is closed first, rotating: for calls outside the breakers (/info)."""
        with self._lock:
            start = self._next_info
            self._next_info = (start + 1) % len(self.replicas)
        rotated = self.replicas[start:] + self.replicas[:start]
        return sorted(rotated, key=lambda r: r.breaker.state is not BreakerState.CLOSED)
