"""Builds envelopes for a request; the only place that knows how `processing_time` is measured."""

import time
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from iris_common.contract.envelope import Envelope, ErrorInfo


def _elapsed(request: Request) -> float:
    started = getattr(request.state, "started", None)
    return round(time.perf_counter() - started, 6) if started is not None else 0.0


def envelope(
    request: Request,
    data: Any,
    *,
    warnings: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Envelope[Any]:
    """Success envelope for `data`; routes return this and FastAPI serialises it."""
    app = request.app.state
    return Envelope[Any](
        success=True,
        processing_time=_elapsed(request),
        service_name=app.service_name,
        service_version=app.service_version,
        data=data,
        warnings=warnings or [],
        metadata={"request_id": getattr(request.state, "request_id", None), **(metadata or {})},
    )


def error_response(request: Request, error: ErrorInfo, status_code: int,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    request.state.error_code = error.code.value
    app = request.app.state
    body = Envelope[Any](
        success=False,
        processing_time=_elapsed(request),
        service_name=app.service_name,
        service_version=app.service_version,
        error=error,
        metadata={"request_id": getattr(request.state, "request_id", None)},
    )
    request_id = getattr(request.state, "request_id", None)
    headers = {**(headers or {}), **({"X-Request-ID": request_id} if request_id else {})}
    return JSONResponse(status_code=status_code, content=body.model_dump(mode="json"), headers=headers or None)
