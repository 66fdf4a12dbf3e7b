"""Flow tests: the real four services as local processes, a Prefect test harness, generated documents."""

import os
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest

import docgen
from iris_common.settings import ServiceSettings
from tests.service_processes import ServiceProcess, start_all


@pytest.fixture(scope="session")
def models_dir() -> Path:
    """The models `iris setup` prepared (the test command runs it first); prepared here if missing."""
    from iris_cli.setup_models import prepare_all

    path = ServiceSettings().models_dir
    prepare_all(path)
    return path


@pytest.fixture(scope="session")
def flow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("iris-home")


@pytest.fixture(scope="session")
def services(models_dir: Path, flow_home: Path) -> Iterator[dict[str, ServiceProcess]]:
    log_dir = flow_home / "logs"
    log_dir.mkdir()
    running = start_all(log_dir, {"IRIS_MODELS_DIR": str(models_dir), "IRIS_HOME": str(flow_home), "IRIS_CPU_THREADS": "1"})
    yield running
    for svc in running.values():
        svc.stop()


@pytest.fixture(scope="session")
def prefect_env(services: dict[str, ServiceProcess], flow_home: Path) -> Iterator[None]:
    """Point the flow's client at the test services and run everything against a throw-away Prefect API."""
    from prefect.testing.utilities import prefect_test_harness

    saved = dict(os.environ)
    os.environ.update({svc.env_var: svc.url for svc in services.values()})
    os.environ.update({"IRIS_HOME": str(flow_home), "CIRCUIT_BREAKER_FAILURE_THRESHOLD": "3",
                       "CIRCUIT_BREAKER_RECOVERY_TIMEOUT": "60"})
    with prefect_test_harness(server_startup_timeout=120):
        yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def fresh_client(prefect_env: None) -> Iterator[None]:
    """Each test gets a new shared IrisClient (so breaker state and URLs from one test don't leak into the next)."""
    from iris_common.client import IrisClient

    IrisClient._shared = None
    yield
    IrisClient._shared = None


def write_document(folder: Path, name: str, kind: str = "receipt", seed: int = 1, lang: str = "en") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), docgen.render(kind, seed=seed, lang=lang).image)
    return path
