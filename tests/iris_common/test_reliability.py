"""iris_common.reliability: the one ECE definition (ocr-extractor calibration, iris eval, benchmarks)."""

import pytest

from iris_common.reliability import expected_calibration_error, reliability_bins


def test_bins_and_ece_of_an_overconfident_and_a_calibrated_bin():
    samples = [(0.95, True)] * 5 + [(0.95, False)] * 5 + [(0.35, True)] * 3 + [(0.35, False)] * 7
    bins = reliability_bins(samples)
    assert [(b.low, b.count, b.accuracy) for b in bins] == [(0.3, 10, 0.3), (0.9, 10, 0.5)]
    assert expected_calibration_error(bins) == pytest.approx(0.5 * 0.05 + 0.5 * 0.45)


def test_confidence_one_falls_in_the_last_bin_and_no_samples_is_zero():
    assert reliability_bins([(1.0, 1)])[0].low == 0.9
    assert expected_calibration_error(reliability_bins([])) == 0.0
