"""Fixtures for ml-embeddings: the real ONNX model prepared once per session (shared with tests/ml_classifier)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emb_helpers import make_settings
from iris_models.encoders.efficientnet_lite0 import prepare
from ml_embeddings.main import build_app
from tests.auth import api_headers


def shared_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One models dir per pytest session, shared with tests/ml_classifier (prepare is idempotent)."""
    return tmp_path_factory.getbasetemp() / "iris-models"


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = shared_models_dir(tmp_path_factory)
    prepare(path)
    return path


@pytest.fixture(scope="session")
def client(models_dir: Path) -> Iterator[TestClient]:
    with TestClient(build_app(make_settings(models_dir)), headers=api_headers()) as c:
        yield c


