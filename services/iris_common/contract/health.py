"""Health report returned by `GET /health` of every service."""

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field


class HealthStatus(str, Enum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"


class CheckResult(BaseModel):
    """One named check: `critical` failures make the service unhealthy, others only degraded."""

    ok: bool
    critical: bool = True
    detail: str = ""
    info: dict[str, Any] = Field(default_factory=dict)


class HealthReport(BaseModel):
    service_name: str
    status: HealthStatus
    version: str
    uptime_seconds: float
    checks: dict[str, CheckResult]
    metrics: dict[str, Any]

    @staticmethod
    def status_of(checks: dict[str, CheckResult]) -> HealthStatus:
        if any(not c.ok and c.critical for c in checks.values()):
            return HealthStatus.UNHEALTHY
        if any(not c.ok for c in checks.values()):
            return HealthStatus.DEGRADED
        return HealthStatus.HEALTHY
