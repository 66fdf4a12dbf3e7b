"""What an OCR engine hands to the core: text lines with polygons, optionally with word boxes."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RawWord:
    text: str
    confidence: float  # 0..1
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True)
class RawLine:
    text: str
    confidence: float  # 0..1
    polygon: tuple[tuple[float, float], ...]  # 4 points, clockwise from top-left
    words: tuple[RawWord, ...] = field(default_factory=tuple)  # empty when the engine gives lines only

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        xs = [p[0] for p in self.polygon]
        ys = [p[1] for p in self.polygon]
        return (min(xs), min(ys), max(xs), max(ys))


@dataclass(frozen=True)
class RawPage:
    width: int
    height: int
    lines: tuple[RawLine, ...]
