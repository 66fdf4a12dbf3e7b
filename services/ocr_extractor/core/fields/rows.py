"""Visual rows (OCR lines that share a baseline, in reading order) and `Found`, what every finder returns."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from iris_common.contract.extraction import ExtractedField, OcrLine, OcrResult


@dataclass
class Row:
    """Lines side by side, left to right; `text` joins them with spaces, `spans` maps characters back to lines."""

    index: int
    page: int
    lines: list[OcrLine]
    text: str = ""
    spans: list[tuple[int, int, OcrLine]] = field(default_factory=list)

    def __post_init__(self) -> None:
        parts: list[str] = []
        pos = 0
        for line in self.lines:
            self.spans.append((pos, pos + len(line.text), line))
            parts.append(line.text)
            pos += len(line.text) + 1
        self.text = " ".join(parts)

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def bbox(self) -> list[float]:
        return union_box(line.bbox for line in self.lines)

    @property
    def confidence(self) -> float:
        return min(line.confidence for line in self.lines)

    def line_at(self, start: int, end: int) -> OcrLine:
        """The line holding characters start..end of `text` (the first one they touch)."""
        for s, e, line in self.spans:
            if start < e and s < end:
                return line
        return self.lines[-1]

    def lines_between(self, start: int, end: int) -> list[OcrLine]:
        return [line for s, e, line in self.spans if start < e and s < end] or [self.lines[-1]]


def union_box(boxes: Iterable[Sequence[float]]) -> list[float]:
    boxes = list(boxes)
    return [min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)]


def build_rows(ocr: OcrResult) -> list[Row]:
    by_row: dict[int, list[OcrLine]] = {}
    for index in ocr.reading_order:
        line = ocr.lines[index]
        by_row.setdefault(line.row, []).append(line)
    return [
        Row(index=i, page=lines[0].page, lines=sorted(lines, key=lambda ln: ln.bbox[0]))
        for i, (_, lines) in enumerate(sorted(by_row.items()))
    ]


@dataclass
class Found:
    """A field as the rules found it: the contract's field plus what its confidence is derived from:
    `ocr` (the recogniser's confidence of the weakest line it came from) and `evidence` (how strongly the
    rules point at it: keyword on the row, grammar of the value, position), both in [0, 1]."""

    field: ExtractedField
    ocr: float
    evidence: float
    group: str = "other"
    flags: list[str] = field(default_factory=list)


def make_found(value: str, evidence: float, lines: Sequence[OcrLine], raw: str | None = None) -> Found:
    ocr = min(line.confidence for line in lines)
    evidence = min(max(evidence, 0.0), 1.0)
    return Found(
        ExtractedField(
            value=value,
            confidence=round(ocr * evidence, 4),
            bbox=union_box(line.bbox for line in lines),
            raw=raw if raw is not None else " ".join(line.text for line in lines),
            page=lines[0].page,
        ),
        ocr,
        evidence,
    )
