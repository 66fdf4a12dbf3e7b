"""Unit tests of calls spread over a service's replicas (a comma-separated *_URL). The replicas are test doubles
(httpx.MockTransport), named as such: these tests are about which replica takes a call and the breaker
bookkeeping of each, not about the services. tests/flows/test_replicas.py runs two real ocr-extractors."""

import asyncio
import json

import httpx
import pytest
from pydantic import ValidationError

from iris_common.client import BreakerState, IrisClient, ServiceCallError, ServiceReplicas
from iris_common.client.iris_client import read_breaker_states, replica_breaker_state
from iris_common.contract.error_codes import ErrorCode
from iris_common.settings import ClientSettings

A, B = "http://replica-a:8004", "http://replica-b:8004"
SERVICE = "ocr-extractor"


def _settings(urls: str = f"{A},{B}", **overrides: object) -> ClientSettings:
    values = {"OCR_EXTRACTOR_URL": urls, "CIRCUIT_BREAKER_FAILURE_THRESHOLD": 2, "CIRCUIT_BREAKER_RECOVERY_TIMEOUT": 60.0,
              **overrides}
    return ClientSettings(**values)  # type: ignore[arg-type]


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "processing_time": 0.0, "data": {"served_by": str(request.url.host)},
                                     "error": None, "warnings": [], "metadata": {}})


def _call(client: IrisClient, request_id: str = "rid-1") -> dict:
    return asyncio.run(client.call(SERVICE, "POST", "/ocr", request_id=request_id))


def _base(request: httpx.Request) -> str:
    return f"{request.url.scheme}://{request.url.host}:{request.url.port}"


class FakeReplicas:
    """Test double of the replicas: `down` ones refuse connections, the others answer; records who was asked."""

    def __init__(self, down: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.down, self.seen = set(down), []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(_base(request))
        if _base(request) in self.down:
            raise httpx.ConnectError("connection refused")
        return _ok(request)


def test_the_url_settings_take_a_comma_separated_list_of_replicas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMAGE_PROCESSOR_URL", raising=False)  # flow tests of the same session point it at their services
    settings = _settings(f" {A}/ , {B} ")
    assert settings.urls(SERVICE) == [A, B] and settings.url(SERVICE) == A
    assert ClientSettings().urls("image-processor") == ["http://127.0.0.1:8001"]  # one URL stays the normal case
    with pytest.raises(ValidationError):
        _settings(" , ")


def test_calls_alternate_over_two_replicas() -> None:
    replicas = FakeReplicas()
    client = IrisClient(_settings(), transport=httpx.MockTransport(replicas))
    for i in range(4):
        _call(client, f"rid-{i}")
    assert replicas.seen == [A, B, A, B]
    snapshot = client.snapshot()[SERVICE]
    assert snapshot["calls"] == 4 and snapshot["breaker"] == "closed"
    assert {url: r["calls"] for url, r in snapshot["replicas"].items()} == {A: 2, B: 2}


def test_the_least_busy_replica_takes_the_next_call() -> None:
    replicas = ServiceReplicas(SERVICE, [A, B], failure_threshold=2, recovery_timeout=60.0)
    first = replicas.acquire("rid-1")  # still in flight
    assert replicas.acquire("rid-2").url != first.url
    assert replicas.acquire("rid-3").url in (A, B)  # both busy with one call now: the tie-break decides


def test_a_replica_that_refuses_connections_gets_its_breaker_opened_and_is_skipped(tmp_path) -> None:
    replicas = FakeReplicas(down={A})
    state_file = tmp_path / "breakers.json"
    client = IrisClient(_settings(), breaker_state_file=state_file, transport=httpx.MockTransport(replicas))
    outcomes = []
    for i in range(8):
        try:
            outcomes.append(_call(client, f"rid-{i}")["data"]["served_by"])
        except ServiceCallError as exc:
            assert exc.code is ErrorCode.SERVICE_UNAVAILABLE and exc.retryable
            outcomes.append("SVC001")
    assert outcomes.count("SVC001") == 2  # the threshold: then replica A is skipped while B is available
    assert replicas.seen.count(A) == 2 and outcomes[-4:] == ["replica-b"] * 4
    by_url = {r.url: r.breaker.state for r in client.replicas[SERVICE].replicas}
    assert by_url == {A: BreakerState.OPEN, B: BreakerState.CLOSED}
    assert client.breakers[SERVICE].state is BreakerState.CLOSED  # open only when every replica's is
    snapshot = client.snapshot()[SERVICE]
    assert snapshot["replicas"][A] == {"calls": 2, "failures": 2, "in_flight": 0, "breaker": "open"}
    assert snapshot["replicas"][B]["calls"] == 6 and snapshot["failures"] == 2
    # the state file (what `iris health` shows) keeps the service's state and each replica's
    states = read_breaker_states(state_file)
    assert states[SERVICE]["state"] == "closed" and set(states[SERVICE]["replicas"]) == {A}
    assert replica_breaker_state(states, SERVICE, A) == "open" and replica_breaker_state(states, SERVICE, B) == "closed"


def test_the_next_attempt_of_a_failed_call_goes_to_another_replica() -> None:
    replicas = FakeReplicas(down={A})
    client = IrisClient(_settings(CIRCUIT_BREAKER_FAILURE_THRESHOLD=5), transport=httpx.MockTransport(replicas))
    with pytest.raises(ServiceCallError):
        _call(client, "doc-1")  # A's turn: refused (its breaker stays closed below the threshold)
    assert _call(client, "doc-2")["data"]["served_by"] == "replica-b"  # B's turn; the turn is A's again now
    assert _call(client, "doc-1")["data"]["served_by"] == "replica-b"  # the task's retry (same request id) is not
    assert replicas.seen == [A, B, B]
    with pytest.raises(ServiceCallError) as info:
        _call(client, "doc-3")  # other calls still take turns
    assert replicas.seen[-1] == A and info.value.details["replica"] == A


def test_all_replicas_down_is_svc001_retryable_then_the_service_breaker_opens(tmp_path) -> None:
    replicas = FakeReplicas(down={A, B})
    state_file = tmp_path / "breakers.json"
    client = IrisClient(_settings(), breaker_state_file=state_file, transport=httpx.MockTransport(replicas))
    for i in range(4):
        with pytest.raises(ServiceCallError) as info:
            _call(client, f"rid-{i}")
        assert info.value.code is ErrorCode.SERVICE_UNAVAILABLE and info.value.retryable
    assert client.breakers[SERVICE].state is BreakerState.OPEN
    with pytest.raises(ServiceCallError, match="circuit breaker of ocr-extractor") as info:
        _call(client, "rid-5")
    assert info.value.retryable and info.value.details["circuit"] == "open"
    assert len(replicas.seen) == 4  # the last call reached no replica
    assert json.loads(state_file.read_text())[SERVICE]["state"] == "open"


def test_info_is_read_from_a_replica_that_answers() -> None:
    def fake_replicas(request: httpx.Request) -> httpx.Response:
        if _base(request) == A:
            raise httpx.ConnectError("connection refused")
        return httpx.Response(200, json={"service_name": SERVICE, "models": [{"model_id": "m"}]})

    client = IrisClient(_settings(), transport=httpx.MockTransport(fake_replicas))
    for _ in range(2):  # whichever replica comes first
        assert asyncio.run(client.info(SERVICE)) == {"service_name": SERVICE, "models": [{"model_id": "m"}]}
