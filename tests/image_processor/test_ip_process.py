"""The service as a real process: uvicorn --factory image_processor.main:build_app, called over HTTP."""

from collections.abc import Iterator

import httpx
import pytest

from ip_fixtures import rotate_ccw, text_page
from tests.auth import api_headers
from tests.encoding import png_bytes
from tests.service_processes import ServiceProcess, free_port


@pytest.fixture(scope="module")
def service_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("ip") / "uvicorn.log"
    env = {"IRIS_CPU_THREADS": "1", "LOG_LEVEL": "WARNING"}
    with ServiceProcess("image-processor", free_port(), log, env).running(timeout=60) as svc:
        yield svc.url


def test_process_over_http(service_url: str) -> None:
    files = {"file": ("rotated.png", png_bytes(rotate_ccw(text_page(), -4.0)), "image/png")}
    response = httpx.post(f"{service_url}/process", files=files, data={"enhance_quality": "true"},
                          headers={**api_headers(), "X-Request-ID": "proc-1"}, timeout=60)
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "proc-1"
    body = response.json()
    assert body["success"] is True and body["service_name"] == "image-processor"
    page = body["data"]["pages"][0]
    assert abs(page["skew_angle"] + 4.0) < 0.5 and page["deskewed"] is True


def test_bad_input_over_http_keeps_service_healthy(service_url: str) -> None:
    response = httpx.post(f"{service_url}/process", files={"file": ("x.jpg", b"not an image", "image/jpeg")},
                          headers=api_headers(), timeout=30)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] == "VAL001"
    assert httpx.get(f"{service_url}/health", timeout=5).json()["status"] == "healthy"
