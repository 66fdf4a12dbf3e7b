"""Fixtures for ocr-extractor: models prepared once per session, the real app (PaddleOCR) built once,
and rendered receipts with known fields."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ocr_extractor.main import build_app
from ocr_extractor.models.prepare import prepare
from ocr_helpers import make_settings, render_receipt
from tests.auth import api_headers


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One models dir per pytest session (shared with the other services' tests; prepare is idempotent).
    No labelled samples are given, so the field-confidence calibration shipped with the code is installed."""
    path = tmp_path_factory.getbasetemp() / "iris-models"
    prepare(path, calibration_seeds=1, calibration_samples=tmp_path_factory.mktemp("no-labelled-samples"))
    return path


@pytest.fixture(scope="session")
def client(models_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The PaddleOCR app, loaded once for the whole session."""
    settings = make_settings(models_dir, tmp_path_factory.mktemp("ocr-home"), MAX_IMAGE_PIXELS=20_000_000)
    with TestClient(build_app(settings), headers=api_headers()) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def receipt_en():
    return render_receipt("en", seed=1)


@pytest.fixture(scope="session")
def receipt_es():
    return render_receipt("es", seed=1)
