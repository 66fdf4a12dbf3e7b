"""`iris deploy`: create the work pool and the deployments of prefect.yaml on the configured Prefect server."""

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from iris_cli.prefect_env import HEARTBEAT_SECONDS
from iris_common.settings import ClientSettings
from iris_flows.settings import BatchSettings

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROCESS_DEPLOYMENTS = ("process-document", "process-documents", "nightly-batch")
ZOMBIE_AUTOMATION = PROJECT_DIR / "deployments" / "automations" / "crash-zombie-runs.yaml"
DOCKER_DEPLOYMENTS = ("process-document-docker", "nightly-batch-docker")


def deployment_env(pool: str, docker_pool: str | None = None) -> dict[str, str]:
    """Environment for `prefect deploy`: every {{ $VAR }} of prefect.yaml, defaults for those unset."""
    settings = ClientSettings()
    home = settings.iris_home
    defaults = {
        "IRIS_PROJECT_DIR": str(PROJECT_DIR),
        "IRIS_HOME": str(home),
        "IRIS_WORK_POOL": pool,
        "IRIS_DOCKER_WORK_POOL": docker_pool or "iris-docker",
        "IRIS_FLOWS_IMAGE": "iris/flows:0.1.0",
        "IRIS_TIMEZONE": "UTC",
        "IRIS_INBOX": str(home / "inbox"),
        "IRIS_OUTBOX": str(home / "outbox"),
        "IMAGE_PROCESSOR_URL": settings.url("image-processor"),
        "ML_EMBEDDINGS_URL": settings.url("ml-embeddings"),
        "ML_CLASSIFIER_URL": settings.url("ml-classifier"),
        "OCR_EXTRACTOR_URL": settings.url("ocr-extractor"),
        "IRIS_DISPATCH": "local",  # the nightly batch in one run; process-documents/process-documents fans it out
        "IRIS_DOCUMENTS_PER_RUN": "8",
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": HEARTBEAT_SECONDS,  # what the zombie automation watches
        # what the flow runs send the services (IRIS_API_TOKEN, else $IRIS_HOME/secrets/api-token, as `iris setup` made it)
        "IRIS_API_TOKEN": settings.api_token.get_secret_value() if settings.api_token else "",
    }
    return {**defaults, **{k: os.environ[k] for k in defaults if os.environ.get(k)}, "IRIS_WORK_POOL": pool}


def ensure_zombie_automation(env: dict[str, str] | None = None) -> bool:
    """Create the automations that mark a flow run without heartbeats Crashed (deployments/automations), those the
    server does not have; IRIS_ZOMBIE_AFTER_SECONDS overrides their 90 s. True when one was created."""
    env = env or dict(os.environ)
    prefect = [sys.executable, "-m", "prefect", "--no-prompt"]
    listed = subprocess.run([*prefect, "automation", "ls"], env=env, capture_output=True, text=True, check=True).stdout
    created = False
    for spec in yaml.safe_load(ZOMBIE_AUTOMATION.read_text())["automations"]:
        if spec["name"] in listed:
            continue
        if within := env.get("IRIS_ZOMBIE_AFTER_SECONDS"):
            spec["trigger"]["within"] = float(within)
        subprocess.run([*prefect, "automation", "create", "--from-json", json.dumps(spec)], env=env, check=True,
                       capture_output=True)
        created = True
    return created


def deploy(pool: str, *, docker_pool: str | None = None, document_runs: int = 2) -> int:
    """Create the process pool (and the Docker pool when asked), the global concurrency limit of a fanned-out
    batch's runs (`document_runs` at once) and the automation that marks dead runs Crashed, then deploy from
    prefect.yaml. What exists already is left as it is."""
    env = {**os.environ, **deployment_env(pool, docker_pool)}
    prefect = [sys.executable, "-m", "prefect", "--no-prompt"]

    def missing(*inspect: str) -> bool:
        return subprocess.run([*prefect, *inspect], env=env, capture_output=True, text=True).returncode != 0

    pools = [(pool, "process")] + ([(docker_pool, "docker")] if docker_pool else [])
    for name, kind in pools:
        if missing("work-pool", "inspect", name):
            subprocess.run([*prefect, "work-pool", "create", name, "--type", kind], env=env, check=True)
    limit = BatchSettings().document_runs_limit
    if missing("gcl", "inspect", limit):
        subprocess.run([*prefect, "gcl", "create", limit, "--limit", str(document_runs)], env=env, check=True)
    ensure_zombie_automation(env)
    Path(env["IRIS_INBOX"]).mkdir(parents=True, exist_ok=True)
    Path(env["IRIS_OUTBOX"]).mkdir(parents=True, exist_ok=True)
    names = [*PROCESS_DEPLOYMENTS, *(DOCKER_DEPLOYMENTS if docker_pool else ())]
    cmd = [*prefect, "deploy", *[arg for n in names for arg in ("--name", n)]]
    return subprocess.run(cmd, env=env, cwd=PROJECT_DIR).returncode
