"""Authentication on the four real service processes (the session's tokens, tests/conftest.py): 401 AUTH001 without a
valid token, 403 AUTH002 for a model change with the service token, /health open to probes, the flow sending the
token from its environment, and no token in the services' logs."""

import asyncio
import os
from pathlib import Path

import httpx
import pytest

from tests.auth import admin_headers, api_headers
from tests.flows.conftest import write_document
from tests.service_processes import ServiceProcess

pytestmark = pytest.mark.slow

WRONG_TOKEN = "wrong-token-Zq7xV1c2"  # distinctive, so the log check cannot miss it

# one phase endpoint of each service, with a request it would accept
CALLS = {
    "image-processor": ("POST", "/process"),
    "ml-embeddings": ("POST", "/embed"),
    "ml-classifier": ("POST", "/classify"),
    "ocr-extractor": ("POST", "/ocr"),
}


def _call(svc: ServiceProcess, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    files = {"file": ("page.png", b"\x89PNG\r\n\x1a\n not read: refused before the body", "image/png")} if method == "POST" else None
    return httpx.request(method, f"{svc.url}{path}", files=files, headers=headers, timeout=30)


def _assert_error(response: httpx.Response, status: int, code: str, service: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["service_name"] == service and body["data"] is None
    assert body["error"]["code"] == code and body["error"]["retryable"] is False
    assert body["metadata"]["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize("name", list(CALLS))
def test_a_call_without_a_valid_token_is_401_auth001(services: dict[str, ServiceProcess], name: str) -> None:
    svc = services[name]
    for path in (CALLS[name], ("GET", "/info"), ("GET", "/metrics")):
        for headers in ({}, {"Authorization": f"Bearer {WRONG_TOKEN}"}, {"Authorization": WRONG_TOKEN}):
            response = _call(svc, *path, headers)
            _assert_error(response, 401, "AUTH001", name)
            assert response.headers["www-authenticate"] == "Bearer"
            assert WRONG_TOKEN not in response.text
    # the same routes with the service token get past authentication (/classify refuses the fake PNG: VAL001)
    assert httpx.get(f"{svc.url}/info", headers=api_headers(), timeout=10).status_code == 200
    assert _call(svc, *CALLS[name], api_headers()).json()["error"]["code"] == "VAL001"


@pytest.mark.parametrize("name", list(CALLS))
def test_health_is_open_to_probes_and_its_metrics_to_callers(services: dict[str, ServiceProcess], name: str) -> None:
    probe = httpx.get(f"{services[name].url}/health", timeout=10)
    assert probe.status_code == 200 and probe.json()["status"] == "healthy"
    ready = httpx.get(f"{services[name].url}/health/ready", timeout=10)  # the readiness probe, without a token too
    assert ready.status_code == 200 and ready.json()["status"] == "healthy" and ready.json()["metrics"] == {}
    assert probe.json()["metrics"] == {}  # the request metrics are /metrics' data: callers only
    caller = httpx.get(f"{services[name].url}/health", headers=api_headers(), timeout=10).json()
    assert "requests_total" in caller["metrics"]


def test_model_changes_need_the_admin_token(services: dict[str, ServiceProcess]) -> None:
    """These services serve the models `iris setup` prepared, so nothing is trained here (tests/ml_classifier
    trains with the admin token on a private copy): activating the active version again changes nothing."""
    base = services["ml-classifier"].url
    active = httpx.get(f"{base}/model", headers=api_headers(), timeout=10).json()["data"]["version"]
    train = {"embeddings": [[0.1] * 2576] * 2, "labels": ["receipt", "letter"]}
    for path, body in (("/train", train), ("/model/activate", {"version": active})):
        refused = httpx.post(f"{base}{path}", json=body, headers=api_headers(), timeout=30)
        _assert_error(refused, 403, "AUTH002", "ml-classifier")
        assert "admin token" in refused.json()["error"]["message"]
        _assert_error(httpx.post(f"{base}{path}", json=body, timeout=30), 401, "AUTH001", "ml-classifier")
    again = httpx.post(f"{base}/model/activate", json={"version": active, "reason": "auth test", "actor": "ci"},
                       headers=admin_headers(), timeout=30)
    assert again.status_code == 200 and again.json()["data"]["version"] == active


def _run(path: Path):  # -> prefect State
    from iris_flows.document_flow import process_document

    return asyncio.run(process_document(path=str(path), return_state=True))


def test_a_flow_run_sends_the_token_from_its_environment(fresh_client: None, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    state = _run(write_document(tmp_path, "with-token.png", seed=71))
    assert state.is_completed(), state.message
    assert state.result()["document_type"] == "receipt"

    from iris_common.client import BreakerState, IrisClient

    IrisClient._shared = None
    monkeypatch.setenv("IRIS_API_TOKEN", WRONG_TOKEN)
    state = _run(write_document(tmp_path, "wrong-token.png", seed=72))
    assert state.is_failed()
    assert "phase 'preprocess'" in state.message and "AUTH001" in state.message
    assert WRONG_TOKEN not in state.message
    # the caller's mistake: not retried, and it says nothing about the service's health
    assert IrisClient.shared().breakers["image-processor"].state is BreakerState.CLOSED
    assert IrisClient.shared().stats["image-processor"].calls == 1


def test_no_token_reaches_the_service_logs(services: dict[str, ServiceProcess]) -> None:
    for name, svc in services.items():
        _call(svc, *CALLS[name], {"Authorization": f"Bearer {WRONG_TOKEN}"})
        _call(svc, *CALLS[name], api_headers())
    httpx.post(f"{services['ml-classifier'].url}/model/activate", json={"version": "v999"}, headers=admin_headers(), timeout=30)
    secrets = (WRONG_TOKEN, os.environ["IRIS_API_TOKEN"], os.environ["IRIS_ADMIN_TOKEN"])
    for name, svc in services.items():
        log = svc.log.read_text(errors="replace")
        assert "AUTH001" in log, f"{name} did not log the refused calls"
        leaked = [s[:10] + "..." for s in secrets if s in log]
        assert not leaked, f"{name}'s log contains a token: {leaked}"
