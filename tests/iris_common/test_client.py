"""Unit tests of the client's error paths. The service is a test double (httpx.MockTransport), named as such:
these tests are about mapping and breaker bookkeeping, not about the services."""

import asyncio
import json

import httpx
import pytest

from iris_common.client import BreakerState, CircuitBreaker, IrisClient, ServiceCallError
from iris_common.contract.error_codes import ErrorCode
from iris_common.settings import ClientSettings


def _settings(**overrides: object) -> ClientSettings:
    values = {"CIRCUIT_BREAKER_FAILURE_THRESHOLD": 2, "CIRCUIT_BREAKER_RECOVERY_TIMEOUT": 60.0, **overrides}
    return ClientSettings(**values)  # type: ignore[arg-type]


def _error(code: str, retryable: bool) -> dict:
    return {"code": code, "message": "x", "retryable": retryable}


def _envelope(success: bool, error: dict | None = None, data: object = None) -> dict:
    return {"success": success, "processing_time": 0.0, "timestamp": "2026-01-01T00:00:00Z", "service_name": "x",
            "service_version": "0", "data": data, "error": error, "warnings": [], "metadata": {}}


def _call(client: IrisClient, service: str = "image-processor") -> dict:
    return asyncio.run(client.call(service, "POST", "/process", request_id="rid-1"))


def test_success_returns_envelope_and_sends_request_id() -> None:
    seen = {}

    def fake_service(request: httpx.Request) -> httpx.Response:
        seen["rid"] = request.headers["X-Request-ID"]
        return httpx.Response(200, json=_envelope(True, data={"ok": 1}))

    client = IrisClient(_settings(), transport=httpx.MockTransport(fake_service))
    assert _call(client)["data"] == {"ok": 1}
    assert seen["rid"] == "rid-1"
    assert client.snapshot()["image-processor"]["calls"] == 1


@pytest.mark.parametrize(
    ("response", "code", "retryable"),
    [
        (httpx.Response(400, json=_envelope(False, _error("VAL001", False))), ErrorCode.VALIDATION, False),
        (httpx.Response(500, json=_envelope(False, _error("ML002", False))), ErrorCode.CLASSIFICATION, False),
        (httpx.Response(503, json=_envelope(False, _error("SVC001", True))), ErrorCode.SERVICE_UNAVAILABLE, True),
        (httpx.Response(502, text="bad gateway"), ErrorCode.SERVICE_UNAVAILABLE, True),
        (httpx.Response(404, text="not found"), ErrorCode.VALIDATION, False),
    ],
)
def test_error_responses_map_to_codes(response: httpx.Response, code: ErrorCode, retryable: bool) -> None:
    client = IrisClient(_settings(), transport=httpx.MockTransport(lambda r: response))
    with pytest.raises(ServiceCallError) as info:
        _call(client)
    assert info.value.code is code
    assert info.value.retryable is retryable
    assert info.value.request_id == "rid-1"


@pytest.mark.parametrize("exc", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.PoolTimeout("busy")])
def test_transport_errors_are_retryable_svc001(exc: Exception) -> None:
    def failing_service(request: httpx.Request) -> httpx.Response:
        raise exc

    client = IrisClient(_settings(), transport=httpx.MockTransport(failing_service))
    with pytest.raises(ServiceCallError) as info:
        _call(client)
    assert info.value.code is ErrorCode.SERVICE_UNAVAILABLE and info.value.retryable


def test_breaker_opens_after_threshold_and_fails_fast(tmp_path) -> None:
    calls = {"n": 0}

    def down_service(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        raise httpx.ConnectError("refused")

    state_file = tmp_path / "breakers.json"
    client = IrisClient(_settings(), breaker_state_file=state_file, transport=httpx.MockTransport(down_service))
    for _ in range(2):
        with pytest.raises(ServiceCallError):
            _call(client)
    assert client.breakers["image-processor"].state is BreakerState.OPEN
    with pytest.raises(ServiceCallError, match="circuit breaker"):
        _call(client)
    assert calls["n"] == 2  # the third call never reached the service
    assert json.loads(state_file.read_text())["image-processor"]["state"] == "open"


def test_validation_errors_do_not_open_the_breaker() -> None:
    response = httpx.Response(400, json=_envelope(False, {"code": "VAL001", "message": "bad", "retryable": False}))
    client = IrisClient(_settings(), transport=httpx.MockTransport(lambda r: response))
    for _ in range(5):
        with pytest.raises(ServiceCallError):
            _call(client)
    assert client.breakers["image-processor"].state is BreakerState.CLOSED


def test_breaker_half_open_probe_closes_or_reopens() -> None:
    now = {"t": 0.0}
    breaker = CircuitBreaker("svc", failure_threshold=1, recovery_timeout=10.0, clock=lambda: now["t"])
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    now["t"] = 11.0
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    now["t"] = 22.0
    breaker.before_call()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
