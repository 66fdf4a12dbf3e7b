"""Reliability of confidence scores: are values reported at confidence c right about c of the time?

One definition of the expected calibration error (ECE) for the whole project: the ocr-extractor's calibration
fit reports it, `iris eval` prints it with its bins, the benchmarks compare maps with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_confidence: float
    accuracy: float


def reliability_bins(samples: Iterable[tuple[float, bool | int]], n_bins: int = 10) -> list[ReliabilityBin]:
    """(confidence, correct) pairs in equal-width confidence bins; empty bins are left out and a confidence of
    1.0 falls in the last bin."""
    pairs = list(samples)
    bins = []
    for b in range(n_bins):
        low, high = b / n_bins, (b + 1) / n_bins
        inside = [(c, ok) for c, ok in pairs if low <= c < high or (b == n_bins - 1 and c >= high)]
        if inside:
            bins.append(ReliabilityBin(low, high, len(inside), sum(c for c, _ in inside) / len(inside),
                                       sum(bool(ok) for _, ok in inside) / len(inside)))
    return bins


def expected_calibration_error(bins: list[ReliabilityBin]) -> float:
    """Sum over bins of (share of samples) x |accuracy - mean confidence|; 0.0 for no samples."""
    total = sum(b.count for b in bins)
    return sum(b.count / total * abs(b.accuracy - b.mean_confidence) for b in bins) if total else 0.0
