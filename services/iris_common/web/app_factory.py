"""`create_app`: the one place that assembles an IRIS service (middleware, authentication, errors, /health, /health/ready,
/metrics).

A service supplies its name, settings, a `ServiceRuntime` (loads models at start-up and reports checks)
and its routers; everything shared by the four services happens here.
"""

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from iris_common import __version__
from iris_common.contract.health import CheckResult, HealthReport, HealthStatus
from iris_common.observability.logging import configure_logging
from iris_common.observability.metrics import RequestMetrics
from iris_common.settings import ServiceSettings
from iris_common.web.auth import Access, AccessDep, Authenticator, AuthMiddleware, bearer_scheme, declares_admin_routes
from iris_common.web.handlers import install_error_handlers
from iris_common.web.middleware import RequestContextMiddleware

logger = logging.getLogger(__name__)


class ServiceRuntime(Protocol):
    """What a service holds across requests (its loaded models). `load` must not raise on a missing model:
    it records the reason so that /health reports `unhealthy` instead of the process crashing.
    `describe()` returns {"models": [{"backend", "model_id", "version", "weights_source", ...}], ...}."""

    def load(self) -> None: ...

    def checks(self) -> dict[str, CheckResult]: ...

    def describe(self) -> dict[str, Any]: ...


class AuthNotConfigured(RuntimeError):
    """A service with authentication on (the default) and no tokens: it refuses to start."""


def create_app(
    *,
    service_name: str,
    settings: ServiceSettings,
    runtime: ServiceRuntime,
    routers: Sequence[APIRouter],
    description: str = "",
    configure_logs: bool = True,
    extra_checks: Callable[[], dict[str, CheckResult]] | None = None,
) -> FastAPI:
    if configure_logs:
        configure_logging(service_name, settings.log_level, settings.log_format)
    metrics = RequestMetrics(service_name)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started = time.perf_counter()
        try:
            runtime.load()
        except Exception as exc:  # the runtime should record failures itself; this is the last guard
            logger.exception("runtime failed to load: %s", exc)
        logger.info("%s ready in %.1fs: %s", service_name, time.perf_counter() - started, runtime.describe())
        yield

    app = FastAPI(title=f"IRIS {service_name}", version=__version__, description=description, lifespan=lifespan)
    app.state.service_name = service_name
    app.state.service_version = __version__
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.metrics = metrics
    app.state.started_at = time.time()
    # added first, so it runs inside the request-id/metrics middleware: a refused request is logged and counted too
    app.add_middleware(AuthMiddleware, authenticator=Authenticator(settings))
    app.add_middleware(
        RequestContextMiddleware,
        metrics=metrics,
        track_requests=settings.enable_request_tracking,
        record_metrics=settings.enable_metrics,
    )
    install_error_handlers(app)

    ops = APIRouter(tags=["operations"])
    authenticated = [Depends(bearer_scheme)]  # documents the bearer scheme; AuthMiddleware enforces it

    def report(request: Request, access: Access) -> HealthReport:
        checks = runtime.checks()
        if extra_checks:
            checks.update(extra_checks())
        return HealthReport(
            service_name=service_name,
            status=HealthReport.status_of(checks),
            version=__version__,
            uptime_seconds=round(time.time() - request.app.state.started_at, 3),
            checks=checks,
            metrics=metrics.snapshot() if access >= Access.SERVICE else {},
        )

    @ops.get("/health", response_model=HealthReport)
    def health(request: Request, access: AccessDep) -> HealthReport:
        """Always 200 with a status field, so a probe can tell `unhealthy` (model missing) from `down` (liveness:
        the process answers). Open to any caller (probes send no token); the request metrics are included for an
        authenticated caller only."""
        return report(request, access)

    @ops.get("/health/ready", response_model=HealthReport, responses={503: {"model": HealthReport}})
    def ready(request: Request, access: AccessDep) -> HealthReport | JSONResponse:
        """The same report, 503 when `unhealthy` (a critical check failed: its model did not load): the readiness
        probe of a replica, so that a load balancer (a Kubernetes Service, compose's healthcheck) sends it no calls
        it could only answer with SVC001. `degraded` still serves: 200."""
        health_report = report(request, access)
        if health_report.status == HealthStatus.UNHEALTHY:
            return JSONResponse(status_code=503, content=health_report.model_dump(mode="json"))
        return health_report

    @ops.get("/metrics", response_model=None, dependencies=authenticated)
    def read_metrics(format: str = Query("json", pattern="^(json|prometheus)$")) -> dict[str, Any] | PlainTextResponse:
        if format == "prometheus":
            return PlainTextResponse(metrics.prometheus(), media_type="text/plain; version=0.0.4")
        return {"service_name": service_name, **metrics.snapshot()}

    @ops.get("/info", dependencies=authenticated)
    def info() -> dict[str, Any]:
        """What this process loaded (backend, model id, version, weights source): used by `iris models`."""
        return {"service_name": service_name, "service_version": __version__, **runtime.describe()}

    app.include_router(ops)
    for router in routers:
        app.include_router(router, dependencies=authenticated)
    _check_auth(routers, service_name, settings)
    return app


def _check_auth(routers: Sequence[APIRouter], service_name: str, settings: ServiceSettings) -> None:
    """Refuse to build a service that would serve without the tokens it needs (the admin token only where a route
    declares `AdminDep`), unless IRIS_AUTH=off says so explicitly."""
    if problem := settings.auth_problem(needs_admin=declares_admin_routes(routers)):
        logger.error("%s cannot start: %s", service_name, problem)
        raise AuthNotConfigured(f"{service_name}: {problem}")
    if not settings.auth_enabled:
        logger.warning("%s serves WITHOUT authentication (IRIS_AUTH=off): any caller may use it and change its model",
                       service_name)
