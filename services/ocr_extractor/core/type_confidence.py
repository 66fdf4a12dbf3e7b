"""Document-type confidence that means something: P(the chosen type is right), from how the type was chosen.

The classifier's probability of the chosen type is a poor confidence once routing has compared extractions: on
the development pages it averaged ~0.75 while the routed type was right 95 % of the time, and a type chosen
against the classifier kept the classifier's low number. The evidence routing weighed says more: how much of the
best score the chosen type holds, how full its schema is, whether the title names it, whether it overruled the
classifier. A logistic map from those features (the same `core.calibration.Calibration` as field confidence,
on TYPE_FEATURES) is fitted on labelled real pages by `benchmarks/routing_study.py --fit-type-calibration`,
which prints its in-sample and leave-one-source-out expected calibration error, and shipped as
`models/type_calibration.json`.
"""

from __future__ import annotations

import math

from iris_common.contract.extraction import DocumentType
from iris_common.contract.routing import RoutingTrial

from ocr_extractor.core.calibration import Calibration

TYPE_FEATURES = ("bias", "logit_prior", "score_share", "fill", "overruled", "title_agrees", "title_disagrees",
                 "chosen_other", "compared")


def _logit(p: float) -> float:
    p = min(max(p, 1e-3), 1 - 1e-3)
    return math.log(p / (1 - p))


def type_features(trials: list[RoutingTrial], classifier_top: DocumentType, titled: DocumentType | None) -> list[float]:
    """Features of a routing decision; `trials` best first (the chosen type is trials[0])."""
    best = trials[0]
    total = sum(t.score for t in trials)
    return [
        1.0,
        _logit(best.prior),
        best.score / total if total > 0 else 1.0,
        best.fill,
        float(best.document_type != classifier_top),
        float(titled is not None and titled == best.document_type),
        float(titled is not None and titled != best.document_type),
        float(best.document_type == DocumentType.OTHER),
        float(len(trials) > 1),
    ]


def type_confidence(trials: list[RoutingTrial], classifier_top: DocumentType, titled: DocumentType | None,
                    calibration: Calibration | None) -> float:
    """Calibrated P(chosen type is right); without a map, the (title-updated) classifier probability of it."""
    if calibration is None:
        return trials[0].prior
    return calibration.probability(type_features(trials, classifier_top, titled))
