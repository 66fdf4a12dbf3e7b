"""POST /process through the real app (TestClient runs the lifespan): behaviour, envelope, bad input."""

import io

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from ip_fixtures import (
    MILD_PHOTO_CORNERS,
    PHOTO_CORNERS,
    decode_page,
    photographed_page,
    rotate_ccw,
    text_page,
)
from PIL import Image

from image_processor.core.skew import estimate_skew
from image_processor.main import build_app
from image_processor.settings import ImageProcessorSettings
from iris_common.geometry import map_points
from tests.auth import api_headers
from tests.encoding import jpeg_bytes, pdf_bytes, png_bytes

ENVELOPE_FIELDS = {"success", "processing_time", "timestamp", "service_name", "service_version", "data", "error", "warnings", "metadata"}


def post(client: TestClient, content: bytes, name: str = "page.png", **form: str) -> dict:
    response = client.post("/process", files={"file": (name, content, "application/octet-stream")}, data=form)
    body = response.json()
    body["_status"] = response.status_code
    return body


def test_rotated_page_is_measured_and_deskewed(client: TestClient) -> None:
    body = post(client, png_bytes(rotate_ccw(text_page(), 7.0)))
    assert body["_status"] == 200 and body["success"] is True
    page = body["data"]["pages"][0]
    assert abs(page["skew_angle"] - 7.0) < 0.5
    assert page["deskewed"] is True and page["unwarped"] is False
    deskew = next(op for op in page["operations"] if op["name"] == "deskew")
    assert deskew["params"]["rotation_applied"] == pytest.approx(-page["skew_angle"])
    out = decode_page(page)
    assert (out.shape[1], out.shape[0]) == (page["processed_size"]["width"], page["processed_size"]["height"])
    assert abs(estimate_skew(out).angle) < 0.3  # the result reads straight


def test_transform_maps_original_points_into_the_processed_image(client: TestClient) -> None:
    page_img = rotate_ccw(text_page(), -5.0)
    cv2.circle(page_img, (300, 1500), 9, (0, 0, 255), -1)  # a red marker to follow
    page = post(client, png_bytes(page_img))["data"]["pages"][0]
    assert "grayscale" not in [op["name"] for op in page["operations"]]  # the marker is colour worth keeping
    out = decode_page(page)
    red = (out[:, :, 2] > 180) & (out[:, :, 1] < 80)
    ys, xs = np.nonzero(red)
    expected = map_points(np.array(page["transform"]), np.array([[300, 1500]]))[0]
    assert np.hypot(xs.mean() - expected[0], ys.mean() - expected[1]) < 1.5


def test_flat_straight_scan_is_left_alone(client: TestClient) -> None:
    original = text_page()
    page = post(client, png_bytes(original))["data"]["pages"][0]
    assert page["deskewed"] is False and page["outline_found"] is False and page["unwarped"] is False
    assert abs(page["skew_angle"]) < 0.3
    assert np.allclose(page["transform"], np.eye(3))
    assert {op["name"] for op in page["operations"]} <= {"grayscale"}
    out = decode_page(page)
    assert out.shape == original.shape
    assert np.abs(out.astype(int) - original.astype(int)).mean() < 0.5
    assert page["quality_after"]["blur"] == pytest.approx(page["quality_before"]["blur"], rel=0.02)


def test_photographed_page_is_found_and_flattened(client: TestClient) -> None:
    page = post(client, jpeg_bytes(photographed_page()), name="photo.jpg")["data"]["pages"][0]
    assert page["outline_found"] is True and page["unwarped"] is True
    corners = np.array(page["outline_corners"])
    assert np.abs(corners - PHOTO_CORNERS).max() < 15
    width, height = page["processed_size"]["width"], page["processed_size"]["height"]
    assert "degrees off square" in page["operations"][0]["reason"]
    out = decode_page(page)
    # the converging text lines of the steep shot come out straight
    assert abs(estimate_skew(out).angle) < 0.5
    # the dark table is gone: the border of the result is paper
    border = np.concatenate([out[12, :], out[-13, :], out[:, 12], out[:, -13]])  # the steep top is magnified 2x
    assert border.mean() > 180
    # the outline's corners land exactly on the corners of the result
    mapped = map_points(np.array(page["transform"]), corners)
    assert np.abs(mapped - [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]]).max() < 1
    assert [op["name"] for op in page["operations"]][0] == "unwarp"


def test_mild_perspective_is_found_but_not_warped(client: TestClient) -> None:
    """A few degrees of perspective: OCR reads it as is, and a warp would only resample the page."""
    page = post(client, jpeg_bytes(photographed_page(MILD_PHOTO_CORNERS)), name="photo.jpg")["data"]["pages"][0]
    assert page["outline_found"] is True and page["unwarped"] is False
    assert np.abs(np.array(page["outline_corners"]) - MILD_PHOTO_CORNERS).max() < 15
    assert not any(op["name"] == "unwarp" for op in page["operations"])
    assert any(n.startswith("unwarp: outline found, perspective mild") for n in page["notes"])


def test_unwarping_can_be_switched_off(client: TestClient) -> None:
    body = post(client, png_bytes(photographed_page()), apply_unwarping="false", enhance_quality="false")
    page = body["data"]["pages"][0]
    assert page["outline_found"] is True and page["unwarped"] is False
    assert body["data"]["options"] == {"apply_unwarping": False, "enhance_quality": False}
    assert any("apply_unwarping" in w for w in body["warnings"])
    assert not any(op["name"] in {"unwarp", "grayscale", "contrast_stretch"} for op in page["operations"])


def test_noisy_faded_page_is_enhanced_only_when_asked(client: TestClient) -> None:
    rng = np.random.default_rng(2)
    faded = text_page().astype(np.float32) * 0.12 + 190 + rng.normal(0, 10, (1754, 1240, 1))  # ~30 levels of contrast
    data = png_bytes(np.clip(faded, 0, 255).astype(np.uint8))
    page = post(client, data)["data"]["pages"][0]
    names = [op["name"] for op in page["operations"]]
    assert "denoise_bilateral" in names and "contrast_stretch" in names
    assert all(op["reason"] for op in page["operations"])
    assert page["quality_after"]["noise"] < page["quality_before"]["noise"]
    assert page["quality_after"]["contrast"] > page["quality_before"]["contrast"]
    plain = post(client, data, enhance_quality="false")["data"]["pages"][0]
    assert plain["operations"] == []


def test_multi_page_pdf_returns_every_page(client: TestClient) -> None:
    pages = [text_page(seed=1), rotate_ccw(text_page(seed=2), 4.0)]
    body = post(client, pdf_bytes(pages, resolution=150), name="two.pdf")
    assert body["success"] is True
    data = body["data"]
    assert data["source_format"] == "pdf" and data["page_count"] == 2
    assert [p["page_index"] for p in data["pages"]] == [0, 1]
    assert data["pages"][0]["deskewed"] is False
    assert abs(data["pages"][1]["skew_angle"] - 4.0) < 0.5


def test_multi_frame_tiff_returns_every_frame(client: TestClient) -> None:
    frames = [Image.fromarray(text_page(seed=s)[:, :, 0]) for s in (4, 5, 6)]
    buf = io.BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:])
    body = post(client, buf.getvalue(), name="scan.tiff")
    assert body["data"]["source_format"] == "tiff" and body["data"]["page_count"] == 3


def _tiff(frames: list[np.ndarray]) -> bytes:
    images = [Image.fromarray(frame[:, :, 0]) for frame in frames]
    buf = io.BytesIO()
    images[0].save(buf, format="TIFF", save_all=True, append_images=images[1:])
    return buf.getvalue()


@pytest.mark.parametrize("kind", ["pdf", "tiff"])
def test_one_page_asked_is_the_only_page_processed(client: TestClient, kind: str) -> None:
    pages = [text_page(seed=7), rotate_ccw(text_page(seed=8), 4.0), text_page(seed=9)]
    content = pdf_bytes(pages, resolution=150) if kind == "pdf" else _tiff(pages)
    data = post(client, content, name=f"three.{kind}", page="1")["data"]
    assert data["page_count"] == 3  # the document's pages, though one came back
    assert [p["page_index"] for p in data["pages"]] == [1]
    assert abs(data["pages"][0]["skew_angle"] - 4.0) < 0.5  # it is the second page, not the first


def test_page_that_does_not_exist_is_val001(client: TestClient) -> None:
    response = client.post("/process", files={"file": ("two.pdf", pdf_bytes([text_page(seed=1)] * 2, resolution=100), "application/pdf")},
                           data={"page": "2"})
    _assert_val001(response, client)
    assert "2 page(s)" in response.json()["error"]["message"]
    _assert_val001(client.post("/process", files={"file": ("p.png", png_bytes(text_page(seed=1)), "image/png")}, data={"page": "-1"}), client)


def test_tiff_over_the_page_limit_is_val001_naming_the_limit() -> None:
    """More frames than MAX_PDF_PAGES: refused whole, as a PDF is (it was silently cut to the limit before)."""
    with TestClient(build_app(ImageProcessorSettings(MAX_PDF_PAGES=2)), headers=api_headers()) as limited:
        response = limited.post("/process", files={"file": ("scan.tif", _tiff([text_page(seed=s) for s in (1, 2, 3)]), "image/tiff")})
        _assert_val001(response, limited)
        body = response.json()["error"]
        assert "3 pages" in body["message"] and "at most 2" in body["message"] and body["details"]["max_pages"] == 2


def test_envelope_and_request_id(client: TestClient) -> None:
    response = client.post(
        "/process",
        files={"file": ("p.png", png_bytes(text_page(620, 880, scale=0.6)), "image/png")},
        headers={"X-Request-ID": "ip-test-42"},
    )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "ip-test-42"
    body = response.json()
    assert ENVELOPE_FIELDS <= body.keys()
    assert body["service_name"] == "image-processor" and body["error"] is None
    assert body["metadata"]["request_id"] == "ip-test-42"
    assert body["processing_time"] > 0
    page = body["data"]["pages"][0]
    assert {"blur", "contrast", "brightness", "width", "height"} <= page["quality_before"].keys()
    assert page["image_format"] == "png" and len(page["transform"]) == 3


def test_health_and_info_describe_opencv(client: TestClient) -> None:
    health = client.get("/health").json()
    assert health["status"] == "healthy" and health["checks"]["opencv"]["ok"] is True
    info = client.get("/info").json()
    assert info["backend"] == "opencv" and info["version"] == cv2.__version__


def _truncated_jpeg() -> bytes:
    data = jpeg_bytes(text_page(400, 500, scale=0.5))
    return data[: len(data) // 2]


BAD_UPLOADS = {
    "zero-byte file": ("empty.jpg", b""),
    "text file named .jpg": ("notes.jpg", b"this is plain text, not a picture\n" * 10),
    "truncated jpeg": ("cut.jpg", _truncated_jpeg()),
    "1x1 image": ("dot.png", png_bytes(np.zeros((1, 1, 3), np.uint8))),
    "corrupt pdf": ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without xref\n"),
}


def _assert_val001(response, client: TestClient) -> None:
    assert 400 <= response.status_code < 500, response.status_code
    body = response.json()
    assert body["success"] is False and body["data"] is None
    assert body["error"]["code"] == "VAL001" and body["error"]["retryable"] is False
    assert body["error"]["message"]
    assert client.get("/health").json()["status"] == "healthy"


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_upload_is_val001(client: TestClient, case: str) -> None:
    name, content = BAD_UPLOADS[case]
    _assert_val001(client.post("/process", files={"file": (name, content, "image/jpeg")}), client)


def test_empty_body_is_val001(client: TestClient) -> None:
    _assert_val001(client.post("/process"), client)


def test_missing_file_field_is_val001(client: TestClient) -> None:
    response = client.post("/process", files={"image": ("p.png", png_bytes(text_page(200, 200, scale=0.3)), "image/png")},
                           data={"apply_unwarping": "true"})
    _assert_val001(response, client)
    assert "file" in response.json()["error"]["message"]


def test_invalid_flag_is_val001(client: TestClient) -> None:
    response = client.post("/process", files={"file": ("p.png", png_bytes(text_page(300, 300, scale=0.3)), "image/png")},
                           data={"apply_unwarping": "perhaps"})
    _assert_val001(response, client)


def test_image_over_pixel_limit_is_val001(strict_client: TestClient) -> None:
    response = strict_client.post("/process", files={"file": ("big.jpg", jpeg_bytes(text_page(600, 600, scale=0.5)), "image/jpeg")})
    _assert_val001(response, strict_client)
    assert response.status_code == 413
    assert response.json()["error"]["details"]["max_pixels"] == 250_000


def test_file_over_size_limit_is_val001(strict_client: TestClient) -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (400, 400, 3), dtype=np.uint8)  # incompressible: ~480 kB as PNG, under the pixel limit
    response = strict_client.post("/process", files={"file": ("noise.png", png_bytes(noise), "image/png")})
    _assert_val001(response, strict_client)
    assert response.status_code == 413


def test_service_keeps_serving_after_bad_input(client: TestClient) -> None:
    for name, content in BAD_UPLOADS.values():
        client.post("/process", files={"file": (name, content, "image/jpeg")})
    assert post(client, png_bytes(text_page(620, 880, scale=0.6)))["success"] is True
    metrics = client.get("/metrics").json()
    assert metrics["errors_by_code"].get("VAL001", 0) >= len(BAD_UPLOADS)


def test_docgen_documents_are_straightened(client: TestClient) -> None:
    docgen = pytest.importorskip("docgen")
    invoice = docgen.render("invoice", seed=11).image
    page = post(client, png_bytes(rotate_ccw(invoice, 6.0)))["data"]["pages"][0]
    assert abs(page["skew_angle"] - 6.0) < 0.5
    photo = docgen.render("receipt", seed=12, variant="photo").image
    page = post(client, jpeg_bytes(photo), name="photo.jpg")["data"]["pages"][0]
    assert page["outline_found"] is True
    # the decision and its reason are in the response either way (warped, or perspective too mild to resample for)
    unwarp = [o for o in page["operations"] if o["name"] == "unwarp"]
    assert page["unwarped"] is bool(unwarp)
    assert unwarp or any(n.startswith("unwarp: outline found, perspective mild") for n in page["notes"])


def test_broken_runtime_double_makes_service_unhealthy_and_503() -> None:
    """Test double: a runtime whose OpenCV self-test failed (cannot be provoked with real OpenCV here)."""
    from image_processor.main import build_app

    app = build_app()
    with TestClient(app, headers=api_headers()) as broken:
        runtime = app.state.runtime
        runtime.ready, runtime.error = False, "test double: OpenCV self-test failed"
        health = broken.get("/health").json()
        assert health["status"] == "unhealthy"
        assert "test double" in health["checks"]["opencv"]["detail"]
        response = broken.post("/process", files={"file": ("p.png", png_bytes(text_page(300, 300, scale=0.3)), "image/png")})
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "SVC001" and response.json()["error"]["retryable"] is True
