"""Bearer-token authentication of every IRIS service: one middleware for every route, one dependency for admin routes.

`create_app` installs `AuthMiddleware`: every request except the open paths (`/health` for probes, the OpenAPI docs)
must carry `Authorization: Bearer <IRIS_API_TOKEN or IRIS_ADMIN_TOKEN>`, else 401 AUTH001 in the error envelope.
It is a middleware, not a router dependency, so a caller without a token is refused before its body is read:
FastAPI parses a `File`/`Form` body (a 25 MB upload) before any dependency runs, and a malformed body would then
answer 422 instead of 401; and a route added later is protected without declaring anything.

The middleware records the caller's `Access` on `request.state.access`; a route that changes the served model
declares `AdminDep` (403 AUTH002 for the service token). Tokens are compared with `hmac.compare_digest` and never
logged or echoed: the messages say which header is expected, not what was sent.
"""

import hmac
import logging
from collections.abc import Iterator, Sequence
from enum import IntEnum
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from iris_common.errors import Forbidden, IrisError, Unauthenticated
from iris_common.settings import TokenSettings
from iris_common.web.responses import error_response

logger = logging.getLogger(__name__)

# served to anyone: the probes' /health and /health/ready (metrics left out for an anonymous caller) and the API
# description
OPEN_PATHS = frozenset({"/health", "/health/ready", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})

# documents the scheme in OpenAPI (the Authorize button of /docs); the check itself is AuthMiddleware's
bearer_scheme = HTTPBearer(auto_error=False, description="IRIS_API_TOKEN (IRIS_ADMIN_TOKEN for model changes)")


class Access(IntEnum):
    """What the caller of this request may do. With IRIS_AUTH=off every caller is ADMIN."""

    ANONYMOUS = 0
    SERVICE = 1  # IRIS_API_TOKEN
    ADMIN = 2  # IRIS_ADMIN_TOKEN: everything the service token may do, and model changes


class Authenticator:
    """The service's tokens, as bytes for `hmac.compare_digest` (a str argument must be ASCII; a header need not be)."""

    def __init__(self, settings: TokenSettings) -> None:
        self.enabled = settings.auth_enabled
        self._tokens = [(Access.ADMIN, settings.admin_token), (Access.SERVICE, settings.api_token)]

    def access(self, authorization: str | None) -> Access:
        if not self.enabled:
            return Access.ADMIN
        scheme, _, credentials = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            return Access.ANONYMOUS
        sent = credentials.strip().encode("utf-8", "surrogateescape")
        granted = Access.ANONYMOUS
        for access, token in self._tokens:  # both compared every time: the time taken says nothing about which
            if token is not None and hmac.compare_digest(sent, token.get_secret_value().encode()):
                granted = max(granted, access)
        return granted


class AuthMiddleware:
    """Refuses a request to any path but OPEN_PATHS without a valid token (401 AUTH001, before the body is read)."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        access = self.authenticator.access(request.headers.get("authorization"))
        scope.setdefault("state", {})["access"] = access
        if access is Access.ANONYMOUS and scope.get("path", "") not in OPEN_PATHS:
            sent = "authorization" in request.headers
            error = Unauthenticated(
                ("the bearer token is not valid here" if sent else "this route needs an `Authorization: Bearer` header")
                + ": send IRIS_API_TOKEN (see $IRIS_HOME/secrets/api-token)")
            logger.warning("%s %s: %s %s", scope["method"], scope.get("path", ""), error.code.value,
                           "invalid token" if sent else "no token")
            await _render(request, error)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _render(request: Request, error: IrisError) -> JSONResponse:
    return error_response(request, error.to_info(), error.http_status, headers=error.headers)


def caller_access(request: Request) -> Access:
    """The caller's access as the middleware found it (ANONYMOUS on an open path without a token)."""
    return getattr(request.state, "access", Access.ANONYMOUS)


def require_admin(request: Request) -> None:
    """Dependency of the routes that change the served model: the admin token only (403 AUTH002 for the service one)."""
    if caller_access(request) < Access.ADMIN:
        raise Forbidden("changing the model needs the admin token: send IRIS_ADMIN_TOKEN "
                        "(see $IRIS_HOME/secrets/admin-token)")


def declares_admin_routes(routers: Sequence[APIRouter]) -> bool:
    """Whether a route of `routers` depends on `require_admin` (then the service needs IRIS_ADMIN_TOKEN to start).
    Read from the routers a service passes to `create_app`, and from routers included in them."""

    def uses(dependant: Dependant) -> bool:
        return dependant.call is require_admin or any(uses(d) for d in dependant.dependencies)

    def routes(router: APIRouter) -> Iterator[APIRoute]:
        for route in router.routes:
            if isinstance(route, APIRoute):
                yield route
            elif isinstance(included := getattr(route, "original_router", None), APIRouter):  # include_router
                yield from routes(included)

    return any(uses(route.dependant) for router in routers for route in routes(router))


AdminDep = Depends(require_admin)
AccessDep = Annotated[Access, Depends(caller_access)]
