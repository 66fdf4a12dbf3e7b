"""The service as a real process: uvicorn --factory image_processor.main:build_app, called over HTTP."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ip_fixtures import png_bytes, rotate_ccw, text_page

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def service_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path_factory.mktemp("ip") / "uvicorn.log").open("w")
    env = {**os.environ, "IRIS_CPU_THREADS": "1", "LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "image_processor.main:build_app",
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"uvicorn exited with {proc.returncode}; see {log.name}")
            try:
                if httpx.get(f"{url}/health", timeout=2).json()["status"] == "healthy":
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("image-processor did not become healthy within 60 s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_process_over_http(service_url: str) -> None:
    files = {"file": ("rotated.png", png_bytes(rotate_ccw(text_page(), -4.0)), "image/png")}
    response = httpx.post(f"{service_url}/process", files=files, data={"enhance_quality": "true"},
                          headers={"X-Request-ID": "proc-1"}, timeout=60)
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "proc-1"
    body = response.json()
    assert body["success"] is True and body["service_name"] == "image-processor"
    page = body["data"]["pages"][0]
    assert abs(page["skew_angle"] + 4.0) < 0.5 and page["deskewed"] is True


def test_bad_input_over_http_keeps_service_healthy(service_url: str) -> None:
    response = httpx.post(f"{service_url}/process", files={"file": ("x.jpg", b"not an image", "image/jpeg")}, timeout=30)
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] == "VAL001"
    assert httpx.get(f"{service_url}/health", timeout=5).json()["status"] == "healthy"
