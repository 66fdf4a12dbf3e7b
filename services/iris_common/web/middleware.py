"""Request id propagation, timing and metrics for every request (pure ASGI, so streaming stays intact)."""

import logging
import time
import uuid

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from iris_common.observability.logging import request_id_var
from iris_common.observability.metrics import RequestMetrics

REQUEST_ID_HEADER = "X-Request-ID"
logger = logging.getLogger("iris.access")


class RequestContextMiddleware:
    """Accepts or creates X-Request-ID, echoes it, and records one metrics sample per request."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics, track_requests: bool = True, record_metrics: bool = True) -> None:
        self.app = app
        self.metrics = metrics
        self.track_requests = track_requests
        self.record_metrics = record_metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        incoming = request.headers.get(REQUEST_ID_HEADER, "").strip()
        request_id = incoming[:128] if incoming else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["started"] = time.perf_counter()
        token = request_id_var.set(request_id)
        status = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                if self.track_requests and not any(k.lower() == b"x-request-id" for k, _ in headers):
                    headers.append((b"x-request-id", request_id.encode("latin-1", "replace")))
                    message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - state["started"]
            path = scope.get("path", "")
            if self.record_metrics and path not in ("/health", "/health/ready", "/metrics"):
                code = state.get("error_code")
                self.metrics.record(f"{scope['method']} {path}", seconds, status["code"] < 400, code)
            logger.info("%s %s -> %s in %.3fs", scope["method"], path, status["code"], seconds)
            request_id_var.reset(token)
