"""Where the tokens come from (env vars, else $IRIS_HOME/secrets, written by `iris setup`), when a service refuses to
start, and the authentication middleware's edge cases, on an app built by the real `create_app`.

The runtime here is a test double (`NoModelsRuntime`): these tests are about the web layer, not the models; the four
real services are tested in tests/flows/test_auth.py and tests/ml_classifier/test_classifier_auth.py."""

import logging
import stat
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from iris_common.contract.health import CheckResult
from iris_common.settings import ClientSettings, ServiceSettings, ensure_token_files
from iris_common.web.app_factory import AuthNotConfigured, create_app
from iris_common.web.auth import AdminDep

TOKEN_VARS = ("IRIS_API_TOKEN", "IRIS_ADMIN_TOKEN", "IRIS_AUTH")


class NoModelsRuntime:
    def load(self) -> None: ...

    def checks(self) -> dict[str, CheckResult]:
        return {"ready": CheckResult(ok=True)}

    def describe(self) -> dict[str, Any]:
        return {"models": []}


def _app(settings: ServiceSettings, *, admin_route: bool = True):  # -> FastAPI
    router = APIRouter()

    @router.post("/echo")
    def echo(body: dict[str, Any]) -> dict[str, Any]:
        return body

    if admin_route:
        @router.post("/change", dependencies=[AdminDep])
        def change() -> dict[str, str]:
            return {"changed": "yes"}

    return create_app(service_name="test-service", settings=settings, runtime=NoModelsRuntime(), routers=[router],
                      configure_logs=False)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh IRIS_HOME and no token in the environment."""
    for name in TOKEN_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IRIS_HOME", str(tmp_path))
    return tmp_path


def test_setup_writes_owner_only_token_files_once(home: Path) -> None:
    secrets_dir = ServiceSettings().secrets_dir
    assert ensure_token_files(secrets_dir) == {"api-token": "created", "admin-token": "created"}
    tokens = {p.name: p.read_text().strip() for p in secrets_dir.iterdir()}
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700
    assert all(stat.S_IMODE((secrets_dir / n).stat().st_mode) == 0o600 for n in tokens)
    assert len(set(tokens.values())) == 2 and all(len(t) >= 43 for t in tokens.values())  # token_urlsafe(32)
    assert ensure_token_files(secrets_dir) == {"api-token": "kept", "admin-token": "kept"}
    assert {p.name: p.read_text().strip() for p in secrets_dir.iterdir()} == tokens
    for settings in (ServiceSettings(), ClientSettings()):  # both the services and their callers read them
        assert settings.api_token is not None and settings.api_token.get_secret_value() == tokens["api-token"]
        assert settings.admin_token is not None and settings.admin_token.get_secret_value() == tokens["admin-token"]
        assert tokens["api-token"] not in repr(settings)  # SecretStr


def test_env_vars_win_over_the_files(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_token_files(home / "secrets")
    monkeypatch.setenv("IRIS_API_TOKEN", "from-the-environment")
    settings = ClientSettings()
    assert settings.authorization() == {"Authorization": "Bearer from-the-environment"}
    assert settings.authorization(admin=True)["Authorization"] == f"Bearer {(home / 'secrets' / 'admin-token').read_text().strip()}"


def test_a_service_without_tokens_refuses_to_start_naming_the_variables(home: Path) -> None:
    with pytest.raises(AuthNotConfigured) as refused:
        _app(ServiceSettings())
    message = str(refused.value)
    assert "IRIS_API_TOKEN" in message and "IRIS_ADMIN_TOKEN" in message and "IRIS_AUTH=off" in message
    assert str(home / "secrets" / "api-token") in message and "iris setup" in message


def test_only_a_service_with_admin_routes_needs_the_admin_token(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRIS_API_TOKEN", "api")
    _app(ServiceSettings(), admin_route=False)
    with pytest.raises(AuthNotConfigured, match="IRIS_ADMIN_TOKEN is not set"):
        _app(ServiceSettings())
    monkeypatch.setenv("IRIS_ADMIN_TOKEN", "api")
    with pytest.raises(AuthNotConfigured, match="the same token"):
        _app(ServiceSettings())
    monkeypatch.setenv("IRIS_ADMIN_TOKEN", "REPLACE-with-another-secrets.token_urlsafe-32")  # the k8s template's
    with pytest.raises(AuthNotConfigured, match="IRIS_ADMIN_TOKEN still holds the placeholder"):
        _app(ServiceSettings())


def test_auth_off_must_be_explicit_and_is_logged(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("IRIS_AUTH", "off")
    with caplog.at_level(logging.WARNING), TestClient(_app(ServiceSettings())) as client:
        assert client.post("/echo", json={"a": 1}).json() == {"a": 1}
        assert client.post("/change").status_code == 200
        assert client.get("/health").json()["metrics"]["requests_total"] >= 2
    assert "WITHOUT authentication" in caplog.text
    monkeypatch.setenv("IRIS_AUTH", "no")
    with pytest.raises(ValueError):
        ServiceSettings()


@pytest.fixture
def client(home: Path, monkeypatch: pytest.MonkeyPatch):  # -> TestClient
    monkeypatch.setenv("IRIS_API_TOKEN", "the-api-token")
    monkeypatch.setenv("IRIS_ADMIN_TOKEN", "the-admin-token")
    with TestClient(_app(ServiceSettings())) as c:
        yield c


def test_the_middleware_refuses_before_the_body_is_read(client: TestClient) -> None:
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic dXNlcjpwYXNz"},
                    {"Authorization": "Bearer the-api-token-but-longer"}, {"Authorization": b"Bearer \xf1\xff"}):
        r = client.post("/echo", content=b"{not json", headers={**headers, "content-type": "application/json"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "AUTH001", (headers, r.text)
    assert client.post("/echo", content=b"{not json", headers={"Authorization": "Bearer the-api-token",
                                                               "content-type": "application/json"}).status_code == 422
    assert client.post("/echo", json={"a": 1}, headers={"Authorization": "bearer  the-api-token "}).status_code == 200


def test_admin_routes_take_the_admin_token_only(client: TestClient) -> None:
    assert client.post("/change", headers={"Authorization": "Bearer the-api-token"}).json()["error"]["code"] == "AUTH002"
    assert client.post("/change", headers={"Authorization": "Bearer the-admin-token"}).json() == {"changed": "yes"}
    assert client.post("/echo", json={}, headers={"Authorization": "Bearer the-admin-token"}).status_code == 200
    assert client.post("/change").status_code == 401


def test_refused_calls_are_logged_and_counted_without_the_token(client: TestClient,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        client.post("/echo", json={}, headers={"Authorization": "Bearer wrong-token-4Kd9"})
        client.post("/change", headers={"Authorization": "Bearer the-api-token"})
        client.get("/info", headers={"Authorization": "Bearer the-admin-token"})
    assert "AUTH001" in caplog.text and "AUTH002" in caplog.text
    for token in ("wrong-token-4Kd9", "the-api-token", "the-admin-token"):
        assert token not in caplog.text
    errors = client.get("/metrics", headers={"Authorization": "Bearer the-api-token"}).json()["errors_by_code"]
    assert errors["AUTH001"] >= 1 and errors["AUTH002"] >= 1


def test_the_openapi_schema_documents_the_bearer_scheme(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert schema["paths"]["/echo"]["post"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in schema["paths"]["/health"]["get"]


def test_iris_setup_makes_the_tokens_and_iris_up_refuses_without_them(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from iris_cli import main as cli

    assert cli.main(["up", "--timeout", "1"]) == 1
    assert "not starting the services" in capsys.readouterr().err and not (home / "run").exists()
    monkeypatch.setattr(cli, "prepare_all", lambda models_dir, force=False: {})  # the models are not the point here
    assert cli.main(["setup"]) == 0
    assert "api-token created" in capsys.readouterr().out
    assert ServiceSettings().auth_problem() is None


def test_the_cli_sends_the_admin_token_only_for_model_changes(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from iris_cli.classifier_commands import _client, _ocr_client

    monkeypatch.setenv("IRIS_API_TOKEN", "the-api-token")
    monkeypatch.setenv("IRIS_ADMIN_TOKEN", "the-admin-token")
    assert _client().headers["authorization"] == "Bearer the-api-token"
    assert _ocr_client().headers["authorization"] == "Bearer the-api-token"
    assert _client(admin=True).headers["authorization"] == "Bearer the-admin-token"
