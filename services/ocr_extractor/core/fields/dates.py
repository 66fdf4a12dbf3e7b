"""Dates and times: the document date, its clock time and an invoice's due date."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ocr_extractor.core.fields.keywords import DATE_KEY, NOT_DATE_KEY
from ocr_extractor.core.fields.rows import Found, Row, make_found
from ocr_extractor.core.normalise import TimeMatch, find_times
from ocr_extractor.core.parsing import DateMatch, find_dates, resolve_order


# ---------------------------------------------------------------- dates
@dataclass(frozen=True)
class _DateCandidate:
    match: DateMatch
    row: Row
    score: float


def extract_date(rows: Sequence[Row], *, default_day_first: bool = True) -> Found | None:
    """The document date: a date on a row with a date keyword (not a due/expiry date) wins; else the first date.
    Ambiguous numeric dates follow the order proven by other dates of the same document."""
    day_first = resolve_order([row.text for row in rows], default_day_first)
    best: _DateCandidate | None = None
    for position, row in enumerate(rows):
        for match in find_dates(row.text, day_first=day_first):
            score = 0.8
            if DATE_KEY.search(row.text):
                score = 1.0
            if NOT_DATE_KEY.search(row.text):
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




_DUE_KEY = re.compile(r"due\s*date|payment\s*due|vencimiento|f[aä]llig|zahlbar\s*bis|pay\s*by", re.IGNORECASE)
def extract_due_date(rows: Sequence[Row], *, day_first: bool) -> Found | None:
    for row in rows:
        if _DUE_KEY.search(row.text):
            for m in find_dates(row.text, day_first=day_first):
                return make_found(m.value.isoformat(), 1.0, row.lines_between(m.start, m.end), raw=m.raw)
    return None
