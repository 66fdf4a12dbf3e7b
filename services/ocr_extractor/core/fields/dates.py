"""Dates and times: the document date, its clock time and an invoice's due date."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ocr_extractor.core.fields.keywords import DATE_KEY, NOT_DATE_KEY, cell_below
from ocr_extractor.core.fields.rows import Found, Row, make_found
from ocr_extractor.core.normalise import TimeMatch, find_times
from ocr_extractor.core.parsing import DateMatch, find_dates, resolve_order


# ---------------------------------------------------------------- dates
@dataclass(frozen=True)
class _DateCandidate:
    match: DateMatch
    row: Row
    score: float


def _column_headers(rows: Sequence[Row]) -> dict[int, str]:
    """id(line) -> the header cell printed above it, for rows under a table header row (several cells, no date)."""
    headers: dict[int, str] = {}
    for i, row in enumerate(rows):
        if len(row.lines) < 2 or find_dates(row.text) or not DATE_KEY.search(row.text):
            continue
        for line in row.lines:
            below = cell_below(rows, i, line, max_rows=1)
            if below is not None:
                headers.setdefault(id(below[1]), line.text)
    return headers


def extract_date(rows: Sequence[Row], *, default_day_first: bool = True) -> Found | None:
    """The document date: a date on a row with a date keyword (not a due/expiry date), or under a table header
    cell that is one, wins; else the first date. Ambiguous numeric dates follow the order proven by other dates
    of the same document."""
    day_first = resolve_order([row.text for row in rows], default_day_first)
    headers = _column_headers(rows)
    best: _DateCandidate | None = None
    for position, row in enumerate(rows):
        for match in find_dates(row.text, day_first=day_first):
            score = 0.8
            header = headers.get(id(row.line_at(match.start, match.end)))
            if header is not None:  # 'Factuur datum | Vervaldatum' over '8-9-2022 | 22-9-2022'
                score = 0.4 if NOT_DATE_KEY.search(header) else 1.0 if DATE_KEY.search(header) else 0.8
            elif DATE_KEY.search(row.text):
                score = 1.0
            if header is None and NOT_DATE_KEY.search(row.text):
                score = 0.4
            if match.ambiguous:
                score -= 0.1
            score -= 0.0005 * position  # earlier rows win ties
            if best is None or score > best.score:
                best = _DateCandidate(match, row, score)
    if best is None:
        return None
    m = best.match
    lines = best.row.lines_between(m.start, m.end)
    certainty = 1.0 if best.score >= 0.9 else 0.85
    if m.ambiguous:
        certainty *= 0.8
    return make_found(m.value.isoformat(), certainty, lines, raw=m.raw)




_TIME_KEY = re.compile(r"(?<![a-z])(time|hora|zeit|uhrzeit)(?![a-z])", re.IGNORECASE)


def extract_time(rows: Sequence[Row]) -> Found | None:
    """A clock time, preferring one on the date row or after TIME / HORA."""
    best: tuple[float, Row, TimeMatch] | None = None
    for row in rows:
        for m in find_times(row.text):
            score = 1.0 if (DATE_KEY.search(row.text) or find_dates(row.text) or _TIME_KEY.search(row.text)) else 0.7
            if best is None or score > best[0]:
                best = (score, row, m)
    if best is None:
        return None
    score, row, m = best
    return make_found(m.value, score, row.lines_between(m.start, m.end), raw=m.raw)




_DUE_KEY = re.compile(r"due\s*date|payment\s*due|vencimiento|f[aä]llig|zahlbar\s*bis|pay\s*by|verval|[ée]ch[ée]ance", re.IGNORECASE)


def extract_due_date(rows: Sequence[Row], *, day_first: bool) -> Found | None:
    """A date on a row with a due-date keyword, or under a header cell that is one."""
    for row in rows:
        if _DUE_KEY.search(row.text):
            for m in find_dates(row.text, day_first=day_first):
                return make_found(m.value.isoformat(), 1.0, row.lines_between(m.start, m.end), raw=m.raw)
    for i, row in enumerate(rows):
        for line in row.lines if len(row.lines) > 1 else ():
            below = cell_below(rows, i, line, max_rows=1) if _DUE_KEY.search(line.text) else None
            if below is not None:
                for m in find_dates(below[1].text, day_first=day_first):
                    return make_found(m.value.isoformat(), 0.9, [below[1]], raw=m.raw)
    return None
