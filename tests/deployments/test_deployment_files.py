"""prefect.yaml and docker-compose.yml, validated offline (no Docker engine needed)."""

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def _prefect_yaml() -> dict[str, Any]:
    return yaml.safe_load((REPO / "prefect.yaml").read_text())


def _deployment(name: str) -> dict[str, Any]:
    return next(d for d in _prefect_yaml()["deployments"] if d["name"] == name)


def test_prefect_yaml_declares_on_demand_and_nightly_deployments() -> None:
    on_demand, nightly = _deployment("process-document"), _deployment("nightly-batch")
    assert on_demand["entrypoint"] == "flows/iris_flows/document_flow.py:process_document"
    assert nightly["entrypoint"] == "flows/iris_flows/folder_flow.py:process_folder"
    assert nightly["concurrency_limit"] == 1
    assert nightly["schedules"] == [{"cron": "0 2 * * *", "timezone": "{{ $IRIS_TIMEZONE }}"}]
    assert set(nightly["parameters"]) == {"input_dir", "output_dir"}  # concurrency: IRIS_CONCURRENCY
    for deployment in (on_demand, nightly):
        assert deployment["work_pool"]["name"] == "{{ $IRIS_WORK_POOL }}"
        assert (REPO / deployment["entrypoint"].split(":")[0]).is_file()


def test_entrypoints_name_real_flows() -> None:
    from iris_flows.document_flow import process_document
    from iris_flows.folder_flow import process_folder

    assert process_document.name == "process-document" and process_folder.name == "process-folder"


@pytest.mark.parametrize("name", ["process-document-docker", "nightly-batch-docker"])
def test_docker_pool_job_variables_are_valid_for_prefect_docker(name: str) -> None:
    """Render the job variables into prefect-docker's DockerWorker job configuration, as a worker would."""
    from prefect.utilities.templating import apply_values
    from prefect_docker.worker import DockerWorker, DockerWorkerJobConfiguration

    template = DockerWorker.get_default_base_job_template()
    variables = _deployment(name)["work_pool"]["job_variables"]
    assert set(variables) <= set(template["variables"]["properties"]), "unknown Docker job variable"
    jsonschema.validate(variables, template["variables"])  # and each is well typed
    defaults = {k: v["default"] for k, v in template["variables"]["properties"].items() if v.get("default") is not None}
    rendered = apply_values(template["job_configuration"], {**defaults, **variables})
    config = DockerWorkerJobConfiguration(**rendered)
    assert config.image == "{{ $IRIS_FLOWS_IMAGE }}"
    assert config.networks == ["iris"]
    assert config.env["OCR_EXTRACTOR_URL"] == "http://ocr-extractor:8004"
    assert "iris-outbox:/data/outbox" in config.volumes


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="Debian docker-compose not installed (scripts/install.sh installs it)")
def test_docker_compose_file_is_valid() -> None:
    result = subprocess.run(["docker-compose", "-f", str(REPO / "docker-compose.yml"), "config", "-q"], cwd=REPO,
                            env={**os.environ, "POSTGRES_PASSWORD": "test-only"}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "prefect-server", "worker", "image-processor", "ml-embeddings", "ml-classifier", "ocr-extractor"} <= set(services)
    assert {"iris-models", "iris-inbox", "iris-outbox", "iris-results"} <= set(compose["volumes"])
    for svc in ("image-processor", "ml-embeddings", "ml-classifier", "ocr-extractor"):
        assert services["worker"]["depends_on"][svc]["condition"] == "service_healthy"


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="Debian docker-compose not installed")
def test_ocr_extractor_runs_as_replicas_behind_one_name() -> None:
    """deploy.replicas (docker-compose 1.29 scales by it too), no host port N replicas would fight over."""
    def rendered(**env: str) -> dict[str, Any]:
        base = {k: v for k, v in os.environ.items() if k != "OCR_EXTRACTOR_REPLICAS"}
        result = subprocess.run(["docker-compose", "-f", str(REPO / "docker-compose.yml"), "config"], cwd=REPO,
                                env={**base, "POSTGRES_PASSWORD": "test-only", **env}, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return yaml.safe_load(result.stdout)["services"]

    services = rendered()
    assert services["ocr-extractor"]["deploy"]["replicas"] == 2 and "ports" not in services["ocr-extractor"]
    assert "container_name" not in services["ocr-extractor"]
    assert rendered(OCR_EXTRACTOR_REPLICAS="3")["ocr-extractor"]["deploy"]["replicas"] == 3
    assert services["worker"]["environment"]["OCR_EXTRACTOR_URL"] == "http://ocr-extractor:8004"


def test_compose_refuses_to_start_without_a_database_password() -> None:
    if shutil.which("docker-compose") is None:
        pytest.skip("Debian docker-compose not installed")
    env = {k: v for k, v in os.environ.items() if k != "POSTGRES_PASSWORD"}
    result = subprocess.run(["docker-compose", "-f", str(REPO / "docker-compose.yml"), "config", "-q"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "POSTGRES_PASSWORD" in result.stderr


def test_dockerfile_has_a_target_per_role() -> None:
    targets = {line.split()[-1] for line in (REPO / "deployments" / "Dockerfile").read_text().splitlines() if line.startswith("FROM ")}
    assert {"image-processor", "ml-embeddings", "ml-classifier", "ocr-extractor", "flows", "models-init"} <= targets


def test_each_service_image_is_healthy_only_when_ready() -> None:
    """compose's `service_healthy` (the worker waits on it) must mean the model loaded: /health is 200 from start-up."""
    text = (REPO / "deployments" / "Dockerfile").read_text()
    stages = {chunk.split()[2]: chunk for chunk in text.split("\nFROM ")[1:]}
    for name, port in {"image-processor": 8001, "ml-embeddings": 8002, "ml-classifier": 8003, "ocr-extractor": 8004}.items():
        assert f"curl -fs http://127.0.0.1:{port}/health/ready || exit 1" in stages[name], name


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="Debian docker-compose not installed")
def test_compose_takes_the_bearer_tokens_from_the_environment_and_refuses_without_them() -> None:
    base = {k: v for k, v in os.environ.items() if k not in ("IRIS_API_TOKEN", "IRIS_ADMIN_TOKEN")}
    tokens = {"POSTGRES_PASSWORD": "test-only", "IRIS_API_TOKEN": "api-test", "IRIS_ADMIN_TOKEN": "admin-test"}
    result = subprocess.run(["docker-compose", "-f", str(REPO / "docker-compose.yml"), "config"], cwd=REPO,
                            env={**base, **tokens}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for name in ("image-processor", "ml-embeddings", "ml-classifier", "ocr-extractor", "worker"):
        assert services[name]["environment"]["IRIS_API_TOKEN"] == "api-test"
    # the admin token (model changes) reaches ml-classifier only, not the flow runs nor the other services
    assert [n for n, s in services.items() if "IRIS_ADMIN_TOKEN" in (s.get("environment") or {})] == ["ml-classifier"]
    assert services["ml-classifier"]["environment"]["IRIS_ADMIN_TOKEN"] == "admin-test"
    for missing in ("IRIS_API_TOKEN", "IRIS_ADMIN_TOKEN"):
        env = {**base, **{k: v for k, v in tokens.items() if k != missing}}
        refused = subprocess.run(["docker-compose", "-f", str(REPO / "docker-compose.yml"), "config", "-q"], cwd=REPO,
                                 env=env, capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0 and f"set {missing}" in refused.stderr


def test_flow_runs_get_the_api_token_never_the_admin_token() -> None:
    definitions = _prefect_yaml()["definitions"]["work_pools"]
    for pool in ("process_pool", "docker_pool"):
        assert definitions[pool]["job_variables"]["env"]["IRIS_API_TOKEN"] == "{{ $IRIS_API_TOKEN }}"
    assert "IRIS_ADMIN_TOKEN" not in (REPO / "prefect.yaml").read_text()


def test_iris_deploy_fills_the_api_token_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from iris_cli.deploy import deployment_env

    assert deployment_env("iris-process")["IRIS_API_TOKEN"] == os.environ["IRIS_API_TOKEN"]
    monkeypatch.setenv("IRIS_HOME", "/nonexistent-iris-home")
    monkeypatch.delenv("IRIS_API_TOKEN")
    assert deployment_env("iris-process")["IRIS_API_TOKEN"] == ""  # a flow run then reads its own IRIS_HOME's file
