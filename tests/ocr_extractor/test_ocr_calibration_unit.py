"""core/calibration.py and the labelling of models/calibrate.py: pure, no OCR model."""

import random

import pytest

from iris_common.contract.extraction import DocumentType
from ocr_extractor.core.calibration import FEATURES, GROUPS, Calibration, ece, features, fit
from ocr_extractor.models.calibrate import labelled_samples
from ocr_helpers import ocr_of


def test_features_have_one_value_per_name_and_the_kind_sets_its_own_evidence_slope():
    x = features(0.9, 0.8, True, False, "amount")
    assert len(x) == len(FEATURES)
    named = dict(zip(FEATURES, x, strict=True))
    assert named["group_amount"] == 1.0 and named["evidence_x_amount"] == pytest.approx(0.8)
    assert all(named[f"evidence_x_{g}"] == 0.0 for g in GROUPS if g != "amount")


def test_fit_learns_that_kinds_differ_and_is_calibrated_in_sample():
    # names are right 60% of the time whatever the evidence, amounts 95%: one shared map cannot say both
    rng = random.Random(0)
    x, y = [], []
    for _ in range(600):
        group, rate = rng.choice([("name", 0.6), ("amount", 0.95)])
        x.append(features(rng.uniform(0.9, 1.0), rng.uniform(0.7, 1.0), False, False, group))
        y.append(int(rng.random() < rate))
    cal = fit(x, y)
    name_p = cal.probability(features(0.95, 0.85, False, False, "name"))
    amount_p = cal.probability(features(0.95, 0.85, False, False, "amount"))
    assert 0.5 < name_p < 0.7 and amount_p > 0.9
    assert cal.metrics["ece_in_sample"] < 0.05
    assert Calibration.from_json(cal.to_json()).coef == cal.coef


def test_an_artifact_of_other_features_is_refused():
    with pytest.raises(ValueError):
        Calibration.from_json('{"coef": [1.0], "version": "x", "features": ["bias"]}')


def test_ece_of_a_constructed_example():
    # bin 0.8-0.9: confidences 0.8 x4, 3 right -> |0.75 - 0.8| = 0.05 over all four
    assert ece([0.8] * 4, [1, 1, 1, 0]) == pytest.approx(0.05)


def test_form_pairs_are_labelled_right_when_key_and_value_match_the_truth():
    ocr = ocr_of([[("REGISTRATION", 10)], [("Name: Lucia Gomez", 10)], [("City: Springfeld", 10)], [("Phone: 555", 10)]])
    truth = {"key_values": {"Name": "Lucia Gomez", "City": "Springfield", "Phone": "556 0000"}}
    samples = labelled_samples(ocr, DocumentType.FORM, truth)
    assert sorted(y for _, y in samples) == [0, 1, 1]  # the misspelt city is still similar; the phone is not
    assert all(len(x) == len(FEATURES) for x, _ in samples)
