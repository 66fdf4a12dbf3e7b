"""Core functions on arrays: skew accuracy, geometry bookkeeping, outline detection, measured clean-up."""

import cv2
import numpy as np
import pytest
from ip_fixtures import PHOTO_CORNERS, photographed_page, rotate_ccw, text_page

from image_processor.core import geometry
from image_processor.core.enhance import EnhanceThresholds, enhance
from image_processor.core.outline import find_outline, flatten
from image_processor.core.pipeline import PipelineConfig, process_page
from image_processor.core.quality import measure
from image_processor.core.skew import estimate_skew
from iris_common.geometry import map_points


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return text_page()


@pytest.mark.parametrize("angle", [-12.0, -7.0, -2.4, 0.8, 3.3, 7.0, 18.0])
def test_skew_estimate_is_accurate_with_ccw_positive(page: np.ndarray, angle: float) -> None:
    estimate = estimate_skew(rotate_ccw(page, angle))
    assert abs(estimate.angle - angle) < 0.25
    assert estimate.confidence > 1.3


def test_blank_page_has_no_confident_skew() -> None:
    rng = np.random.default_rng(0)
    blank = np.clip(235 + rng.normal(0, 3, (800, 600, 3)), 0, 255).astype(np.uint8)
    assert estimate_skew(blank).confidence < 1.2


def test_rotation_matrix_tracks_a_marker() -> None:
    image = np.full((400, 300, 3), 255, np.uint8)
    cv2.circle(image, (60, 90), 6, (0, 0, 0), -1)
    rotated, matrix = geometry.rotation(image, -9.0)
    ys, xs = np.nonzero(geometry.to_gray(rotated) < 128)
    expected = map_points(matrix, np.array([[60, 90]]))[0]
    assert np.hypot(xs.mean() - expected[0], ys.mean() - expected[1]) < 1.0
    # the canvas grew: nothing of the page was cut away
    assert rotated.shape[0] > 400 and rotated.shape[1] > 300


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_quarter_turn_matrix_tracks_a_marker(turns: int) -> None:
    image = np.full((200, 120), 255, np.uint8)
    image[30, 10] = 0
    turned, matrix = geometry.quarter_turn(image, turns)
    y, x = (int(v[0]) for v in np.nonzero(turned == 0))
    assert np.allclose(map_points(matrix, np.array([[10, 30]]))[0], [x, y])


def test_outline_found_on_photograph_and_not_on_flat_scan(page: np.ndarray) -> None:
    outline = find_outline(photographed_page())
    assert outline is not None
    assert np.abs(outline.corners - PHOTO_CORNERS).max() < 15
    assert find_outline(page) is None
    assert find_outline(rotate_ccw(page, 7)) is None


def test_flatten_maps_corners_to_the_output_rectangle() -> None:
    out, matrix = flatten(photographed_page(), PHOTO_CORNERS.astype(np.float64))
    h, w = out.shape[:2]
    mapped = map_points(matrix, PHOTO_CORNERS)
    assert np.allclose(mapped, [[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], atol=1e-3)


def test_clean_scan_needs_no_enhancement(page: np.ndarray) -> None:
    out, steps = enhance(page, measure(page))
    assert [s.name for s in steps] == ["grayscale"]  # a grey page stored as colour, nothing else
    assert np.abs(out.astype(int) - geometry.to_gray(page).astype(int)).max() == 0


def test_noisy_page_is_denoised_and_measured_less_noisy(page: np.ndarray) -> None:
    rng = np.random.default_rng(5)
    grey_paper = page.astype(np.float32) * 0.85 + 15  # paper at 232, so the noise is not clipped at white
    noise = rng.normal(0, 12, page.shape[:2])[..., None]
    noisy = np.clip(grey_paper + noise, 0, 255).astype(np.uint8)
    before = measure(noisy)
    assert 10 < before.noise < 14
    out, steps = enhance(noisy, before)
    assert "denoise_bilateral" in [s.name for s in steps]
    assert measure(out).noise < before.noise / 2


def test_salt_and_pepper_is_removed(page: np.ndarray) -> None:
    rng = np.random.default_rng(6)
    specks = page.copy()
    flat = specks.reshape(-1, 3)
    idx = rng.choice(len(flat), len(flat) // 100, replace=False)
    flat[idx] = np.where(rng.random((len(idx), 1)) < 0.5, 0, 255)
    before = measure(specks)
    out, steps = enhance(specks, before)
    assert "denoise_median" in [s.name for s in steps]
    assert measure(out).impulse_noise < before.impulse_noise / 4


def test_faded_page_gets_contrast_stretch(page: np.ndarray) -> None:
    faded = (page.astype(np.float32) * 0.35 + 150).astype(np.uint8)  # ink ~160, paper ~240
    before = measure(faded)
    assert "contrast_stretch" not in [s.name for s in enhance(faded, before)[1]]  # 80 grey levels of contrast: PaddleOCR reads it as is (default 40)
    out, steps = enhance(faded, before, EnhanceThresholds(min_text_contrast=110))  # a binarising engine's setting
    assert "contrast_stretch" in [s.name for s in steps]
    after = measure(out)
    assert after.paper_level - after.ink_level > 2 * (before.paper_level - before.ink_level)


def test_shadowed_page_gets_illumination_flattened(page: np.ndarray) -> None:
    h, w = page.shape[:2]
    gradient = np.linspace(0.45, 1.0, w, dtype=np.float32)[None, :, None]
    shadowed = (page.astype(np.float32) * gradient).astype(np.uint8)
    before = measure(shadowed)
    assert "flatten_illumination" not in [s.name for s in enhance(shadowed, before)[1]]  # moderate: left by default
    out, steps = enhance(shadowed, before, EnhanceThresholds(unevenness=0.18))
    assert "flatten_illumination" in [s.name for s in steps]
    assert measure(out).background_unevenness < before.background_unevenness / 3


def test_pipeline_leaves_a_straight_scan_alone(page: np.ndarray) -> None:
    result = process_page(page, PipelineConfig())
    assert not result.deskewed and not result.unwarped
    assert np.allclose(result.transform, np.eye(3))
    assert result.image.shape[:2] == page.shape[:2]


def test_orientation_is_skipped_and_said_so_without_a_line_reader(page: np.ndarray) -> None:
    flipped = cv2.rotate(page, cv2.ROTATE_180)
    result = process_page(flipped, PipelineConfig(enhance_quality=False))
    assert result.steps == [] and result.orientation is None
    assert any(n.startswith("orient: no text-line reader") for n in result.notes)


def test_straight_scan_says_why_nothing_was_applied(page: np.ndarray) -> None:
    result = process_page(page, PipelineConfig())
    notes = " | ".join(result.notes)
    assert "deskew: angle" in notes and "of straight" in notes
    assert "unwarp: no 4-corner page outline" in notes
    assert "enhance:" in notes or [s.name for s in result.steps] == ["grayscale"]


@pytest.mark.parametrize(("angle", "corrected"), [(0.6, False), (-0.8, False), (1.6, True), (-2.5, True)])
def test_small_tilt_is_left_and_a_larger_one_corrected(page: np.ndarray, angle: float, corrected: bool) -> None:
    """Below min_skew_angle (1 degree) OCR reads the page as well as a resampled copy (measured on flat SROIE
    scans), so the pixels are left as they are and the note gives the measured angle."""
    result = process_page(rotate_ccw(page, angle), PipelineConfig(enhance_quality=False))
    assert result.deskewed is corrected
    assert abs(result.skew.angle - angle) < 0.25
    if corrected:
        assert [s.name for s in result.steps] == ["deskew"]
        assert result.steps[0].params["rotation_applied"] == pytest.approx(-result.skew.angle)
    else:
        assert result.steps == [] and np.allclose(result.transform, np.eye(3))
        assert any(n.startswith(f"deskew: angle {result.skew.angle}") for n in result.notes)


def test_columns_down_a_receipt_do_not_pass_for_sideways_lines() -> None:
    """Monospaced receipts align characters in columns, which can make a sharper comb down the page than the
    lines across it; without orientation evidence for a page on its side, the across reading is the one used."""
    rng = np.random.default_rng(4)
    img = np.full((1400, 700, 3), 255, np.uint8)
    for row in range(30):  # short lines of digits in fixed columns, like the price column of a till roll
        y = 80 + 40 * row
        for col in range(6):
            text = f"{int(rng.integers(10, 99))}.{int(rng.integers(10, 99))}"
            cv2.putText(img, text, (60 + 100 * col, y), cv2.FONT_HERSHEY_PLAIN, 1.4, (20, 20, 20), 2)
    tilted = rotate_ccw(img, 2.0)
    result = process_page(tilted, PipelineConfig(enhance_quality=False))
    assert result.deskewed
    assert abs(result.skew.angle - 2.0) < 0.3


def test_deskew_crops_the_grown_canvas_back_to_the_page_without_cutting_ink(page: np.ndarray) -> None:
    """A page that arrived rotated comes out about its own size (the OCR detects on the page scaled to 960 px,
    so blank margins would shrink the text), every ink pixel kept, the transform still exact."""
    turned, _ = geometry.rotation(page, 12.0)
    result = process_page(turned, PipelineConfig(enhance_quality=False))
    assert result.deskewed
    plain, _ = geometry.rotation(turned, -12.0)  # what an uncropped deskew would give
    out_h, out_w = result.image.shape[:2]
    assert out_w * out_h < 0.8 * plain.shape[0] * plain.shape[1]
    assert out_w <= page.shape[1] * 1.15 and out_h <= page.shape[0] * 1.15
    ink_in, ink_out = (int((geometry.to_gray(im) < 128).sum()) for im in (turned, result.image))
    assert ink_out > 0.97 * ink_in
    deskew = next(s for s in result.steps if s.name == "deskew")
    assert deskew.params["cropped_to"] == [out_w, out_h]


def test_crop_to_content_leaves_a_page_without_content_alone() -> None:
    blank = np.full((300, 200, 3), 250, np.uint8)
    out, matrix = geometry.crop_to_content(blank, (250, 250, 250))
    assert out is blank and np.allclose(matrix, np.eye(3))
    image = blank.copy()
    cv2.rectangle(image, (80, 100), (120, 140), (0, 0, 0), -1)
    out, matrix = geometry.crop_to_content(image, (250, 250, 250), margin_fraction=0.0, min_margin=5)
    assert out.shape[:2] == (51, 51) and matrix[0, 2] == -75 and matrix[1, 2] == -95
    framed = np.zeros_like(blank)  # a dark frame to the edges: nothing to cut
    framed[3:-3, 3:-3] = 250
    out, matrix = geometry.crop_to_content(framed, (250, 250, 250))
    assert out is framed and np.allclose(matrix, np.eye(3))
    thin = blank.copy()  # one-pixel strokes are text, not specks
    cv2.line(thin, (40, 50), (160, 50), (0, 0, 0), 1)
    cv2.line(thin, (40, 250), (160, 250), (0, 0, 0), 1)
    out, _ = geometry.crop_to_content(thin, (250, 250, 250), margin_fraction=0.0, min_margin=2)
    assert out.shape[:2] == (205, 125)


def test_a_narrow_slip_on_a_wide_white_page_is_cropped_to_itself_and_a_full_page_is_not(page: np.ndarray) -> None:
    """A till receipt scanned on a flatbed (the bed as white as the paper) fills a third of the page's width: the
    OCR's detector would see it scaled down and the classifier mostly blank paper."""
    slip = page[:, : page.shape[1] // 3].copy()  # lines of text, a third of a page wide
    bed = np.full((page.shape[0] + 400, page.shape[1] * 2, 3), 250, np.uint8)
    rng = np.random.default_rng(0)
    for x, y in zip(rng.integers(0, bed.shape[1] - 4, 300), rng.integers(0, bed.shape[0] - 4, 300), strict=True):
        bed[y : y + 3, x : x + 4] = 60  # photocopy dust all over the bed: a plain bounding box would span the page
    bed[100 : 100 + slip.shape[0], 700 : 700 + slip.shape[1]] = slip
    result = process_page(bed, PipelineConfig(enhance_quality=False, auto_orient=False))
    crop = next(s for s in result.steps if s.name == "crop")
    assert crop.params["content_width_share"] < 0.3
    assert result.image.shape[1] < 0.5 * bed.shape[1] and result.image.shape[0] < bed.shape[0]
    # the crop is a translation: a point of the slip maps to where it is in the output
    (x, y), = map_points(result.transform, [(700.0 + 10, 100.0 + 20)])
    assert np.array_equal(result.image[int(round(y)), int(round(x))], bed[120, 710])
    assert result.image.shape[1] >= slip.shape[1] and result.image.shape[0] >= slip.shape[0]  # no ink of the slip cut
    full = process_page(page, PipelineConfig(enhance_quality=False, auto_orient=False))
    assert not any(s.name == "crop" for s in full.steps) and full.image.shape == page.shape

