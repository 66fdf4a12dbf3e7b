"""In-memory request metrics of one service process, with a Prometheus text rendering."""

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _EndpointStats:
    requests: int = 0
    successes: int = 0
    total_seconds: float = 0.0


@dataclass
class RequestMetrics:
    """Counts per endpoint, success rate, mean latency and errors by code. Thread-safe."""

    service_name: str
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _endpoints: dict[str, _EndpointStats] = field(default_factory=dict)
    _errors: Counter[str] = field(default_factory=Counter)

    def record(self, endpoint: str, seconds: float, success: bool, error_code: str | None) -> None:
        with self._lock:
            stats = self._endpoints.setdefault(endpoint, _EndpointStats())
            stats.requests += 1
            stats.successes += int(success)
            stats.total_seconds += seconds
            if error_code:
                self._errors[error_code] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            total = sum(s.requests for s in self._endpoints.values())
            ok = sum(s.successes for s in self._endpoints.values())
            seconds = sum(s.total_seconds for s in self._endpoints.values())
            return {
                "requests_total": total,
                "requests_succeeded": ok,
                "success_rate": round(ok / total, 4) if total else 1.0,
                "average_response_time": round(seconds / total, 6) if total else 0.0,
                "errors_by_code": dict(self._errors),
                "endpoints": {
                    path: {
                        "requests": s.requests,
                        "success_rate": round(s.successes / s.requests, 4),
                        "average_response_time": round(s.total_seconds / s.requests, 6),
                    }
                    for path, s in sorted(self._endpoints.items())
                },
            }

    def prometheus(self) -> str:
        snap = self.snapshot()
        svc = self.service_name
        lines = [
            "# HELP iris_requests_total Requests served, by endpoint.",
            "# TYPE iris_requests_total counter",
        ]
        for path, s in snap["endpoints"].items():
            lines.append(f'iris_requests_total{{service="{svc}",endpoint="{path}"}} {s["requests"]}')
        lines += ["# HELP iris_request_seconds_avg Mean response time, by endpoint.", "# TYPE iris_request_seconds_avg gauge"]
        for path, s in snap["endpoints"].items():
            lines.append(f'iris_request_seconds_avg{{service="{svc}",endpoint="{path}"}} {s["average_response_time"]}')
        lines += ["# HELP iris_errors_total Error responses, by IRIS error code.", "# TYPE iris_errors_total counter"]
        for code, n in sorted(snap["errors_by_code"].items()):
            lines.append(f'iris_errors_total{{service="{svc}",code="{code}"}} {n}')
        lines += ["# HELP iris_success_rate Share of requests answered without error.", "# TYPE iris_success_rate gauge"]
        lines.append(f'iris_success_rate{{service="{svc}"}} {snap["success_rate"]}')
        return "\n".join(lines) + "\n"
