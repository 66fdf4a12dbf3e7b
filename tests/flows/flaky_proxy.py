"""Test double for error paths: a proxy in front of a REAL service that answers its first N POSTs with
503 SVC001 (as an overloaded service would), and the POSTs `reject` picks with 400 VAL001 (as a service
refusing that input would); everything else goes to the service."""

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.service_processes import free_port


class FlakyProxy:
    def __init__(self, target: str, failures: int = 0, reject: Callable[[str, bytes], bool] | None = None) -> None:
        self.target = target
        self.failures_left = failures
        self.reject = reject  # (path, body) -> answer VAL001 instead of forwarding
        self.seen_posts = 0
        self.port = free_port()
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: Request) -> Response:
        if request.method == "POST":
            self.seen_posts += 1
            if self.failures_left > 0:
                self.failures_left -= 1
                return JSONResponse(status_code=503, content=_error("SVC001", "overloaded", retryable=True))
        body = await request.body()
        if request.method == "POST" and self.reject and self.reject(request.url.path, body):
            return JSONResponse(status_code=400, content=_error("VAL001", "refused", retryable=False))
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with httpx.AsyncClient(timeout=60) as client:
            upstream = await client.request(request.method, f"{self.target}{request.url.path}", params=request.query_params,
                                            content=body, headers=headers)
        return Response(upstream.content, status_code=upstream.status_code, media_type=upstream.headers.get("content-type"))

    def __enter__(self) -> "FlakyProxy":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.should_exit = True
        self._thread.join(10)


def _error(code: str, what: str, *, retryable: bool) -> dict[str, Any]:
    return {"success": False, "processing_time": 0.0, "timestamp": "2026-01-01T00:00:00Z", "service_name": "flaky-proxy",
            "service_version": "test", "data": None, "warnings": [], "metadata": {},
            "error": {"code": code, "message": f"{what} (injected by the test proxy)", "details": {},
                      "retryable": retryable, "timestamp": "2026-01-01T00:00:00Z"}}
