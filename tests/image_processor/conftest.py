"""Clients of the image-processor app for its tests (helpers that draw test pages live in ip_fixtures)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from image_processor.main import build_app
from image_processor.settings import ImageProcessorSettings
from tests.auth import api_headers


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(build_app(ImageProcessorSettings()), headers=api_headers()) as c:
        yield c


@pytest.fixture(scope="module")
def strict_client() -> Iterator[TestClient]:
    """Low limits, so over-limit uploads can be tested with small files."""
    settings = ImageProcessorSettings(MAX_IMAGE_PIXELS=250_000, MAX_FILE_SIZE_MB=0.35)
    with TestClient(build_app(settings), headers=api_headers()) as c:
        yield c
