"""Field confidence that means something: a logistic map from a few features to P(value is right).
(The same logistic map, on other features, calibrates the document type: core.type_confidence.)

Features of a field: the OCR confidence of its weakest line (as a logit), the rule evidence (keyword,
grammar, position, checksum, in [0, 1]), whether a cross-field check it takes part in passed or failed, and its
kind (date, amount, name, address, id, form key/value pair, other) both as an intercept and as the slope of the
evidence: kinds differ in how often the rules are right and in how much a strong rule is worth (a keyed total
is nearly always right, a name in the letterhead much less). The map is fitted on labelled fields (generated
pages + labelled sets, see `models.calibrate`) and shipped as a versioned JSON artifact;
this module holds only the pure parts: features, fitting, applying, the expected calibration error.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from iris_common.reliability import expected_calibration_error, reliability_bins

GROUPS = ("date", "amount", "name", "address", "id", "pair", "other")
FIELD_GROUPS = {
    "date": "date", "due_date": "date", "period_start": "date", "period_end": "date",
    "total": "amount", "subtotal": "amount", "tax": "amount",
    "merchant_name": "name", "vendor_name": "name", "issuer": "name", "customer_name": "name", "sender": "name", "recipient": "name",
    "merchant_address": "address", "vendor_address": "address",
    "merchant_tax_id": "id", "vendor_tax_id": "id", "invoice_number": "id", "reference_number": "id",
}
FEATURES = ("bias", "logit_ocr", "evidence", "check_passed", "check_failed", *(f"group_{g}" for g in GROUPS),
            *(f"evidence_x_{g}" for g in GROUPS))


def group_of(name: str) -> str:
    return FIELD_GROUPS.get(name, "other")


def features(ocr: float, evidence: float, passed: bool, failed: bool, group: str) -> list[float]:
    p = min(max(ocr, 1e-3), 1 - 1e-3)
    return [1.0, math.log(p / (1 - p)), evidence, float(passed), float(failed), *(float(group == g) for g in GROUPS),
            *(evidence * (group == g) for g in GROUPS)]


def uncalibrated(ocr: float, evidence: float, passed: bool, failed: bool) -> float:
    """What confidence is without a fitted artifact: OCR x evidence, halved by a failed check."""
    return ocr * evidence * (0.5 if failed else 1.0)


@dataclass
class Calibration:
    """A fitted map. `version` is a content hash, so outputs can name the map that produced them."""

    coef: list[float]
    version: str = "uncalibrated"
    fitted_on: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    features: tuple[str, ...] = FEATURES

    def probability(self, x: Sequence[float]) -> float:
        z = sum(c * v for c, v in zip(self.coef, x, strict=True))
        z = max(min(z, 30.0), -30.0)
        return 1.0 / (1.0 + math.exp(-z))

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "features": list(self.features)}, indent=2)

    @classmethod
    def from_json(cls, text: str, expected: tuple[str, ...] = FEATURES) -> Calibration:
        """A stored map; refused when it was fitted on other features than `expected` (this code's)."""
        data = json.loads(text)
        if tuple(data.get("features", ())) != expected:
            raise ValueError(f"calibration features {data.get('features')} do not match this code's {list(expected)}")
        return cls(coef=[float(c) for c in data["coef"]], version=data["version"], fitted_on=data.get("fitted_on", {}),
                   metrics=data.get("metrics", {}), features=expected)


def fit(x: Sequence[Sequence[float]], y: Sequence[int], *, c: float = 1.0, fitted_on: dict[str, Any] | None = None,
        names: tuple[str, ...] = FEATURES) -> Calibration:
    """Logistic regression with an L2 penalty of strength 1/c on every coefficient, the bias column included.
    A strong penalty (small c) pulls the per-kind terms towards the shared ones, so a kind with few labelled
    fields borrows from the others, and pulls confidences towards the middle where the labelled sets disagree:
    what keeps the map calibrated on a set it was not fitted on (c is chosen by leave-one-set-out, see
    benchmarks/dev_sets.py)."""
    from sklearn.linear_model import LogisticRegression

    if len(set(y)) < 2:
        raise ValueError("calibration needs both right and wrong fields")
    model = LogisticRegression(C=c, fit_intercept=False, max_iter=10000)
    model.fit([list(r) for r in x], list(y))
    coef = [round(float(v), 6) for v in model.coef_[0]]
    version = hashlib.sha256(json.dumps(coef).encode()).hexdigest()[:12]
    cal = Calibration(coef=coef, version=version, fitted_on=fitted_on or {}, features=names)
    probs = [cal.probability(r) for r in x]
    cal.metrics = {"n": len(y), "accuracy": round(sum(y) / len(y), 4), "ece_in_sample": round(ece(probs, y), 4), "c": c}
    return cal


def ece(probs: Sequence[float], labels: Sequence[int], bins: int = 10) -> float:
    """Expected calibration error of probabilities against 0/1 labels (`iris_common.reliability`)."""
    return expected_calibration_error(reliability_bins(zip(probs, labels, strict=True), bins))
