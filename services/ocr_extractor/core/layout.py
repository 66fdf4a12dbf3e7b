"""Turns engine output into the contract's `OcrResult`: visual rows, reading order, word boxes, language.

Rows matter more than lines for receipts: detectors often cut "TOTAL    RM    15.00" into three boxes,
and a keyword must find its amount on the same row.
"""

import math
import statistics
import unicodedata
from collections.abc import Sequence

from iris_common.contract.extraction import OcrLine, OcrPage, OcrResult, OcrWord

from ocr_extractor.core.language import detect_language
from ocr_extractor.core.types import RawLine, RawPage


def normalise_text(text: str) -> str:
    """NFKC folds full-width colons and digits (common in CJK-trained recognisers) into ASCII; collapse spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def text_angle(lines: Sequence[RawLine]) -> float:
    """Median slope (radians) of the lines' top edges, from lines wide enough to measure it: a skewed scan
    tilts every line the same way, and rows must be found along that tilt, not along the image axes."""
    angles = []
    for line in lines:
        (x0, y0), (x1, y1) = line.polygon[0], line.polygon[1]
        if len(line.polygon) == 4 and x1 - x0 > 2 * abs(line.polygon[3][1] - y0):
            angles.append(math.atan2(y1 - y0, x1 - x0))
    return statistics.median(angles) if angles else 0.0


def _deskewed_box(line: RawLine, angle: float) -> tuple[float, float, float, float]:
    cos, sin = math.cos(-angle), math.sin(-angle)
    xs = [x * cos - y * sin for x, y in line.polygon]
    ys = [x * sin + y * cos for x, y in line.polygon]
    return (min(xs), min(ys), max(xs), max(ys))


def _group_rows(lines: Sequence[RawLine]) -> list[list[int]]:
    """Indices of `lines` grouped into rows: a line joins a row when its vertical centre (measured across the
    text direction) is within half a line height of the row's centre. Rows come out top to bottom, lines left
    to right."""
    angle = text_angle(lines)
    boxes = [_deskewed_box(line, angle) for line in lines]
    order = sorted(range(len(lines)), key=lambda i: (boxes[i][1] + boxes[i][3]) / 2)
    rows: list[list[int]] = []
    centres: list[float] = []
    heights: list[float] = []
    for i in order:
        x0, y0, x1, y1 = boxes[i]
        cy, h = (y0 + y1) / 2, max(y1 - y0, 1.0)
        if rows and abs(cy - centres[-1]) < 0.5 * min(h, heights[-1]):
            rows[-1].append(i)
            n = len(rows[-1])
            centres[-1] += (cy - centres[-1]) / n
            heights[-1] += (h - heights[-1]) / n
        else:
            rows.append([i])
            centres.append(cy)
            heights.append(h)
    return [sorted(row, key=lambda i: boxes[i][0]) for row in rows]


def _split_words(line: RawLine, text: str, line_index: int, page: int) -> list[OcrWord]:
    """Word boxes: the engine's when it has them, else interpolated along the line box by character offsets."""
    if line.words:
        return [
            OcrWord(
                text=normalise_text(w.text),
                confidence=_clip(w.confidence),
                bbox=[round(v, 1) for v in w.bbox],
                line_index=line_index,
                page=page,
            )
            for w in line.words
            if w.text.strip()
        ]
    x0, y0, x1, y1 = line.bbox
    n = max(len(text), 1)
    words: list[OcrWord] = []
    offset = 0
    for token in text.split(" "):
        if token:
            a, b = offset / n, (offset + len(token)) / n
            words.append(
                OcrWord(
                    text=token,
                    confidence=_clip(line.confidence),
                    bbox=[round(x0 + a * (x1 - x0), 1), round(y0, 1), round(x0 + b * (x1 - x0), 1), round(y1, 1)],
                    line_index=line_index,
                    page=page,
                    estimated_bbox=True,
                )
            )
        offset += len(token) + 1
    return words


def _clip(value: float) -> float:
    return round(min(max(float(value), 0.0), 1.0), 4)


def build_ocr_result(engine: str, pages: Sequence[RawPage]) -> OcrResult:
    """Assemble the OCR result of all pages; line indices follow reading order, so `reading_order` is 0..n-1
    and `row` numbers are global across pages."""
    out_lines: list[OcrLine] = []
    out_words: list[OcrWord] = []
    row_offset = 0
    for page_index, page in enumerate(pages):
        kept = [ln for ln in page.lines if normalise_text(ln.text)]
        rows = _group_rows(kept)
        for row_number, row in enumerate(rows):
            for i in row:
                line = kept[i]
                text = normalise_text(line.text)
                index = len(out_lines)
                out_lines.append(
                    OcrLine(
                        index=index,
                        text=text,
                        confidence=_clip(line.confidence),
                        bbox=[round(v, 1) for v in line.bbox],
                        polygon=[[round(float(x), 1), round(float(y), 1)] for x, y in line.polygon],
                        page=page_index,
                        row=row_offset + row_number,
                    )
                )
                out_words.extend(_split_words(line, text, index, page_index))
        row_offset += len(rows)
    full_text = "\n".join(line.text for line in out_lines)
    language, scores = detect_language(full_text)
    mean_conf = sum(line.confidence for line in out_lines) / len(out_lines) if out_lines else 0.0
    return OcrResult(
        engine=engine,
        language=language,
        language_scores=scores,
        mean_confidence=_clip(mean_conf),
        text=full_text,
        pages=[OcrPage(index=i, width=p.width, height=p.height) for i, p in enumerate(pages)],
        lines=out_lines,
        words=out_words,
        reading_order=list(range(len(out_lines))),
    )


def _is_box(box: Sequence[float]) -> bool:
    return len(box) == 4 and all(math.isfinite(v) for v in box)


def _is_polygon(polygon: Sequence[Sequence[float]]) -> bool:
    return len(polygon) >= 3 and all(len(p) == 2 and all(math.isfinite(v) for v in p) for p in polygon)


def mismatches(ocr: OcrResult, page_sizes: Sequence[tuple[int, int]]) -> list[str]:
    """Why `ocr` could not be what `build_ocr_result` made of pages of these (width, height) sizes: an OCR result
    handed back by a caller is reused as is, so it must describe the same pages and hold the indices and box
    shapes field extraction relies on (empty list: usable)."""
    if len(ocr.pages) != len(page_sizes):
        return [f"it has {len(ocr.pages)} page(s) but the file has {len(page_sizes)}"]
    problems = [
        f"page {i} is {p.width}x{p.height} but the file's page {i} is {w}x{h}"
        for i, (p, (w, h)) in enumerate(zip(ocr.pages, page_sizes, strict=True))
        if (p.width, p.height) != (w, h)
    ]
    n_pages, n_lines = len(page_sizes), len(ocr.lines)
    for i, line in enumerate(ocr.lines):
        if line.index != i or not 0 <= line.page < n_pages or not _is_box(line.bbox) or not _is_polygon(line.polygon):
            problems.append(f"lines[{i}] needs index {i}, a page in 0..{n_pages - 1}, a 4-number bbox and a polygon")
    for i, word in enumerate(ocr.words):
        if not 0 <= word.line_index < n_lines or not 0 <= word.page < n_pages or not _is_box(word.bbox):
            problems.append(f"words[{i}] needs a line_index in 0..{n_lines - 1}, a page in 0..{n_pages - 1} and a 4-number bbox")
    if any(not 0 <= i < n_lines for i in ocr.reading_order):
        problems.append(f"reading_order holds indices outside 0..{n_lines - 1}")
    return problems


def join_pages(results: Sequence[OcrResult]) -> OcrResult:
    """One document's OCR from the OCR of its pages read one at a time (the flow reads a long PDF page by page):
    pages renumbered 0..n-1 in order, line indices, rows and reading order offset so they stay global, and the
    language detected on the whole text, as `build_ocr_result` does for pages read together."""
    if len(results) == 1:
        return results[0]
    lines: list[OcrLine] = []
    words: list[OcrWord] = []
    pages: list[OcrPage] = []
    reading: list[int] = []
    row_offset = 0
    for result in results:
        page_offset, line_offset = len(pages), len(lines)
        pages += [OcrPage(index=page_offset + p.index, width=p.width, height=p.height) for p in result.pages]
        lines += [ln.model_copy(update={"index": ln.index + line_offset, "page": ln.page + page_offset, "row": ln.row + row_offset})
                  for ln in result.lines]
        words += [w.model_copy(update={"line_index": w.line_index + line_offset, "page": w.page + page_offset}) for w in result.words]
        reading += [i + line_offset for i in result.reading_order]
        row_offset += max((ln.row for ln in result.lines), default=-1) + 1
    text = "\n".join(lines[i].text for i in reading)
    language, scores = detect_language(text)
    mean_conf = sum(line.confidence for line in lines) / len(lines) if lines else 0.0
    return OcrResult(engine=results[0].engine, language=language, language_scores=scores, mean_confidence=_clip(mean_conf),
                     text=text, pages=pages, lines=lines, words=words, reading_order=reading,
                     coordinate_space=results[0].coordinate_space)
