"""deployments/kubernetes, validated offline (no cluster here): the manifests parse, read as Kubernetes' own API
models (kubernetes_asyncio, which prefect-kubernetes installs), and agree with each other; the work pool's base
job template renders into the Job a prefect-kubernetes worker would create."""

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
KUBE = REPO / "deployments" / "kubernetes"
PORTS = {"image-processor": 8001, "ml-embeddings": 8002, "ml-classifier": 8003, "ocr-extractor": 8004}
NAMESPACE = "iris"


def _manifests() -> list[dict[str, Any]]:
    docs = [doc for path in sorted(KUBE.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text())]
    return [doc for doc in docs if doc is not None]


def _named(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in _manifests() if doc["kind"] == kind}


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _env(container: dict[str, Any]) -> dict[str, str]:
    """The container's environment as Kubernetes builds it: its ConfigMaps (envFrom), then its own `env`."""
    config_maps = _named("ConfigMap")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(config_maps[source["configMapRef"]["name"]]["data"])
    env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    return env


def _round_trip(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each manifest read as its kubernetes_asyncio model and written back: a misplaced or misspelt field is dropped,
    a missing required one raises."""
    from kubernetes_asyncio.client import ApiClient

    class _Response:  # what ApiClient.deserialize reads: the body of an API answer
        def __init__(self, doc: dict[str, Any]) -> None:
            self.data = json.dumps(doc)

    async def convert() -> list[dict[str, Any]]:
        async with ApiClient() as api:
            return [api.sanitize_for_serialization(api.deserialize(_Response(doc), f"V1{doc['kind']}")) for doc in docs]

    return asyncio.run(convert())


def test_every_manifest_parses_and_matches_the_kubernetes_api_models() -> None:
    docs = _manifests()
    assert {d["kind"] for d in docs} == {"Namespace", "ConfigMap", "PersistentVolumeClaim", "Job", "Deployment", "Service"}
    assert _round_trip(docs) == docs
    assert all(d["metadata"].get("namespace") == NAMESPACE for d in docs if d["kind"] != "Namespace")
    assert set(_named("Namespace")) == {NAMESPACE}


def test_the_api_models_catch_a_misplaced_field() -> None:
    """The round trip above proves something: a Job field in the pod spec does not survive it."""
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "x"},
           "spec": {"template": {"spec": {"completions": 1, "containers": [{"name": "a", "image": "b"}]}}}}
    assert _round_trip([job]) != [job]


@pytest.mark.parametrize("name", sorted(PORTS))
def test_each_service_has_an_image_probes_on_health_and_resources(name: str) -> None:
    deployment = _named("Deployment")[name]
    container, port = _container(deployment), PORTS[name]
    assert container["image"] == f"iris/{name}:0.1.0"  # the compose image of the Dockerfile target
    assert [p["containerPort"] for p in container["ports"]] == [port]
    for probe in ("startupProbe", "livenessProbe"):  # the process answers
        assert container[probe]["httpGet"] == {"path": "/health", "port": port}, probe
    # its model loaded: an unhealthy replica gets no calls
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": port}
    resources = container["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"]) and {"cpu", "memory"} <= set(resources["limits"])
    for init in deployment["spec"]["template"]["spec"]["initContainers"]:
        assert init["image"] and {"cpu", "memory"} <= set(init["resources"]["requests"])


@pytest.mark.parametrize("name", sorted(PORTS))
def test_each_service_selects_its_deployment_on_the_url_the_flows_use(name: str) -> None:
    deployment, service = _named("Deployment")[name], _named("Service")[name]
    assert deployment["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
    (port,) = service["spec"]["ports"]
    assert port["port"] == PORTS[name] and port["targetPort"] in ("http", PORTS[name])
    url_var = name.replace("-", "_").upper() + "_URL"
    assert _named("ConfigMap")["iris-flows"]["data"][url_var] == f"http://{name}:{PORTS[name]}"


def test_ocr_extractor_runs_as_replicas_and_the_classifier_replicas_share_a_writable_store() -> None:
    deployments = _named("Deployment")
    assert deployments["ocr-extractor"]["spec"]["replicas"] == 2
    assert deployments["ml-classifier"]["spec"]["replicas"] >= 2
    (models,) = [v for v in deployments["ml-classifier"]["spec"]["template"]["spec"]["volumes"] if v["name"] == "models"]
    claim = _named("PersistentVolumeClaim")[models["persistentVolumeClaim"]["claimName"]]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]  # pods on several nodes, and the classifier writes


@pytest.mark.parametrize("name", sorted(PORTS))
def test_the_models_volume_is_mounted_where_iris_models_dir_points(name: str) -> None:
    deployment = _named("Deployment")[name]
    container, pod = _container(deployment), deployment["spec"]["template"]["spec"]
    models_dir = _env(container)["IRIS_MODELS_DIR"]
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == models_dir]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["persistentVolumeClaim"]["claimName"] == "iris-models"
    assert mount.get("readOnly", False) is (name != "ml-classifier")  # only the classifier stores new versions


def test_models_init_job_runs_iris_setup_into_the_models_volume_and_the_services_wait_for_it() -> None:
    job = _named("Job")["iris-models-init"]
    container = _container(job)
    assert container["image"] == "iris/models-init:0.1.0"
    command = " ".join(container["command"])
    assert "iris setup" in command
    marker = command.split("touch ")[-1]
    models_dir = _env(container)["IRIS_MODELS_DIR"]
    assert marker.startswith(models_dir + "/")
    assert [m["mountPath"] for m in container["volumeMounts"]] == [models_dir]
    assert job["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "iris-models"
    for name, deployment in _named("Deployment").items():
        (wait,) = deployment["spec"]["template"]["spec"]["initContainers"]
        assert marker in " ".join(wait["command"]), name


def _work_pool_template() -> dict[str, Any]:
    return json.loads((KUBE / "work-pool-template.json").read_text())


def _kubernetes_deployment(name: str) -> dict[str, Any]:
    return next(d for d in yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"] if d["name"] == name)


def test_work_pool_template_keeps_every_field_of_prefect_kubernetes_default() -> None:
    from prefect_kubernetes.worker import KubernetesWorker

    default, ours = KubernetesWorker.get_default_base_job_template(), _work_pool_template()
    assert set(default["variables"]["properties"]) <= set(ours["variables"]["properties"])
    assert set(default["job_configuration"]) == set(ours["job_configuration"])
    jsonschema.Draft202012Validator.check_schema(ours["variables"])


@pytest.mark.parametrize("name", ["process-document-kubernetes", "nightly-batch-kubernetes"])
def test_work_pool_template_renders_the_flow_run_job(name: str) -> None:
    """As a worker does: the deployment's job variables over the template's defaults, then prepare_for_flow_run."""
    from prefect.client.schemas.objects import FlowRun
    from prefect.utilities.templating import apply_values
    from prefect_kubernetes.worker import KubernetesWorkerJobConfiguration

    template = _work_pool_template()
    deployment = _kubernetes_deployment(name)
    assert deployment["work_pool"]["name"] == "iris-kubernetes"
    assert deployment["parameters"].get("output_dir", "/data/outbox").startswith("/data/")
    variables = deployment["work_pool"]["job_variables"]
    assert set(variables) <= set(template["variables"]["properties"]), "unknown Kubernetes job variable"
    jsonschema.validate(variables, template["variables"])
    defaults = {k: v["default"] for k, v in template["variables"]["properties"].items() if v.get("default") is not None}
    config = KubernetesWorkerJobConfiguration(**apply_values(template["job_configuration"], {**defaults, **variables}))
    config.prepare_for_flow_run(FlowRun(id=uuid.uuid4(), flow_id=uuid.uuid4(), name="test-run"))

    job = config.job_manifest
    assert (job["apiVersion"], job["kind"], config.namespace) == ("batch/v1", "Job", NAMESPACE)
    assert _round_trip([job]) == [json.loads(json.dumps(job))]  # a valid Job, no field out of place
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "{{ $IRIS_FLOWS_IMAGE }}"  # prefect deploy fills it; the template's default:
    assert template["variables"]["properties"]["image"]["default"] == "iris/flows:0.1.0"
    assert container["args"] == ["prefect", "flow-run", "execute"]
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    # the bearer token from the Secret (the template's own env entry; the job variables' env is prepended to it)
    assert [e for e in container["env"] if e["name"].endswith("_TOKEN")] == [
        {"name": "IRIS_API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "iris-tokens", "key": "api-token"}}}]
    env = _env(container)
    assert {env[v] for v in ("IMAGE_PROCESSOR_URL", "ML_EMBEDDINGS_URL", "ML_CLASSIFIER_URL", "OCR_EXTRACTOR_URL")} == {
        f"http://{svc}:{port}" for svc, port in PORTS.items()}
    assert env["PREFECT__FLOW_RUN_ID"] and env["IRIS_HOME"].startswith("/data/")
    (mount,) = container["volumeMounts"]
    (volume,) = pod["volumes"]
    assert (mount["mountPath"], mount["name"]) == ("/data", volume["name"])
    claim = _named("PersistentVolumeClaim")[volume["persistentVolumeClaim"]["claimName"]]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]  # flow runs on any node share the inbox and outbox


def _secret_ref(container: dict[str, Any], name: str) -> dict[str, Any] | None:
    entry = next((e for e in container.get("env", []) if e["name"] == name), None)
    return entry["valueFrom"]["secretKeyRef"] if entry else None


@pytest.mark.parametrize("name", sorted(PORTS))
def test_each_service_reads_its_tokens_from_the_secret(name: str) -> None:
    container = _container(_named("Deployment")[name])
    assert _secret_ref(container, "IRIS_API_TOKEN") == {"name": "iris-tokens", "key": "api-token"}
    admin = _secret_ref(container, "IRIS_ADMIN_TOKEN")  # model changes: ml-classifier only
    assert admin == ({"name": "iris-tokens", "key": "admin-token"} if name == "ml-classifier" else None)
    assert "TOKEN" not in json.dumps(_env(container))  # no token as a plain value or in a ConfigMap


def test_the_secret_template_is_a_secret_with_the_keys_the_services_read_and_is_not_applied_with_the_folder() -> None:
    template = KUBE / "tokens-secret.yaml.template"
    (secret,) = list(yaml.safe_load_all(template.read_text()))
    assert _round_trip([secret]) == [secret]
    assert (secret["kind"], secret["metadata"]["name"], secret["metadata"]["namespace"]) == ("Secret", "iris-tokens", NAMESPACE)
    assert set(secret["stringData"]) == {"api-token", "admin-token"}
    assert all(v.startswith("REPLACE") for v in secret["stringData"].values())  # placeholders, never a real token
    assert not template.name.endswith((".yaml", ".yml", ".json"))  # `kubectl apply -f deployments/kubernetes/` skips it
    assert "kubectl -n iris create secret generic iris-tokens" in template.read_text()
