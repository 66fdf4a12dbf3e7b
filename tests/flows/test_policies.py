"""Unit tests of the retry and cache-key policy (no services, no Prefect API)."""

from prefect.states import Failed

from iris_common.client import ServiceCallError
from iris_common.contract.error_codes import ErrorCode
from iris_flows.policies import phase_key, retry_delays, retry_only_retryable


def _failed_with(exc: BaseException) -> Failed:
    return Failed(data=exc)


def test_retries_only_retryable_failures() -> None:
    def call_error(code: ErrorCode) -> ServiceCallError:
        return ServiceCallError("svc", code, "x")

    assert retry_only_retryable(None, None, _failed_with(call_error(ErrorCode.SERVICE_UNAVAILABLE)))
    assert retry_only_retryable(None, None, _failed_with(TimeoutError("task timed out")))
    assert retry_only_retryable(None, None, _failed_with(ServiceCallError("svc", ErrorCode.OCR, "x", retryable=True, status_code=500)))
    assert not retry_only_retryable(None, None, _failed_with(call_error(ErrorCode.VALIDATION)))
    assert not retry_only_retryable(None, None, _failed_with(call_error(ErrorCode.CLASSIFICATION)))
    assert not retry_only_retryable(None, None, _failed_with(KeyError("a bug is not retried")))


def test_backoff_is_exponential() -> None:
    assert retry_delays(3, base=2.0) == [2.0, 4.0, 8.0]


def test_phase_key_depends_on_content_params_and_model_not_on_names() -> None:
    base = phase_key("sha-a", "embed", {"x": 1}, {"version": "v1"})
    assert base == phase_key("sha-a", "embed", {"x": 1}, {"version": "v1"})
    assert base != phase_key("sha-b", "embed", {"x": 1}, {"version": "v1"})
    assert base != phase_key("sha-a", "embed", {"x": 2}, {"version": "v1"})
    assert base != phase_key("sha-a", "embed", {"x": 1}, {"version": "v2"})


def test_an_outage_is_waited_out_within_its_budget_other_failures_only_ordinarily(monkeypatch) -> None:
    from types import SimpleNamespace

    from iris_common.settings import ClientSettings
    from iris_flows.policies import phase_options

    monkeypatch.setenv("IRIS_OUTAGE_BUDGET_SECONDS", "600")
    monkeypatch.setenv("CIRCUIT_BREAKER_RECOVERY_TIMEOUT", "30")
    monkeypatch.setenv("OCR_EXTRACTOR_MAX_RETRIES", "2")
    options = phase_options("ocr-extractor", ClientSettings())
    assert options["retries"] == 2 + 20 and options["retry_delay_seconds"] == [2.0, 4.0] + [30.0] * 20
    assert sum(options["retry_delay_seconds"][2:]) >= 600  # a restart shorter than the budget is waited out
    should_retry = options["retry_condition_fn"]
    unavailable = _failed_with(ServiceCallError("ocr-extractor", ErrorCode.SERVICE_UNAVAILABLE, "circuit breaker is open"))
    timeout = _failed_with(TimeoutError("task timed out"))
    assert should_retry(None, SimpleNamespace(run_count=15), unavailable)
    assert should_retry(None, SimpleNamespace(run_count=2), timeout)
    assert not should_retry(None, SimpleNamespace(run_count=3), timeout)  # past the ordinary retries
    assert not should_retry(None, SimpleNamespace(run_count=1), _failed_with(ServiceCallError("x", ErrorCode.VALIDATION, "bad")))

    monkeypatch.setenv("IRIS_OUTAGE_BUDGET_SECONDS", "0")
    assert phase_options("ocr-extractor", ClientSettings())["retries"] == 2
