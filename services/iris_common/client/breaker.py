"""A circuit breaker per service replica: stop hammering one that keeps failing, probe it again later.

closed --(threshold consecutive failures)--> open --(recovery timeout)--> half-open
half-open --(probe succeeds)--> closed;  half-open --(probe fails)--> open
Only failures that say the service is unwell count (SVC001 and retryable 5xx), never the caller's VAL001.
"""

import logging
import threading
import time
from collections.abc import Callable
from enum import Enum

logger = logging.getLogger(__name__)


class BreakerState(str, Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitOpen(Exception):
    def __init__(self, service: str, retry_in: float) -> None:
        self.service = service
        self.retry_in = retry_in
        super().__init__(f"circuit breaker of {service} is open; next probe in {retry_in:.1f}s")


class CircuitBreaker:
    def __init__(
        self,
        service: str,
        failure_threshold: int,
        recovery_timeout: float,
        on_change: Callable[[str, BreakerState, BreakerState], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self._on_change = on_change
        self._clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probe_in_flight = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._current()

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def _current(self) -> BreakerState:
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.recovery_timeout:
            self._move(BreakerState.HALF_OPEN)
        return self._state

    def _move(self, new: BreakerState) -> None:
        old, self._state = self._state, new
        if old is not new:
            logger.warning("circuit breaker %s: %s -> %s (consecutive failures: %d)", self.service, old.value, new.value, self._failures)
            if self._on_change:
                self._on_change(self.service, old, new)

    def before_call(self) -> None:
        """Raise CircuitOpen unless a call may go through now (in half-open: one probe at a time)."""
        with self._lock:
            state = self._current()
            if state is BreakerState.OPEN:
                raise CircuitOpen(self.service, self.recovery_timeout - (self._clock() - self._opened_at))
            if state is BreakerState.HALF_OPEN:
                if self._probe_in_flight:
                    raise CircuitOpen(self.service, 0.0)
                self._probe_in_flight = True

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._probe_in_flight = False
            self._move(BreakerState.CLOSED)

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._probe_in_flight = False
            if self._state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
                self._opened_at = self._clock()
                self._move(BreakerState.OPEN)

    def record_neutral(self) -> None:
        """The call ended in a way that says nothing about the service's health (e.g. VAL001)."""
        with self._lock:
            self._probe_in_flight = False
            if self._state is BreakerState.HALF_OPEN:
                self._failures = 0
                self._move(BreakerState.CLOSED)

    def record_abandoned(self) -> None:
        """The call was given up before it ended (cancelled): free the half-open probe, judge nothing."""
        with self._lock:
            self._probe_in_flight = False
