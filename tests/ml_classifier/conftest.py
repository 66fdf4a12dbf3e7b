"""Fixtures for ml-classifier: embeddings model + a small default classifier prepared once per session."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from clf_helpers import TEST_PER_CLASS, make_settings, private_copy
from ml_classifier.main import build_app
from ml_classifier.models.prepare import prepare
from tests.auth import api_headers


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared with tests/ml_embeddings (same session path; both prepares are idempotent)."""
    path = tmp_path_factory.getbasetemp() / "iris-models"
    prepare(path, per_class=TEST_PER_CLASS, settings=make_settings(path))
    return path


@pytest.fixture(scope="session")
def client(models_dir: Path) -> Iterator[TestClient]:
    """Serves the default model; tests that train use `private_client` so this one never changes."""
    with TestClient(build_app(make_settings(models_dir)), headers=api_headers()) as c:
        yield c


@pytest.fixture
def private_models_dir(models_dir: Path, tmp_path: Path) -> Path:
    return private_copy(models_dir, tmp_path / "models")


@pytest.fixture
def private_client(private_models_dir: Path) -> Iterator[TestClient]:
    with TestClient(build_app(make_settings(private_models_dir)), headers=api_headers()) as c:
        yield c
