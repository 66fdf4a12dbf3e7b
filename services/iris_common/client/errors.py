"""Every failure of a service call becomes one `ServiceCallError` with an IRIS error code.

The mapping at this boundary is the only place that knows httpx's exception tree:
  connect error / connect timeout / pool timeout  -> SVC001, retryable (service down or busy)
  read/write timeout                              -> SVC001, retryable (service hung or overloaded)
  open circuit breaker                            -> SVC001, retryable (try again after recovery)
  error envelope from the service                 -> its code and its `retryable` flag
  non-envelope 5xx (proxy, crash)                 -> SVC001, retryable
  non-envelope 4xx                                -> VAL001, not retryable
"""

from typing import Any

import httpx

from iris_common.contract.error_codes import ErrorCode


class ServiceCallError(Exception):
    def __init__(
        self,
        service: str,
        code: ErrorCode,
        message: str,
        *,
        retryable: bool | None = None,
        status_code: int | None = None,
        details: dict[str, Any] | None = None,
        request_id: str | None = None,
    ) -> None:
        self.service = service
        self.code = code
        self.message = message
        self.retryable = code.retryable if retryable is None else retryable
        self.status_code = status_code
        self.details = details or {}
        self.request_id = request_id
        super().__init__(f"{service}: {code.value} {message} (request_id={request_id}, http={status_code}, retryable={self.retryable})")


def from_transport_error(service: str, exc: httpx.TransportError, request_id: str | None) -> ServiceCallError:
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "is unreachable"
    return ServiceCallError(
        service,
        ErrorCode.SERVICE_UNAVAILABLE,
        f"{service} {kind}: {type(exc).__name__}: {exc}".rstrip(": "),
        retryable=True,
        details={"exception": type(exc).__name__},
        request_id=request_id,
    )


def from_response(service: str, response: httpx.Response, request_id: str | None) -> ServiceCallError:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    if error.get("code") in {c.value for c in ErrorCode}:
        return ServiceCallError(
            service,
            ErrorCode(error["code"]),
            error.get("message", ""),
            retryable=bool(error.get("retryable", False)),
            status_code=response.status_code,
            details=error.get("details") or {},
            request_id=request_id,
        )
    code = ErrorCode.SERVICE_UNAVAILABLE if response.status_code >= 500 else ErrorCode.VALIDATION
    return ServiceCallError(
        service,
        code,
        f"HTTP {response.status_code} without an IRIS envelope: {response.text[:200]}",
        retryable=response.status_code >= 500,
        status_code=response.status_code,
        request_id=request_id,
    )
