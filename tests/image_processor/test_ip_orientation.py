"""Page orientation with the real PP-OCRv6 line recogniser (prepared by `iris setup`) on generated pages:
turned pages come back upright with the exact transform; upright and flat pages are left alone."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from ip_fixtures import decode_page

from docgen import render
from image_processor.core import geometry
from image_processor.core.orientation import line_blobs, orientation_from_lines
from image_processor.core.pipeline import PipelineConfig, process_page
from image_processor.models.runtime import ImageProcessorRuntime
from image_processor.settings import ImageProcessorSettings
from iris_common.geometry import map_points
from tests.auth import api_headers
from tests.encoding import png_bytes as encode_png


@pytest.fixture(scope="module")
def runtime() -> ImageProcessorRuntime:
    settings = ImageProcessorSettings()
    rt = ImageProcessorRuntime(settings.cpu_threads, settings.models_dir)
    rt.load()
    if rt.reader is None:
        pytest.skip(f"orientation model missing ({rt.reader_error}); run `iris setup`")
    return rt


@pytest.fixture(scope="module", params=["invoice", "receipt", "letter"])
def upright(request: pytest.FixtureRequest) -> np.ndarray:
    return render(request.param, seed=11).image


def test_line_direction_follows_the_text(upright: np.ndarray) -> None:
    across = line_blobs(cv2.cvtColor(upright, cv2.COLOR_BGR2GRAY))
    down = line_blobs(cv2.cvtColor(cv2.rotate(upright, cv2.ROTATE_90_CLOCKWISE), cv2.COLOR_BGR2GRAY))
    assert across.line_share > 0.3 and len(across.boxes) >= 3
    assert down.line_share < 0.5 * across.line_share


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_turned_page_comes_back_upright_with_the_exact_transform(
    runtime: ImageProcessorRuntime, upright: np.ndarray, turns: int
) -> None:
    turned, to_turned = geometry.quarter_turn(upright, turns)
    result = process_page(turned, PipelineConfig(enhance_quality=False), runtime.read_lines)
    assert [s.name for s in result.steps] == ["orient"]
    assert result.steps[0].params["quarter_turns_ccw"] == (4 - turns) % 4
    assert np.array_equal(result.image, upright)
    # original (turned) pixels -> processed pixels: composing with the turn we made must give the identity
    assert np.allclose(result.transform @ to_turned, np.eye(3))
    h, w = turned.shape[:2]
    corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], float)
    mapped = map_points(result.transform, corners)
    uh, uw = upright.shape[:2]
    assert mapped.min() >= -1e-9 and mapped[:, 0].max() <= uw - 1 + 1e-9 and mapped[:, 1].max() <= uh - 1 + 1e-9


def test_upright_page_is_not_turned(runtime: ImageProcessorRuntime, upright: np.ndarray) -> None:
    estimate = orientation_from_lines(upright, runtime.read_lines)
    assert estimate.confident and estimate.turns_ccw == 0
    assert estimate.scores[0] > estimate.scores[2] + 0.1


def test_sideways_and_skewed_page_is_straightened_and_turned(runtime: ImageProcessorRuntime) -> None:
    upright = render("letter", seed=5).image
    skewed, to_skewed = geometry.rotation(upright, 8.0)
    turned, to_turned = geometry.quarter_turn(skewed, 1)
    result = process_page(turned, PipelineConfig(enhance_quality=False), runtime.read_lines)
    assert [s.name for s in result.steps] == ["deskew", "orient"]
    total = result.transform @ to_turned @ to_skewed  # upright page -> processed page
    assert abs(np.degrees(np.arctan2(total[1, 0], total[0, 0]))) < 0.3


def test_flat_scan_comes_out_unchanged(runtime: ImageProcessorRuntime) -> None:
    scan = cv2.cvtColor(render("invoice", seed=2).image, cv2.COLOR_BGR2GRAY)
    scan = cv2.cvtColor(scan, cv2.COLOR_GRAY2BGR)
    result = process_page(scan, PipelineConfig(), runtime.read_lines)
    assert [s.name for s in result.steps] in ([], ["grayscale"])
    assert np.allclose(result.transform, np.eye(3))
    assert np.array_equal(result.image.reshape(scan.shape[:2] + (-1,))[..., 0], scan[..., 0])
    assert any(n.startswith("orient: upright") for n in result.notes)


def test_api_turns_an_upside_down_upload(client, runtime: ImageProcessorRuntime) -> None:  # noqa: ANN001
    page = render("invoice", seed=4).image
    response = client.post("/process", files={"file": ("turned.png", encode_png(cv2.rotate(page, cv2.ROTATE_180)), "image/png")})
    assert response.status_code == 200
    data = response.json()["data"]["pages"][0]
    names = [op["name"] for op in data["operations"]]
    assert "orient" in names and data["orientation_turns_ccw"] == 2
    h, w = page.shape[:2]
    assert np.allclose(np.array(data["transform"]), [[-1, 0, w - 1], [0, -1, h - 1], [0, 0, 1]])
    assert np.abs(decode_page(data).astype(int) - page.astype(int)).mean() < 1.0


def test_health_reports_the_orientation_model(client) -> None:  # noqa: ANN001
    checks = client.get("/health").json()["checks"]
    assert checks["orientation_model"]["ok"] is True


def test_missing_model_degrades_health_and_skips_orientation(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from image_processor.main import build_app

    settings = ImageProcessorSettings(IRIS_MODELS_DIR=str(tmp_path))
    with TestClient(build_app(settings), headers=api_headers()) as c:
        health = c.get("/health").json()
        assert health["status"] == "degraded"
        assert "iris setup" in health["checks"]["orientation_model"]["detail"]
        page = render("letter", seed=1).image
        data = c.post("/process", files={"file": ("p.png", encode_png(cv2.rotate(page, cv2.ROTATE_180)), "image/png")}).json()["data"]
        assert "orient" not in [op["name"] for op in data["pages"][0]["operations"]]
        assert any("no text-line reader" in n for n in data["pages"][0]["notes"])
